import CourierLocalServers
import CourierPostgres
import Foundation

/// `courier-bench --replicas`: envelope ingest and fan-out with 1, then 2 `courier serve` replicas sharing one
/// PostgreSQL database, a fresh database and fresh replicas per scenario.
struct ReplicaScenarios {
    /// The replica counts compared.
    static let replicaCounts = [1, 2]
    /// Client concurrencies of the ingest runs.
    static let concurrencies = [8, 64]

    let binary: URL
    let scale: BenchmarkScale
    /// A `postgres://` URL of a database from which new databases can be created.
    let postgresURL: String
    let log: @Sendable (String) -> Void

    /// Runs every replica count's scenarios into `report`.
    func run(into report: inout ReplicaReport) async throws {
        let admin = try await PostgresDatabase(connectionString: postgresURL, configuration: PoolConfiguration(maximumConnections: 1))
        // Replicas must share the master key; this one lives only for the run.
        var generator = SystemRandomNumberGenerator()
        let environment = ["COURIER_MASTER_KEY": Data((0..<32).map { _ in generator.next() as UInt8 }).base64EncodedString()]
        for count in Self.replicaCounts {
            let label = ReplicaReport.label(count)
            let scenarios = Scenarios(binary: binary, scale: scale, log: { [log] line in log("\(label): \(line)") })
            var run = ReplicaReport.Run()
            var ingestPeaks: [Double] = []
            let ingestTransactions = try await withFreshDatabase(admin) { database in
                try await CourierServer.runReplicas(count, binary: binary, database: database, environment: environment) { servers in
                    run.ingestEnvelopePerSecond = try await scenarios.envelopeIngest(on: servers, concurrencies: Self.concurrencies)
                    ingestPeaks = try servers.map { try Scenarios.megabytes($0.memory().peakResidentBytes) }
                }
            }
            run.ingestTransactions = ingestTransactions
            log("\(label): ingest transactions \(run.ingestTransactions.summary)")
            let sink = try WebhookSink()
            var fanoutPeaks: [Double] = []
            let fanoutTransactions = try await withFreshDatabase(admin) { database in
                try await sink.serving {
                    try await CourierServer.runReplicas(count, binary: binary, database: database, environment: environment) { servers in
                        run.fanoutDeliveriesPerSecond = try await scenarios.fanout(on: servers, sink: sink)
                        fanoutPeaks = try servers.map { try Scenarios.megabytes($0.memory().peakResidentBytes) }
                    }
                }
            }
            run.fanoutTransactions = fanoutTransactions
            log("\(label): fan-out transactions \(run.fanoutTransactions.summary)")
            run.peakRSSMegabytes = zip(ingestPeaks, fanoutPeaks).map { max($0, $1) }
            report.runs[count] = run
        }
    }

    /// Creates a database, runs `body` with its URL, then, once every connection to it has closed, reads how many
    /// transactions committed and rolled back in it (backends report their counts when they exit) and drops it.
    private func withFreshDatabase(
        _ admin: PostgresDatabase,
        _ body: (String) async throws -> Void
    ) async throws -> ReplicaReport.Transactions {
        let name = "courier_bench_" + UUID().uuidString.lowercased().replacing("-", with: "")
        guard var components = URLComponents(string: postgresURL) else { throw BenchmarkError("--postgres needs a postgres:// URL.") }
        components.path = "/" + name
        try await admin.executeOutsideTransaction(unsafeSQL: "CREATE DATABASE \(name)")
        try await body(components.string ?? postgresURL)
        let deadline = ContinuousClock.now + .seconds(30)
        while try await admin.read({ try $0.query("SELECT 1 FROM pg_stat_activity WHERE datname = \(name)") }).count > 0 {
            guard ContinuousClock.now < deadline else { throw BenchmarkError("Connections to \(name) stayed open 30 s after the replicas stopped.") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let row = try await admin.read { try $0.query("SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = \(name)") }
        try await admin.executeOutsideTransaction(unsafeSQL: "DROP DATABASE \(name)")
        return ReplicaReport.Transactions(
            committed: try row.first?.int("xact_commit") ?? 0, rolledBack: try row.first?.int("xact_rollback") ?? 0)
    }
}

/// The figures of `courier-bench --replicas`, as a table (1 replica, 2 replicas, their ratio) and as JSON.
public struct ReplicaReport: RenderedReport, Sendable, Equatable {
    /// Transactions of one scenario's database, from `pg_stat_database`.
    public struct Transactions: Sendable, Equatable {
        /// Committed, reads included.
        public var committed = 0
        /// Rolled back: serialization failures and deadlocks retried, and failed requests.
        public var rolledBack = 0

        /// E.g. `12,004 committed, 37 rolled back (0.31 %)`.
        var summary: String {
            let share = committed + rolledBack > 0 ? 100 * Double(rolledBack) / Double(committed + rolledBack) : 0
            return "\(BenchmarkReport.format(Double(committed))) committed, \(BenchmarkReport.format(Double(rolledBack))) rolled back "
                + String(format: "(%.2f %%)", share)
        }
    }

    /// The figures of one replica count.
    public struct Run: Sendable, Equatable {
        /// Envelope-only pushes per second by client concurrency, spread round-robin over the replicas.
        public var ingestEnvelopePerSecond: [Int: Double] = [:]
        /// Webhook deliveries per second, 3 attachments per workflow, with every replica's workers draining the queue.
        public var fanoutDeliveriesPerSecond = 0.0
        /// Each replica's peak resident memory (VmHWM) in MB, the higher of its ingest and fan-out scenarios.
        public var peakRSSMegabytes: [Double] = []
        /// The transactions of the ingest scenario's database, and of the fan-out scenario's.
        public var ingestTransactions = Transactions()
        public var fanoutTransactions = Transactions()

        /// Empty figures.
        public init() {}
    }

    /// Whether this was a `--quick` run.
    public var quick = false
    /// The 1-minute load average when the run started, and the number of CPUs.
    public var loadAverageAtStart = 0.0
    public var processorCount = ProcessInfo.processInfo.activeProcessorCount
    /// The figures by replica count.
    public var runs: [Int: Run] = [:]

    /// An empty report.
    public init() {}

    /// `1 replica`, `2 replicas`.
    static func label(_ count: Int) -> String { count == 1 ? "1 replica" : "\(count) replicas" }

    /// The JSON object `--json` writes with `--replicas`: `pg_ingest_envelope_per_s_1_replica` (the best concurrency),
    /// `pg_ingest_envelope_c64_per_s_2_replicas`, `pg_fanout_deliveries_per_s_…`, `pg_peak_rss_mb_…` (the highest
    /// replica), `pg_ingest_rollbacks_…` and `pg_fanout_rollbacks_…`.
    public var jsonObject: [String: Double] {
        var object: [String: Double] = [
            "quick": quick ? 1 : 0, "load_average_at_start": loadAverageAtStart, "cpus": Double(processorCount),
        ]
        for (count, run) in runs {
            let suffix = "_" + Self.label(count).replacing(" ", with: "_")
            object["pg_ingest_envelope_per_s" + suffix] = run.ingestEnvelopePerSecond.values.max() ?? 0
            for (concurrency, rate) in run.ingestEnvelopePerSecond { object["pg_ingest_envelope_c\(concurrency)_per_s" + suffix] = rate }
            object["pg_fanout_deliveries_per_s" + suffix] = run.fanoutDeliveriesPerSecond
            object["pg_peak_rss_mb" + suffix] = run.peakRSSMegabytes.max() ?? 0
            object["pg_ingest_rollbacks" + suffix] = Double(run.ingestTransactions.rolledBack)
            object["pg_ingest_commits" + suffix] = Double(run.ingestTransactions.committed)
            object["pg_fanout_rollbacks" + suffix] = Double(run.fanoutTransactions.rolledBack)
            object["pg_fanout_commits" + suffix] = Double(run.fanoutTransactions.committed)
        }
        return object
    }

    /// One row per figure, one column per replica count, and the ratio of the last count to the first.
    public var table: String {
        let counts = runs.keys.sorted()
        var rows = [["Figure"] + counts.map(Self.label) + (counts.count > 1 ? ["\(counts.last ?? 0) ÷ \(counts.first ?? 0)"] : [])]
        func row(_ label: String, _ value: (Run) -> Double, unit: String) {
            let values = counts.map { runs[$0].map(value) ?? 0 }
            let ratio = values.count > 1 ? [BenchmarkReport.ratio(values.last ?? 0, values.first ?? 0)] : []
            rows.append([label] + values.map { unit.isEmpty ? BenchmarkReport.format($0) : "\(BenchmarkReport.format($0)) \(unit)" } + ratio)
        }
        for concurrency in ReplicaScenarios.concurrencies {
            row("Ingest, envelope only, c=\(concurrency)", { $0.ingestEnvelopePerSecond[concurrency] ?? 0 }, unit: "push/s")
        }
        row("Ingest, envelope only, best", { $0.ingestEnvelopePerSecond.values.max() ?? 0 }, unit: "push/s")
        row("Fan-out, 3 webhooks per workflow", { $0.fanoutDeliveriesPerSecond }, unit: "deliv/s")
        rows.append(
            ["Peak RSS of each replica"]
                + counts.map { count in (runs[count]?.peakRSSMegabytes ?? []).map(BenchmarkReport.format).joined(separator: " / ") + " MB" }
                + (counts.count > 1 ? [""] : []))
        row("Rolled-back transactions, ingest", { Double($0.ingestTransactions.rolledBack) }, unit: "")
        row("Rolled-back transactions, fan-out", { Double($0.fanoutTransactions.rolledBack) }, unit: "")
        return BenchmarkReport.render(rows)
    }
}
