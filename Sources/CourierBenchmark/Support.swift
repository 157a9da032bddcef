import Foundation
import Synchronization

/// A value shared by concurrent tasks, behind a lock.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

/// How busy the servers and the benchmark itself kept the CPUs since the meter was created.
struct CPUMeter {
    private let servers: [CourierServer]
    private let start = ContinuousClock.now
    private let serverStart: Double
    private let benchStart = ProcessCPU.ownSeconds()
    private let machineStart = ProcessCPU.machineBusySeconds()

    init(servers: [CourierServer]) {
        self.servers = servers
        serverStart = Self.cpuSeconds(of: servers) ?? 0
    }

    /// E.g. `server CPU 1.62 cores, bench 0.31 cores, machine 1.98 cores`: CPU seconds per wall-clock second, of all
    /// servers together, of the benchmark, and of the whole machine.
    func usage() -> String {
        let wall = (ContinuousClock.now - start).seconds
        let serverCores = (Self.cpuSeconds(of: servers) ?? serverStart) - serverStart
        let benchCores = ProcessCPU.ownSeconds() - benchStart
        let machineCores = ProcessCPU.machineBusySeconds() - machineStart
        return String(
            format: "server CPU %.2f cores, bench %.2f cores, machine %.2f cores", serverCores / wall, benchCores / wall, machineCores / wall)
    }

    private static func cpuSeconds(of servers: [CourierServer]) -> Double? {
        try? servers.map { try $0.cpuSeconds() }.reduce(0, +)
    }
}

/// The API calls that set up and observe a scenario.
enum Setup {
    /// The path an attestation of `workflow` is pushed to.
    static func pushPath(_ workflow: String) -> String { "/v1/attestations?project=\(Workload.project)&workflow=\(workflow)" }

    /// Creates `workflow` and attaches `attachments` webhook registrations pointing at `sinkURL` to it.
    static func workflow(
        _ workflow: String,
        client: APIClient,
        sinkURL: String = "",
        attachments: Int = 0,
        sendSBOM: Bool = false
    ) async throws {
        try await client.expect(201, "POST", "/v1/workflows", json: ["name": workflow, "project": Workload.project])
        for index in 0..<attachments {
            let name = "\(workflow)-sink-\(index + 1)"
            try await client.expect(
                201, "POST", "/v1/integrations/registered", json: ["kind": "webhook", "name": name, "options": ["url": sinkURL]]
            )
            try await client.expect(
                201, "POST", "/v1/integrations/attached",
                json: ["integration": name, "project": Workload.project, "workflow": workflow, "options": ["send_sbom": sendSBOM]]
            )
        }
    }

    /// Uploads the push's SBOM if it has one, then pushes its envelope with the owner `token`; returns the answer's body.
    @discardableResult
    static func push(_ push: PreparedPush, workflow: String, token: String, connection: KeepAliveConnection) throws -> Data {
        if let sbom = push.sbom {
            try expect(201, "PUT", "/v1/cas/\(sbom.digest)", body: sbom.content, token: token, connection: connection)
        }
        return try expect(201, "POST", pushPath(workflow), body: push.envelope, token: token, connection: connection)
    }

    /// Sends a request with the owner `token` and throws unless the server answers `expected`.
    @discardableResult
    static func expect(
        _ expected: Int,
        _ method: String,
        _ path: String,
        body: Data = Data(),
        token: String,
        connection: KeepAliveConnection
    ) throws -> Data {
        let (status, answer) = try connection.send(method, path, token: token, body: body)
        guard status == expected else { throw APIClient.unexpected(status, expected, method, path, answer) }
        return answer
    }

    /// The attestation digest in a push's answer.
    static func attestationDigest(inPushAnswer body: Data) throws -> String {
        let answer = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        guard let digest = (answer?["attestation"] as? [String: Any])?["digest"] as? String else {
            throw BenchmarkError("The push answer has no attestation digest: \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return digest
    }

    /// Delivered deliveries of every integration, from `GET /metrics`.
    static func deliveredCount(client: APIClient) async throws -> Int {
        let metrics = String(decoding: try await client.expect(200, "GET", "/metrics"), as: UTF8.self)
        return metrics.split(separator: "\n")
            .filter { $0.hasPrefix("courier_deliveries{") && $0.contains(#"state="delivered""#) }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
            .reduce(0, +)
    }

    /// Polls `/metrics` every 50 ms until `count` deliveries are delivered or `timeLimit` passes; returns the last count.
    static func waitForDelivered(_ count: Int, client: APIClient, timeLimit: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeLimit
        var delivered = try await deliveredCount(client: client)
        while delivered < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            delivered = try await deliveredCount(client: client)
        }
        return delivered
    }
}
