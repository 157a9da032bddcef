import CourierHTTP
import CourierLogging
import CourierTestSupport
import CourierWebhook
import Foundation
import Synchronization

/// A webhook receiver on 127.0.0.1 for end-to-end tests: it answers each POST with the status a script chooses and
/// records what arrived, so tests can verify signatures and count deliveries per id.
final class RecordingSink: Sendable {
    /// One request as it arrived.
    struct Received: Sendable {
        var path: String
        var headers: HTTPHeaders
        var body: Data
        var status: Int
        /// When the request arrived, and when its response was ready; requests for one part must not overlap.
        var arrivedAt: ContinuousClock.Instant
        var respondedAt: ContinuousClock.Instant

        var webhookID: String? { headers["webhook-id"] }

        /// The `Kind` of a Chainloop webhook body.
        var kind: String? {
            (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["Kind"] as? String
        }

        /// The decoded `Data` of a Chainloop webhook body.
        var data: Data? {
            ((try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["Data"] as? String).flatMap { Data(base64Encoded: $0) }
        }
    }

    /// Chooses the response status for a request, given how many requests arrived before it.
    typealias Script = @Sendable (_ request: HTTPRequest, _ index: Int) async -> (status: Int, headers: HTTPHeaders)

    let server: HTTPServer
    private let boxed: ReceivedBox

    /// `http://127.0.0.1:PORT/hook`.
    var url: String { "http://127.0.0.1:\(server.port)/hook" }

    init(script: @escaping Script = { _, _ in (200, [:]) }) throws {
        let box = ReceivedBox()
        var router = Router(errorResponse: { _, _ in HTTPResponse(status: 500) })
        router.add(.post, "/hook") { request in
            let arrivedAt = ContinuousClock.now
            let index = box.reserveIndex()
            let (status, headers) = await script(request, index)
            box.append(
                Received(
                    path: request.path, headers: request.headers, body: request.body, status: status, arrivedAt: arrivedAt,
                    respondedAt: .now
                ))
            return HTTPResponse(status: status, headers: headers)
        }
        server = try HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: 64 << 20),
            responder: router,
            logger: .disabled
        )
        boxed = box
    }

    /// Everything received so far, in arrival order.
    var requests: [Received] { boxed.all }

    /// Serves while `body` runs.
    func serving<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.server.run()
                return nil
            }
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

    /// Verifies the Standard Webhooks signature of every request received so far with `secret`; returns the failures.
    func unverifiedRequests(secret: String) throws -> [Received] {
        let verifier = try StandardWebhookVerifier(secret: secret, tolerance: .seconds(3_600))
        return requests.filter { request in
            do {
                try verifier.verify(
                    id: request.headers["webhook-id"],
                    timestamp: request.headers["webhook-timestamp"],
                    signatures: request.headers["webhook-signature"],
                    body: request.body,
                    now: Date()
                )
                return false
            } catch {
                return true
            }
        }
    }
}

/// The sink's records, appended from request handlers.
final class ReceivedBox: Sendable {
    private let records = Mutex<[RecordingSink.Received]>([])
    private let arrivals = Mutex(0)

    /// The number of requests that arrived before this one.
    func reserveIndex() -> Int {
        arrivals.withLock { count in
            defer { count += 1 }
            return count
        }
    }
    var all: [RecordingSink.Received] { records.withLock { $0 } }

    func append(_ record: RecordingSink.Received) { records.withLock { $0.append(record) } }
}
