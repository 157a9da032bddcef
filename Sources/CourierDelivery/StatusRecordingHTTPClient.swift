import CourierIntegrationKit
import Synchronization

/// Passes requests through and remembers the status of the last response, so the attempt record can show it.
final class StatusRecordingHTTPClient: HTTPClient {
    private let inner: any HTTPClient
    private let lastStatus = Mutex<Int?>(nil)

    init(_ inner: any HTTPClient) {
        self.inner = inner
    }

    /// The status of the last response received, if any.
    var status: Int? { lastStatus.withLock { $0 } }

    func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
        let response = try await inner.send(request)
        lastStatus.withLock { $0 = response.status }
        return response
    }
}
