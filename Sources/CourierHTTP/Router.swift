import Foundation

/// Routes requests to handlers by method and path pattern.
///
/// Patterns are absolute paths whose segments are either literal (`workflows`) or a parameter in braces
/// (`{project}`). A parameter matches one non-empty segment; its percent-decoded value lands in
/// `HTTPRequest.pathParameters`. When several patterns match a path, literal segments win over parameters,
/// comparing segments from the left: `/v1/projects/default` beats `/v1/projects/{project}`.
///
/// A path that no pattern matches gets 404; a path that matches only under other methods gets 405 with an
/// `Allow` header. A `HEAD` request without its own route is served by the `GET` route (the server drops the body).
///
/// A route added with `addStreaming` receives its body as an `HTTPRequestBody` while it arrives, with a limit of its
/// own; the server asks `bodyMode(method:rawPath:)` before reading a body. Called through `respond(to:)` (in process),
/// such a handler gets `request.body` as a one-chunk stream.
///
/// Handlers may throw: the injected `errorResponse` closure turns the error into a response, so the HTTP layer
/// needs to know nothing about the domain's errors.
public struct Router: HTTPResponder {
    /// Answers one matched request.
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    /// Answers one matched request whose body streams in; `request.body` is empty.
    public typealias StreamingHandler = @Sendable (HTTPRequest, HTTPRequestBody) async throws -> HTTPResponse
    /// Turns an error thrown by a handler into a response.
    public typealias ErrorResponder = @Sendable (any Error, HTTPRequest) -> HTTPResponse
    /// Produces the response for a request that matched no route.
    public typealias UnmatchedResponder = @Sendable (RouteMiss, HTTPRequest) -> HTTPResponse

    /// Why a request matched no route.
    public enum RouteMiss: Sendable, Equatable {
        /// No pattern matches the path.
        case notFound
        /// Patterns match the path, but only for these methods.
        case methodNotAllowed(allowed: [HTTPMethod])
    }

    private enum RouteHandler: Sendable {
        case buffered(Handler)
        case streaming(StreamingHandler, bodyLimit: Int)
    }

    /// The outcome of looking a request up in the table.
    private enum Lookup {
        case matched(Route, parameters: [String: String])
        case missed(RouteMiss)
    }

    private struct Route: Sendable {
        var method: HTTPMethod
        var pattern: String
        var segments: [PatternSegment]
        var handler: RouteHandler
    }

    private enum PatternSegment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var table: [Route] = []
    private let errorResponse: ErrorResponder
    private let unmatchedResponse: UnmatchedResponder

    /// Creates an empty router.
    ///
    /// - Parameters:
    ///   - errorResponse: Maps an error thrown by a handler to a response.
    ///   - unmatchedResponse: Produces 404 and 405 responses; by default `Router.defaultUnmatchedResponse`.
    public init(
        errorResponse: @escaping ErrorResponder,
        unmatchedResponse: @escaping UnmatchedResponder = Router.defaultUnmatchedResponse
    ) {
        self.errorResponse = errorResponse
        self.unmatchedResponse = unmatchedResponse
    }

    /// Every registered route, in registration order, e.g. for checking them against the OpenAPI document.
    public var routes: [(method: HTTPMethod, pattern: String)] {
        table.map { (method: $0.method, pattern: $0.pattern) }
    }

    /// Registers `handler` for `method` on `pattern` (e.g. `/v1/projects/{project}/workflows/{name}`).
    ///
    /// Registering the same method and pattern twice, a pattern that does not start with `/`, or a pattern with an
    /// empty or repeated parameter name is a programming error and traps.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        register(method, pattern, .buffered(handler))
    }

    /// Registers `handler` for `method` on `pattern`, receiving the body while it arrives, up to `bodyLimit` bytes
    /// (a larger body is answered 413 and the handler's iteration throws). The same rules as `add` apply.
    public mutating func addStreaming(_ method: HTTPMethod, _ pattern: String, bodyLimit: Int, _ handler: @escaping StreamingHandler) {
        register(method, pattern, .streaming(handler, bodyLimit: bodyLimit))
    }

    private mutating func register(_ method: HTTPMethod, _ pattern: String, _ handler: RouteHandler) {
        let segments = Self.parse(pattern: pattern)
        precondition(
            !table.contains { $0.method == method && $0.segments == segments },
            "Route \(method.rawValue) \(pattern) is registered twice"
        )
        table.append(Route(method: method, pattern: pattern, segments: segments, handler: handler))
    }

    /// Answers `request` with the best matching route's handler, or a 404/405 response. A streaming route gets
    /// `request.body` as a one-chunk stream.
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        await respond(to: request, body: nil)
    }

    /// Streams the body of requests for streaming routes, with their limit; buffers the others.
    public func bodyMode(method: HTTPMethod, rawPath: String) -> HTTPBodyMode {
        guard case .matched(let route, _) = bestRoute(method: method, rawPath: rawPath),
            case .streaming(_, let bodyLimit) = route.handler
        else { return .buffered }
        return .streamed(limit: bodyLimit)
    }

    /// Answers a request whose body streams in; a buffered route gets the collected body.
    public func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        await respond(to: request, body: Optional(body))
    }

    private func respond(to request: HTTPRequest, body: HTTPRequestBody?) async -> HTTPResponse {
        let route: Route
        var matched = request
        switch bestRoute(method: request.method, rawPath: request.rawPath) {
        case .matched(let found, let parameters):
            route = found
            matched.pathParameters = parameters
        case .missed(let miss):
            return unmatchedResponse(miss, request)
        }
        do {
            switch route.handler {
            case .buffered(let handler):
                if let body { matched.body = try await body.collect() }
                return try await handler(matched)
            case .streaming(let handler, _):
                let streamed = body ?? HTTPRequestBody(matched.body)
                matched.body = Data()
                return try await handler(matched, streamed)
            }
        } catch {
            return errorResponse(error, matched)
        }
    }

    /// The most specific route for `method` and `rawPath`, with its path parameters, or why there is none.
    private func bestRoute(method: HTTPMethod, rawPath: String) -> Lookup {
        let pathSegments = Self.segments(of: rawPath).map { URLDecoding.percentDecoded($0) ?? $0 }
        var candidates: [(route: Route, parameters: [String: String], specificity: [Bool])] = []
        for route in table {
            if let parameters = Self.match(route.segments, against: pathSegments) {
                candidates.append((route, parameters, route.segments.map { if case .literal = $0 { true } else { false } }))
            }
        }
        guard !candidates.isEmpty else { return .missed(.notFound) }

        let forMethod = candidates.filter { $0.route.method == method }
        let usable = forMethod.isEmpty && method == .head ? candidates.filter { $0.route.method == .get } : forMethod
        guard let best = usable.max(by: { $0.specificity.lexicographicallyPrecedes($1.specificity) { !$0 && $1 } }) else {
            var allowed = Set(candidates.map(\.route.method))
            if allowed.contains(.get) { allowed.insert(.head) }
            return .missed(.methodNotAllowed(allowed: HTTPMethod.allCases.filter(allowed.contains)))
        }
        return .matched(best.route, parameters: best.parameters)
    }

    /// The documented default for unmatched requests: a JSON error body,
    /// `{"error":{"code":"not_found","message":"No route for GET /x; see /v1/openapi.json for the API."}}` with 404, or
    /// code `invalid_argument` with 405 and an `Allow` header listing the methods the path supports.
    public static let defaultUnmatchedResponse: UnmatchedResponder = { miss, request in
        switch miss {
        case .notFound:
            return .jsonError(
                status: 404,
                code: "not_found",
                message: "No route for \(request.method.rawValue) \(request.path); see /v1/openapi.json for the API."
            )
        case .methodNotAllowed(let allowed):
            let allowList = allowed.map(\.rawValue).joined(separator: ", ")
            return .jsonError(
                status: 405,
                code: "invalid_argument",
                message: "Method \(request.method.rawValue) is not allowed on \(request.path); use one of \(allowList).",
                headers: ["Allow": allowList]
            )
        }
    }

    // MARK: - Matching

    private static func parse(pattern: String) -> [PatternSegment] {
        precondition(pattern.hasPrefix("/"), "Route pattern \(pattern) must start with /")
        let segments = segments(of: pattern).map { segment -> PatternSegment in
            guard segment.hasPrefix("{"), segment.hasSuffix("}") else { return .literal(segment) }
            let name = String(segment.dropFirst().dropLast())
            precondition(!name.isEmpty, "Route pattern \(pattern) has an empty parameter name")
            return .parameter(name)
        }
        let names = segments.compactMap { if case .parameter(let name) = $0 { name } else { nil } }
        precondition(Set(names).count == names.count, "Route pattern \(pattern) repeats a parameter name")
        return segments
    }

    /// The segments after the leading `/`; a trailing `/` yields a final empty segment, so `/a/` does not match `/a`.
    private static func segments(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
    }

    /// The route parameters when `pattern` matches the percent-decoded path segments `path`.
    private static func match(_ pattern: [PatternSegment], against path: [String]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (patternSegment, decoded) in zip(pattern, path) {
            switch patternSegment {
            case .literal(let literal):
                guard literal == decoded else { return nil }
            case .parameter(let name):
                guard !decoded.isEmpty else { return nil }
                parameters[name] = decoded
            }
        }
        return parameters
    }
}
