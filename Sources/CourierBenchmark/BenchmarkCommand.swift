import CourierLocalServers
import Foundation

/// `courier-bench [--quick] [--json FILE]`: runs every scenario against a release `courier serve` and prints a table;
/// with `--replicas [--postgres URL]`, compares 1 and 2 replicas on PostgreSQL instead.
public enum BenchmarkCommand {
    /// The parsed command line.
    public struct Options: Sendable, Equatable {
        /// Shorter runs of every scenario.
        public var quick = false
        /// Where to write the figures as one JSON object.
        public var jsonFile: String?
        /// The scenarios to run; all of them when `nil`.
        public var scenarios: Set<ScenarioName>?
        /// Compare 1 and 2 `courier serve` replicas sharing a PostgreSQL database, instead of the SQLite scenarios.
        public var replicas = false
        /// The PostgreSQL server of `--replicas` (a URL whose user may create databases); nil starts a throwaway cluster.
        public var postgresURL: String?

        /// Parses the arguments after the program name.
        public init(arguments: [String]) throws {
            var remaining = arguments[...]
            while let argument = remaining.popFirst() {
                switch argument {
                case "--quick": quick = true
                case "--json":
                    guard let file = remaining.popFirst() else { throw BenchmarkError("--json needs a FILE.\n\(BenchmarkCommand.usage)") }
                    jsonFile = file
                case "--only":
                    guard let list = remaining.popFirst() else {
                        throw BenchmarkError("--only needs a list of scenarios.\n\(BenchmarkCommand.usage)")
                    }
                    scenarios = try Set(
                        list.split(separator: ",").map { name in
                            guard let scenario = ScenarioName(rawValue: String(name)) else {
                                throw BenchmarkError(
                                    "Unknown scenario \(name); choose from \(ScenarioName.allCases.map(\.rawValue).joined(separator: ", ")).")
                            }
                            return scenario
                        })
                case "--replicas": replicas = true
                case "--postgres":
                    guard let url = remaining.popFirst() else { throw BenchmarkError("--postgres needs a URL.\n\(BenchmarkCommand.usage)") }
                    postgresURL = url
                default: throw BenchmarkError("Unknown argument \(argument).\n\(BenchmarkCommand.usage)")
                }
            }
            if postgresURL != nil && !replicas { throw BenchmarkError("--postgres goes with --replicas.\n\(BenchmarkCommand.usage)") }
            if scenarios != nil && replicas { throw BenchmarkError("--only does not go with --replicas.\n\(BenchmarkCommand.usage)") }
        }
    }

    /// The usage lines.
    public static let usage = """
        usage: courier-bench [--quick] [--json FILE] [--only SCENARIO,…]
               courier-bench --replicas [--postgres URL] [--quick] [--json FILE]
        scenarios: \(ScenarioName.allCases.map(\.rawValue).joined(separator: ", "))
        """

    /// The scenarios `--only` can pick.
    public enum ScenarioName: String, Sendable, CaseIterable {
        case ingest, sbom, fanout, latency
        case largeSBOM = "large-sbom"
    }

    /// Runs the benchmark; returns the exit status (0 success, 1 failure, 2 usage error).
    public static func main(arguments: [String]) async -> Int32 {
        let options: Options
        do {
            options = try Options(arguments: arguments)
        } catch {
            printError("\(error)")
            return 2
        }
        do {
            let (table, json) =
                if options.replicas {
                    try await runReplicas(options: options).rendered
                } else {
                    try await run(options: options).rendered
                }
            printOutput("\n" + table)
            if let file = options.jsonFile {
                try json.write(to: URL(fileURLWithPath: file))
                printOutput("\nFigures written to \(file).")
            }
            return 0
        } catch {
            printError("courier-bench: \(error)")
            return 1
        }
    }

    static func run(options: Options) async throws -> BenchmarkReport {
        let binary = try CourierServer.binaryBesideBenchmark()
        var report = BenchmarkReport()
        report.quick = options.quick
        report.loadAverageAtStart = ProcessCPU.loadAverage()
        let scale = options.quick ? BenchmarkScale.quick : .full
        let start = ContinuousClock.now
        let log: @Sendable (String) -> Void = { line in
            printOutput(String(format: "[%6.1f s] ", (ContinuousClock.now - start).seconds) + line)
        }
        printOutput(
            """
            courier-bench\(options.quick ? " --quick" : ""): \(binary.path)
            Machine: \(report.processorCount) CPUs, load average \(String(format: "%.2f", report.loadAverageAtStart)) at start \
            (above 0.5 means other work shares the CPUs: figures are then lower bounds).
            Durability: SQLite in WAL mode with synchronous=FULL (each commit is fsynced before the push is answered); CAS objects \
            are written to a temporary file, fsynced, renamed into place and their directory fsynced.
            Server: a fresh `courier serve` per scenario on a temporary data directory (\(FileManager.default.temporaryDirectory.path)), \
            default delivery tuning (COURIER_DELIVERY_CONCURRENCY=\(ProcessInfo.processInfo.environment["COURIER_DELIVERY_CONCURRENCY"] ?? "64")).
            Client: one blocking keep-alive HTTP/1.1 connection per concurrent request (URLSession cost 3x the server's CPU per \
            request); ingest workflows have no attachments. CPU use is printed per run: server and bench share the CPUs.

            """
        )
        let commitsAtStart = try SQLiteCommitLimit.measure(in: FileManager.default.temporaryDirectory, duration: scale.sqliteDuration)
        log("Durable SQLite commits (WAL, synchronous=FULL, 1 row each): \(BenchmarkReport.format(commitsAtStart))/s")
        let scenarios = Scenarios(binary: binary, scale: scale, log: log)
        let selected = options.scenarios ?? Set(ScenarioName.allCases)
        if selected.contains(.ingest) { try await scenarios.healthzAndEnvelopeIngest(into: &report) }
        if selected.contains(.sbom) { try await scenarios.sbomIngest(into: &report) }
        if selected.contains(.fanout) { try await scenarios.fanout(into: &report) }
        if selected.contains(.latency) { try await scenarios.latency(into: &report) }
        if selected.contains(.largeSBOM) { try await scenarios.largeSBOM(into: &report) }
        // The disk is shared: measured at both ends of the run, its capacity is the better of the two.
        let commitsAtEnd = try SQLiteCommitLimit.measure(in: FileManager.default.temporaryDirectory, duration: scale.sqliteDuration)
        report.sqliteDurableCommitsPerSecond = max(commitsAtStart, commitsAtEnd)
        log("Durable SQLite commits again: \(BenchmarkReport.format(commitsAtEnd))/s; the table uses the higher of the two")
        return report
    }

    static func runReplicas(options: Options) async throws -> ReplicaReport {
        let binary = try CourierServer.binaryBesideBenchmark()
        var report = ReplicaReport()
        report.quick = options.quick
        report.loadAverageAtStart = ProcessCPU.loadAverage()
        let start = ContinuousClock.now
        let log: @Sendable (String) -> Void = { line in
            printOutput(String(format: "[%6.1f s] ", (ContinuousClock.now - start).seconds) + line)
        }
        let cluster: LocalPostgresCluster? =
            if options.postgresURL == nil {
                // Starting blocks for a second or two: a thread of its own, not one of the cooperative pool's.
                try await onDedicatedThread { try LocalPostgresCluster.start() }
            } else {
                nil
            }
        defer { cluster?.stop() }
        let postgresURL = options.postgresURL ?? cluster?.url ?? ""
        printOutput(
            """
            courier-bench --replicas\(options.quick ? " --quick" : ""): \(binary.path)
            Machine: \(report.processorCount) CPUs, load average \(String(format: "%.2f", report.loadAverageAtStart)) at start \
            (above 0.5 means other work shares the CPUs: figures are then lower bounds).
            PostgreSQL: \(cluster.map { "a throwaway PostgreSQL 15 cluster in \($0.directory), default settings (fsync and synchronous_commit on)" }
                ?? "the server given with --postgres"); a fresh database per scenario.
            Replicas: \(ReplicaScenarios.replicaCounts.map(ReplicaReport.label).joined(separator: ", then ")) of `courier serve \
            --database postgres://…`, started fresh per scenario; requests go round-robin to the replicas, every replica's \
            workers drain the queue (COURIER_DELIVERY_CONCURRENCY=\(ProcessInfo.processInfo.environment["COURIER_DELIVERY_CONCURRENCY"] ?? "64") each).

            """
        )
        try await ReplicaScenarios(binary: binary, scale: options.quick ? .quick : .full, postgresURL: postgresURL, log: log)
            .run(into: &report)
        return report
    }

    /// Writes a line to standard output at once, unbuffered, so that progress shows while the run goes on.
    private static func printOutput(_ message: String) {
        FileHandle.standardOutput.write(Data((message + "\n").utf8))
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
