import CourierCore
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
public struct OutboundHTTPRequest: Sendable {
    /// The request method.
    public var method: String
    /// The absolute URL.
    public var url: URL
    /// Header fields in order; names may repeat.
    public var headers: [HTTPHeaderField]
    /// The body, if any.
    public var body: OutboundHTTPBody?
    /// How long to wait for the whole exchange.
    public var timeout: Duration

    /// Creates a request.
    public init(
        method: String, url: URL, headers: [HTTPHeaderField] = [], body: OutboundHTTPBody? = nil,
        timeout: Duration = .seconds(10)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// Creates a request whose body, if any, is in memory.
    public init(method: String, url: URL, headers: [HTTPHeaderField] = [], body: Data?, timeout: Duration = .seconds(10)) {
        self.init(method: method, url: url, headers: headers, body: body.map(OutboundHTTPBody.bytes), timeout: timeout)
    }
}

/// A request body: bytes in memory, or a stream read while the request is sent, so that large content is never
/// held in memory whole.
public enum OutboundHTTPBody: Sendable {
    /// Bytes in memory.
    case bytes(Data)
    /// Bytes read from a stream of known length.
    case stream(HTTPBodyStream)

    /// The length in bytes (the `Content-Length`).
    public var length: Int64 {
        switch self {
        case .bytes(let data): Int64(data.count)
        case .stream(let stream): stream.length
        }
    }

    /// All the bytes, reading a stream to its end: for small bodies and test doubles, never for large content.
    ///
    /// - Throws: What the stream throws when opened or read.
    public func collect() throws -> Data {
        switch self {
        case .bytes(let data): data
        case .stream(let stream): try stream.collect()
        }
    }
}

/// Bytes of a known length that can be read, from the start, as often as needed (a redirect or a second pass re-reads
/// them): each ``open()`` returns a fresh reader.
public struct HTTPBodyStream: Sendable {
    /// The number of bytes every reader yields.
    public let length: Int64
    private let makeReader: @Sendable () throws -> any ContentReader

    /// A stream of `length` bytes read from the readers `open` returns.
    public init(length: Int64, open: @escaping @Sendable () throws -> any ContentReader) {
        self.length = length
        self.makeReader = open
    }

    /// A stream over bytes already in memory.
    public init(_ data: Data) {
        self.init(length: Int64(data.count)) { DataReader(data) }
    }

    /// A new reader positioned at the first byte; the caller closes it.
    public func open() throws -> any ContentReader {
        try makeReader()
    }

    /// All the bytes; for small streams and test doubles.
    ///
    /// - Throws: What opening or reading throws.
    public func collect() throws -> Data {
        let reader = try open()
        defer { reader.close() }
        return try reader.readToEnd()
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

/// A request that got no response. Messages name at most the destination's host and port: never its path, query or
/// user info, which may carry secrets.
public enum HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The request's timeout elapsed.
    case timedOut
    /// The host could not be resolved, refused the connection or was unreachable; the text explains how.
    case connectionFailed(String)
    /// The TLS handshake failed (untrusted or expired certificate, protocol mismatch); the text explains how.
    case tlsFailed(String)
    /// The egress policy refused the destination before any connection was made; the text says which address and why.
    case destinationRefused(String)
    /// Any other transport failure (connection reset mid-exchange, malformed response, cancellation).
    case transportFailed(String)

    /// Whether sending the same request again later may succeed: everything but a refused destination, which only a
    /// change of configuration can fix.
    public var isTransient: Bool {
        if case .destinationRefused = self { false } else { true }
    }

    public var description: String {
        switch self {
        case .timedOut: "the request timed out"
        case .connectionFailed(let message), .tlsFailed(let message), .destinationRefused(let message),
            .transportFailed(let message):
            message
        }
    }
}

extension OutboundHTTPResponse {
    /// Whether the status says "try again later": 408, 425, 429 and every 5xx (product spec §4.3).
    public var isTransientFailure: Bool {
        [408, 425, 429].contains(status) || (500..<600).contains(status)
    }

    /// How long the `Retry-After` header asks to wait, as delay-seconds or as an HTTP-date relative to `now`;
    /// `nil` when the header is absent or unparsable. A date in the past gives zero.
    public func retryAfter(now: Date) -> Duration? {
        guard let value = header("Retry-After")?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int64(value) { return seconds >= 0 ? .seconds(seconds) : nil }
        guard let date = Self.httpDate(value) else { return nil }
        return .seconds(max(0, Int64(date.timeIntervalSince(now).rounded(.up))))
    }

    /// Parses the preferred IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850 and asctime
    /// forms that RFC 9110 §5.6.7 requires recipients to accept.
    private static func httpDate(_ text: String) -> Date? {
        let formats = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"]
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
