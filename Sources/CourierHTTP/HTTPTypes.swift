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
        fields.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        fields.append((name, value))
    }

    /// The first value of the field named `name`.
    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
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

/// A response with its whole body in memory.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Something that answers requests: a router, a middleware chain or a test double.
public protocol HTTPResponder: Sendable {
    /// Produces the response to `request`. Errors are turned into responses by the caller's error
    /// handling; a responder should not throw for expected failures.
    func respond(to request: HTTPRequest) async -> HTTPResponse
}
