import Foundation

/// An HTTP request method.
public enum HTTPMethod: String, Sendable, Hashable, CaseIterable {
    case get = "GET"
    case head = "HEAD"
    case post = "POST"
    case put = "PUT"
    case patch = "PATCH"
    case delete = "DELETE"
    case options = "OPTIONS"
}

/// Request or response header fields, matched case-insensitively, in arrival order.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    private var fields: [(name: String, value: String)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    /// Appends a field.
    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field named `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        fields.removeAll { Self.namesMatch($0.name, name) }
        fields.append((name, value))
    }

    /// The first value of the field named `name`.
    public subscript(name: String) -> String? {
        fields.first { Self.namesMatch($0.name, name) }?.value
    }

    /// Whether two field names are equal ignoring ASCII case (field names are ASCII tokens, RFC 9110 §5.1).
    private static func namesMatch(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count
            && zip(lhs.utf8, rhs.utf8).allSatisfy { left, right in
                left == right || (left | 0x20 == right | 0x20 && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(left | 0x20))
            }
    }

    public func makeIterator() -> some IteratorProtocol<(name: String, value: String)> { fields.makeIterator() }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for field in fields {
            hasher.combine(field.name)
            hasher.combine(field.value)
        }
    }
}

/// A request as the router sees it: the body is fully received and within the size limit.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The path without the query string, percent-decoded, e.g. `/v1/workflows`.
    public var path: String
    /// The path as it arrived, still percent-encoded. The router splits this one into segments, so that an encoded
    /// `/` (`%2F`) stays inside its path parameter.
    public var rawPath: String
    /// Query parameters, percent-decoded.
    public var query: [String: String]
    public var headers: HTTPHeaders
    public var body: Data
    /// A unique id for this request, echoed in the `X-Request-Id` response header and in log lines.
    public var id: String
    /// Path parameters captured by the matched route (`{name}` segments).
    public var pathParameters: [String: String]

    public init(
        method: HTTPMethod,
        path: String,
        query: [String: String] = [:],
        headers: HTTPHeaders = [:],
        body: Data = Data(),
        id: String = UUID().uuidString.lowercased(),
        pathParameters: [String: String] = [:],
        rawPath: String? = nil
    ) {
        self.method = method
        self.path = path
        self.rawPath = rawPath ?? path
        self.query = query
        self.headers = headers
        self.body = body
        self.id = id
        self.pathParameters = pathParameters
    }
}

/// A response: its body is either in memory (`body`) or produced piece by piece while it is sent (`stream`).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The body, when it is in memory; ignored when `stream` is set.
    public var body: Data
    /// A body read while it is sent, so that a large file is never held in memory; `nil` sends `body`.
    public var stream: HTTPResponseStream?

    public init(status: Int, headers: HTTPHeaders = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body of exactly `length` bytes is read from `source` while it is sent.
    public init(status: Int, headers: HTTPHeaders = [:], length: Int64, source: any HTTPBodySource) {
        self.init(status: status, headers: headers)
        self.stream = HTTPResponseStream(length: length, source: source)
    }
}

/// A response body read while it is sent.
public struct HTTPResponseStream: Sendable {
    /// The exact number of bytes `source` yields; sent as `Content-Length`.
    public var length: Int64
    public var source: any HTTPBodySource
}

/// Yields a response body in chunks, on the server's network thread, as the client takes them.
///
/// The server calls `nextChunk()` until it returns `nil`, then `close()`; it calls `close()` alone when the body is
/// not needed (a `HEAD` request) or the client went away. Reads should be quick and local, such as from a file.
public protocol HTTPBodySource: Sendable {
    /// The next bytes of the body, or `nil` at its end. A thrown error aborts the response (the connection is closed).
    func nextChunk() throws -> Data?
    /// Releases what the source holds, such as a file descriptor. Called exactly once.
    func close()
}

/// How the server hands a request's body to its responder.
public enum HTTPBodyMode: Sendable, Equatable {
    /// Received whole, up to the configured limit, and passed as `HTTPRequest.body`.
    case buffered
    /// Passed as an `HTTPRequestBody` while it arrives; more than `limit` bytes are answered with 413.
    case streamed(limit: Int)
}

/// Something that answers requests: a router, a middleware chain or a test double.
public protocol HTTPResponder: Sendable {
    /// Produces the response to `request`. Errors are turned into responses by the caller's error
    /// handling; a responder should not throw for expected failures.
    func respond(to request: HTTPRequest) async -> HTTPResponse

    /// How the body of a request for `method` and `rawPath` (still percent-encoded, without the query) is received.
    /// By default every body is buffered.
    func bodyMode(method: HTTPMethod, rawPath: String) -> HTTPBodyMode

    /// Produces the response to a request whose body arrives as `body` (`request.body` is empty). Called only for
    /// requests that `bodyMode(method:rawPath:)` streams. By default it collects the body and calls `respond(to:)`.
    func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse
}

extension HTTPResponder {
    public func bodyMode(method: HTTPMethod, rawPath: String) -> HTTPBodyMode { .buffered }

    public func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        var collected = request
        do {
            collected.body = try await body.collect()
        } catch {
            // The server has already answered (413, or the client went away); this response is not sent.
            return HTTPResponse(status: 400)
        }
        return await respond(to: collected)
    }
}
