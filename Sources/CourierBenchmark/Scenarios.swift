import Foundation
import Synchronization

/// How long each scenario runs: `--quick` keeps the whole run under 3 minutes on two cores, the full run under 10.
public struct BenchmarkScale: Sendable, Equatable {
    /// Envelope-only pushes prepared per client concurrency.
    public var envelopePushes: [Int: Int]
    /// Pushes with a 50 KB SBOM prepared per client concurrency.
    public var sbomPushes: [Int: Int]
    /// The longest one ingest run may take; a run that hits it reports what it completed.
    public var ingestTimeLimit: Duration
    /// Attestations pushed in the fan-out scenario (3 deliveries each).
    public var fanoutAttestations: Int
    /// How long the latency scenario offers its fixed load.
    public var latencyDuration: Duration
    /// How long each `/healthz` loop runs.
    public var healthzDuration: Duration
    /// How long the SQLite commit loop runs.
    public var sqliteDuration: Duration

    /// The `--quick` scale.
    public static let quick = BenchmarkScale(
        envelopePushes: [1: 500, 8: 1_500, 64: 2_000], sbomPushes: [1: 200, 8: 600, 64: 800], ingestTimeLimit: .seconds(10),
        fanoutAttestations: 600, latencyDuration: .seconds(10), healthzDuration: .seconds(2), sqliteDuration: .seconds(2)
    )

    /// The full scale.
    public static let full = BenchmarkScale(
        envelopePushes: [1: 3_000, 8: 10_000, 64: 10_000], sbomPushes: [1: 1_000, 8: 4_000, 64: 4_000], ingestTimeLimit: .seconds(30),
        fanoutAttestations: 3_000, latencyDuration: .seconds(30), healthzDuration: .seconds(5), sqliteDuration: .seconds(5)
    )
}

/// The measurements, each against a fresh server so that databases and memory peaks do not carry over.
struct Scenarios {
    /// The size of the large SBOM of the memory scenario.
    static let largeSBOMBytes = 200_000_000
    /// Client concurrencies of the ingest and `/healthz` runs.
    static let concurrencies = [1, 8, 64]

    let binary: URL
    let scale: BenchmarkScale
    let log: @Sendable (String) -> Void

    /// `GET /healthz` per second at each concurrency, the best of them, then envelope-only ingest on the same server.
    func healthzAndEnvelopeIngest(into report: inout BenchmarkReport) async throws {
        try await CourierServer.run(binary: binary) { server in
            let token = server.ownerToken
            for concurrency in Self.concurrencies {
                let meter = CPUMeter(servers: [server])
                let rate = try await Self.closedLoop(servers: [server], concurrency: concurrency, count: .max, timeLimit: scale.healthzDuration) {
                    connection, _ in try Setup.expect(200, "GET", "/healthz", token: token, connection: connection)
                }
                log("GET /healthz, c=\(concurrency): \(BenchmarkReport.format(rate))/s; \(meter.usage())")
                report.healthzPerSecond = max(report.healthzPerSecond, rate)
            }
            report.ingestEnvelopePerSecond = try await envelopeIngest(on: [server], concurrencies: Self.concurrencies)
            report.peakRSSMegabytes["ingest_envelope"] = try Self.megabytes(server.memory().peakResidentBytes)
        }
    }

    /// Envelope-only pushes to a new workflow without attachments at each of `concurrencies`, spread round-robin over
    /// `servers` (replicas sharing one database); pushes per second by concurrency. Resets the servers' peak memory first.
    func envelopeIngest(on servers: [CourierServer], concurrencies: [Int]) async throws -> [Int: Double] {
        let token = servers[0].ownerToken
        try await Setup.workflow("ingest", client: APIClient(server: servers[0]))
        for server in servers { server.resetPeakMemory() }
        var rates: [Int: Double] = [:]
        for concurrency in concurrencies {
            let count = scale.envelopePushes[concurrency] ?? 0
            let pushes = try (0..<count).map { try Workload.envelopeOnly(workflow: "ingest", marker: "envelope-c\(concurrency)-\($0)") }
            let meter = CPUMeter(servers: servers)
            let rate = try await Self.closedLoop(servers: servers, concurrency: concurrency, count: count, timeLimit: scale.ingestTimeLimit) {
                connection, index in try Setup.push(pushes[index], workflow: "ingest", token: token, connection: connection)
            }
            log("Ingest, envelope only, c=\(concurrency): \(BenchmarkReport.format(rate)) push/s; \(meter.usage())")
            rates[concurrency] = rate
        }
        return rates
    }

    /// Pushes each preceded by the upload of a fresh 50 KB SBOM to CAS.
    func sbomIngest(into report: inout BenchmarkReport) async throws {
        try await CourierServer.run(binary: binary) { server in
            let client = APIClient(server: server)
            let token = server.ownerToken
            try await Setup.workflow("ingest", client: client)
            for concurrency in Self.concurrencies {
                let count = scale.sbomPushes[concurrency] ?? 0
                let pushes = try (0..<count).map {
                    try Workload.withSBOM(workflow: "ingest", marker: "sbom-c\(concurrency)-\($0)", sbomBytes: 50_000)
                }
                let meter = CPUMeter(servers: [server])
                let rate = try await Self.closedLoop(servers: [server], concurrency: concurrency, count: count, timeLimit: scale.ingestTimeLimit) {
                    connection, index in try Setup.push(pushes[index], workflow: "ingest", token: token, connection: connection)
                }
                log("Ingest + 50 KB SBOM, c=\(concurrency): \(BenchmarkReport.format(rate)) push/s; \(meter.usage())")
                report.ingestSBOMPerSecond[concurrency] = rate
            }
            report.peakRSSMegabytes["ingest_sbom50k"] = try Self.megabytes(server.memory().peakResidentBytes)
        }
    }

    /// N attestations to a workflow with 3 webhook attachments; the time from the first push to the 3N-th delivery.
    func fanout(into report: inout BenchmarkReport) async throws {
        let sink = try WebhookSink()
        try await sink.serving {
            try await CourierServer.run(binary: binary) { server in
                report.fanoutDeliveriesPerSecond = try await fanout(on: [server], sink: sink)
                report.peakRSSMegabytes["fanout"] = try Self.megabytes(server.memory().peakResidentBytes)
            }
        }
    }

    /// `scale.fanoutAttestations` pushes at 64 concurrent requests, spread round-robin over `servers`, to a new workflow
    /// with 3 webhook attachments to `sink`; deliveries per second from the first push until `/metrics` counts all
    /// 3N delivered (the count is the shared store's, so with replicas it covers every replica's workers). `/metrics`
    /// is asked only once the sink has received all 3N.
    func fanout(on servers: [CourierServer], sink: WebhookSink) async throws -> Double {
        let client = APIClient(server: servers[0])
        let token = servers[0].ownerToken
        try await Setup.workflow("fanout", client: client, sinkURL: sink.url, attachments: 3)
        let count = scale.fanoutAttestations
        let pushes = try (0..<count).map { try Workload.envelopeOnly(workflow: "fanout", marker: "fanout-\($0)") }
        let before = try await Setup.deliveredCount(client: client)
        let arrivedBefore = sink.count
        let meter = CPUMeter(servers: servers)
        let start = ContinuousClock.now
        _ = try await Self.closedLoop(servers: servers, concurrency: 64, count: count, timeLimit: .seconds(120)) { connection, index in
            try Setup.push(pushes[index], workflow: "fanout", token: token, connection: connection)
        }
        let pushed = ContinuousClock.now - start
        // `/metrics` counts every delivery in the store: asking it often would take server time from the deliveries.
        try await sink.waitForArrivals(arrivedBefore + 3 * count, timeLimit: .seconds(180))
        let delivered = try await Setup.waitForDelivered(before + 3 * count, client: client, timeLimit: .seconds(60)) - before
        let elapsed = ContinuousClock.now - start
        let rate = Double(delivered) / elapsed.seconds
        log(
            "Fan-out: \(delivered) of \(3 * count) deliveries in \(BenchmarkReport.format(elapsed.seconds)) s "
                + "(pushes took \(BenchmarkReport.format(pushed.seconds)) s): \(BenchmarkReport.format(rate)) deliveries/s; \(meter.usage())"
        )
        return rate
    }

    /// An open loop at `report.latencyOfferedPerSecond` to a workflow with one webhook attachment: each latency runs
    /// from the push's scheduled time to the sink's receipt of the attestation.
    func latency(into report: inout BenchmarkReport) async throws {
        let sink = try WebhookSink()
        let schedule = OpenLoopSchedule(rate: report.latencyOfferedPerSecond, duration: scale.latencyDuration)
        try await sink.serving {
            try await CourierServer.run(binary: binary) { server in
                let client = APIClient(server: server)
                let pool = ConnectionPool(port: server.port)
                try await Setup.workflow("latency", client: client, sinkURL: sink.url, attachments: 1)
                let pushes = try (0..<schedule.count).map { try Workload.envelopeOnly(workflow: "latency", marker: "latency-\($0)") }
                let meter = CPUMeter(servers: [server])
                let digests = Shared<[String: Int]>([:])
                let answerMilliseconds = Shared<[Double]>([])
                let start = ContinuousClock.now + .milliseconds(50)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<schedule.count {
                        try await Task.sleep(until: start + schedule.offset(of: index), clock: .continuous)
                        group.addTask {
                            let answer = try await pool.withConnection { connection in
                                try Setup.push(pushes[index], workflow: "latency", token: server.ownerToken, connection: connection)
                            }
                            let answered = (ContinuousClock.now - (start + schedule.offset(of: index))).seconds * 1_000
                            let digest = try Setup.attestationDigest(inPushAnswer: answer)
                            digests.withLock { $0[digest] = index }
                            answerMilliseconds.withLock { $0.append(answered) }
                        }
                    }
                    try await group.waitForAll()
                }
                let expected = digests.withLock { $0 }
                let deadline = ContinuousClock.now + .seconds(60)
                var arrivals: [String: ContinuousClock.Instant] = [:]
                while arrivals.count < expected.count && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    arrivals = [:]
                    for arrival in sink.recorded.values {
                        if let digest = arrival.attestationDigest, expected[digest] != nil { arrivals[digest] = arrival.instant }
                    }
                }
                // An attestation that never arrived counts with the wait's end as its arrival: a lower bound, not a gap.
                let waitEnd = ContinuousClock.now
                let latencies = expected.map { digest, index in
                    ((arrivals[digest] ?? waitEnd) - (start + schedule.offset(of: index))).seconds * 1_000
                }
                report.latencyP50Milliseconds = Percentile.nearestRank(50, of: latencies) ?? 0
                report.latencyP99Milliseconds = Percentile.nearestRank(99, of: latencies) ?? 0
                let missing = expected.count - arrivals.count
                let answers = answerMilliseconds.withLock { $0 }
                let answerP50 = Self.format(Percentile.nearestRank(50, of: answers) ?? 0)
                let answerP99 = Self.format(Percentile.nearestRank(99, of: answers) ?? 0)
                log(
                    "Latency at \(Self.format(schedule.rate))/s for \(Self.format(scale.latencyDuration.seconds)) s: "
                        + "p50 \(Self.format(report.latencyP50Milliseconds)) ms, p99 \(Self.format(report.latencyP99Milliseconds)) ms, "
                        + "max \(Self.format(latencies.max() ?? 0)) ms (push answered: p50 \(answerP50) ms, p99 \(answerP99) ms); "
                        + "\(arrivals.count) of \(schedule.count) arrived"
                        + (missing > 0 ? " (the \(missing) missing after a 60 s wait count as lower bounds)" : "") + "; \(meter.usage())"
                )
                report.peakRSSMegabytes["latency"] = try Self.megabytes(server.memory().peakResidentBytes)
            }
        }
    }

    /// Uploads a 200 MB SBOM, resets the server's peak, pushes an attestation naming it and waits for its delivery:
    /// the growth is the new peak minus the resident size before the push.
    func largeSBOM(into report: inout BenchmarkReport) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("courier-bench-sbom-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let digest = try Workload.writeLargeSBOM(bytes: Self.largeSBOMBytes, to: file)
        let sink = try WebhookSink()
        try await sink.serving {
            try await CourierServer.run(binary: binary, environment: ["COURIER_ATTEMPT_TIMEOUT_SECONDS": "300"]) { server in
                let client = APIClient(server: server)
                try await Setup.workflow("large", client: client, sinkURL: sink.url, attachments: 1, sendSBOM: true)
                let (status, body) = try await client.send("PUT", "/v1/cas/\(digest)", file: file)
                guard status == 201 else { throw APIClient.unexpected(status, 201, "PUT", "/v1/cas/\(digest)", body) }
                let afterUpload = try server.memory()
                let reset = server.resetPeakMemory()
                let before = try server.memory()
                let deliveredBefore = try await Setup.deliveredCount(client: client)
                let start = ContinuousClock.now
                try await client.expect(
                    201, "POST", Setup.pushPath("large"), body: try Workload.naming(sbomDigest: digest, workflow: "large", marker: "large")
                )
                _ = try await Setup.waitForDelivered(deliveredBefore + 1, client: client, timeLimit: .seconds(300))
                let after = try server.memory()
                let baseline = reset ? before.residentBytes : afterUpload.peakResidentBytes
                report.rssGrowthMegabytesLargeSBOM = Self.megabytes(max(0, after.peakResidentBytes - baseline))
                report.peakRSSMegabytes[BenchmarkReport.largeSBOMScenario] = Self.megabytes(after.peakResidentBytes)
                let received = sink.recorded.values.map(\.bytes).max() ?? 0
                log(
                    "200 MB SBOM: delivered in \(Self.format((ContinuousClock.now - start).seconds)) s "
                        + "(largest webhook body \(Self.format(Self.megabytes(received))) MB); "
                        + "RSS \(Self.format(Self.megabytes(before.residentBytes))) MB before the push, "
                        + "peak \(Self.format(Self.megabytes(after.peakResidentBytes))) MB during delivery"
                        + (reset ? "" : " (peak could not be reset after the upload: growth is measured from the upload's peak)")
                )
            }
        }
    }

    /// Runs `operation(connection, index)` for indices 0..<count from `concurrency` workers, each a thread with its
    /// own keep-alive connection to each of `servers`, until all are done, one fails or `timeLimit` passes; returns
    /// operations per second. Operation `index` goes to `servers[index % servers.count]`: round-robin.
    static func closedLoop(
        servers: [CourierServer],
        concurrency: Int,
        count: Int,
        timeLimit: Duration,
        _ operation: @escaping @Sendable (KeepAliveConnection, Int) throws -> Void
    ) async throws -> Double {
        let next = Shared(0)
        let ports = servers.map(\.port)
        let start = ContinuousClock.now
        let deadline = start + timeLimit
        let completed = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    try await onDedicatedThread {
                        let connections = ports.map { KeepAliveConnection(port: $0) }
                        var done = 0
                        while ContinuousClock.now < deadline {
                            let index = next.withLock { value in
                                defer { value = min(value + 1, count) }
                                return value
                            }
                            guard index < count else { break }
                            do {
                                try operation(connections[index % connections.count], index)
                            } catch {
                                next.withLock { $0 = count }
                                throw error
                            }
                            done += 1
                        }
                        return done
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(completed) / (ContinuousClock.now - start).seconds
    }

    static func megabytes(_ bytes: Int) -> Double { Double(bytes) / 1e6 }

    static func format(_ value: Double) -> String { BenchmarkReport.format(value) }
}
