import CourierHTTP
import CourierLogging
import Foundation

/// A keep-alive webhook receiver on 127.0.0.1 that answers every POST to `/hook` with 204 at once.
///
/// It reads each body as it streams in without keeping it, and records the first arrival of each `webhook-id` with
/// the attestation digest found in the body's `Metadata` and the body's size.
public final class WebhookSink: Sendable {
    /// One webhook part as it first arrived.
    public struct Arrival: Sendable {
        /// When the whole body had arrived.
        public var instant: ContinuousClock.Instant
        /// `Metadata.WorkflowRun.AttestationDigest`, when the body carries one.
        public var attestationDigest: String?
        /// The body's size in bytes.
        public var bytes: Int
    }

    private let server: HTTPServer
    private let arrivals: Shared<[String: Arrival]>

    /// `http://127.0.0.1:PORT/hook`.
    public var url: String { "http://127.0.0.1:\(server.port)/hook" }

    /// A sink on a free port; bodies up to 1 GiB.
    public init() throws {
        let arrivals = Shared<[String: Arrival]>([:])
        self.arrivals = arrivals
        var router = Router(errorResponse: { _, _ in HTTPResponse(status: 500) })
        router.addStreaming(.post, "/hook", bodyLimit: 1 << 30) { request, body in
            var head = Data()
            var bytes = 0
            for try await chunk in body {
                bytes += chunk.count
                if head.count < Self.metadataWindow { head.append(chunk.prefix(Self.metadataWindow - head.count)) }
            }
            let arrival = Arrival(instant: .now, attestationDigest: Self.attestationDigest(in: head), bytes: bytes)
            let webhookID = request.headers["webhook-id"] ?? UUID().uuidString
            arrivals.withLock { recorded in
                if recorded[webhookID] == nil { recorded[webhookID] = arrival }
            }
            return HTTPResponse(status: 204)
        }
        server = try HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, connectionTimeout: .seconds(300)),
            responder: router,
            logger: .disabled
        )
    }

    /// Serves while `body` runs, then stops.
    public func serving<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.server.run() }
            do {
                let result = try await body()
                group.cancelAll()
                try await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// The first arrival of every webhook id so far.
    public var recorded: [String: Arrival] { arrivals.withLock { $0 } }

    /// How many webhook ids have arrived so far.
    public var count: Int { arrivals.withLock { $0.count } }

    /// Waits until `count` webhook ids have arrived (checking every 10 ms; the sink runs in this process, so waiting
    /// costs the server nothing) or `timeLimit` passes.
    public func waitForArrivals(_ count: Int, timeLimit: Duration) async throws {
        let deadline = ContinuousClock.now + timeLimit
        while self.count < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// How many bytes of a body's start are searched for the metadata: the webhook writes `Metadata` before `Data`.
    static let metadataWindow = 4_096

    /// The value of `"AttestationDigest":"…"` in `head`, if present.
    static func attestationDigest(in head: Data) -> String? {
        let key = Data(#""AttestationDigest":""#.utf8)
        guard let keyRange = head.range(of: key), let end = head[keyRange.upperBound...].firstIndex(of: UInt8(ascii: "\"")) else {
            return nil
        }
        let digest = String(decoding: head[keyRange.upperBound..<end], as: UTF8.self)
        return digest.isEmpty ? nil : digest
    }
}
