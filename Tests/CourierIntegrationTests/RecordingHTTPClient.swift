import CourierHTTPClient
import CourierIntegrationKit
import Synchronization

/// An ``HTTPClient`` that records every request before passing it on, so tests can count what was sent.
final class RecordingHTTPClient: HTTPClient {
    private let next: any HTTPClient
    private let recorded = Mutex<[OutboundHTTPRequest]>([])

    init(_ next: any HTTPClient = LiveHTTPClient()) {
        self.next = next
    }

    var requests: [OutboundHTTPRequest] { recorded.withLock { $0 } }

    func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
        recorded.withLock { $0.append(request) }
        return try await next.send(request)
    }
}
