import Foundation

/// The way integrations reach the network. Courier injects a live client through ``IntegrationContext``;
/// tests inject a fake, so no integration touches the network directly.
public protocol HTTPClient: Sendable {
    /// Sends `request` and returns the response, whatever its status.
    ///
    /// - Throws: ``HTTPClientError`` when no response arrives (connection, TLS or timeout failure).
    func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse
}

/// A request an integration sends to a remote service.
public struct OutboundHTTPRequest: Sendable, Hashable {
    /// The request method.
    public var method: String
    /// The absolute URL.
    public var url: URL
    /// Header fields in order; names may repeat.
    public var headers: [HTTPHeaderField]
    /// The body, if any.
    public var body: Data?
    /// How long to wait for the whole exchange.
    public var timeout: Duration

    /// Creates a request.
    public init(
        method: String, url: URL, headers: [HTTPHeaderField] = [], body: Data? = nil, timeout: Duration = .seconds(10)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// What a remote service answered.
public struct OutboundHTTPResponse: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// Header fields in order.
    public var headers: [HTTPHeaderField]
    /// The body.
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: [HTTPHeaderField] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// One header line.
public struct HTTPHeaderField: Sendable, Hashable {
    /// The field name.
    public var name: String
    /// The field value.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A request that got no response.
public enum HTTPClientError: Error, Sendable, Hashable {
    /// The request's timeout elapsed.
    case timedOut
    /// The connection (DNS, TCP, TLS) failed; the text explains how, without secrets.
    case connectionFailed(String)
}
