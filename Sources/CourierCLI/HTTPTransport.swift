import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP request as the API client builds it.
public struct TransportRequest: Sendable, Equatable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    /// A file whose bytes are the body, streamed from disk rather than held in memory; used instead of `body`.
    public var bodyFile: URL?

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil, bodyFile: URL? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
    }
}

/// One HTTP response.
public struct TransportResponse: Sendable, Equatable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data = Data()) {
        self.status = status
        self.body = body
    }
}

/// Why a request got no response.
public enum TransportError: Error, Sendable, Equatable {
    /// Nothing accepted the connection (refused, unknown host, network down).
    case cannotConnect
    /// The server accepted the request but did not answer in time.
    case timedOut(seconds: Int)
    /// Any other failure, described in a few words.
    case failed(String)
}

/// Sends requests to the server; tests substitute a fake.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the response, whatever its status; throws ``TransportError`` when there is none.
    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse
}

/// ``HTTPTransport`` over `URLSession`, with a per-request timeout; a ``TransportRequest/bodyFile`` is uploaded from disk.
public struct URLSessionTransport: HTTPTransport {
    /// Seconds to wait for the server to answer.
    public var timeoutSeconds: Int

    public init(timeoutSeconds: Int = 30) {
        self.timeoutSeconds = timeoutSeconds
    }

    public func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        var urlRequest = URLRequest(url: request.url, timeoutInterval: TimeInterval(timeoutSeconds))
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        for (name, value) in request.headers {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = TimeInterval(timeoutSeconds)
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (data, response) =
                if let bodyFile = request.bodyFile {
                    try await session.upload(for: urlRequest, fromFile: bodyFile)
                } else {
                    try await session.data(for: urlRequest)
                }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return TransportResponse(status: status, body: data)
        } catch let error as URLError {
            switch error.code {
            case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet, .networkConnectionLost:
                throw .cannotConnect
            case .timedOut:
                throw .timedOut(seconds: timeoutSeconds)
            default:
                throw .failed(error.localizedDescription)
            }
        } catch {
            throw .failed(error.localizedDescription)
        }
    }
}
