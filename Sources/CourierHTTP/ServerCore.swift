import CMicroHTTPD
import CourierLogging
import Foundation
import Synchronization

/// The part of the server that libmicrohttpd's callbacks reach: it turns connections into `RequestContext`s,
/// hands complete requests to Swift through an `AsyncStream`, and sends the answers back.
final class ServerCore: Sendable {
    /// Requests handed to Swift and not answered yet, and whether new ones are still taken.
    private struct Registry {
        var acceptingRequests = true
        var unanswered: [ObjectIdentifier: RequestContext] = [:]
    }

    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    /// Complete requests waiting for a Swift task; `HTTPServer.run()` consumes it.
    let requests: AsyncStream<PendingRequest>
    let inFlight = InFlightRequests()
    private let requestContinuation: AsyncStream<PendingRequest>.Continuation
    private let registry = Mutex(Registry())

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        (requests, requestContinuation) = AsyncStream.makeStream(of: PendingRequest.self, bufferingPolicy: .unbounded)
    }

    // MARK: - Called from Swift

    /// Computes the answer to one request and resumes its connection. Runs in a child task of `run()`.
    func answer(_ context: RequestContext, request: HTTPRequest) async {
        let response =
            if context.streamsBody {
                await responder.respond(to: request, body: HTTPRequestBody(context: context))
            } else {
                await responder.respond(to: request)
            }
        // A false result means another answer went out first (a 413 while streaming, or shutdown's 503).
        _ = context.deliver(response)
        _ = registry.withLock { $0.unanswered.removeValue(forKey: ObjectIdentifier(context)) }
    }

    /// Refuses new requests from now on (they get 503) and ends the request stream.
    func stopTakingRequests() {
        registry.withLock { $0.acceptingRequests = false }
        requestContinuation.finish()
    }

    /// Answers every request that is still waiting with `response`, and refuses new ones.
    func answerWaitingRequests(with response: HTTPResponse) {
        let waiting = registry.withLock { registry in
            registry.acceptingRequests = false
            defer { registry.unanswered.removeAll() }
            return Array(registry.unanswered.values)
        }
        for context in waiting where context.deliver(response) {
            context.logger.warning("Request answered 503 by shutdown before its handler answered", ["http.path": context.rawPath])
        }
    }

    // MARK: - Called from libmicrohttpd's threads

    /// libmicrohttpd's access handler: called once with the headers, once per body chunk, once at the end of the
    /// body, and once more after the connection is resumed.
    ///
    /// A buffered body is collected here and the request goes to Swift after its last byte. A streamed body's request
    /// goes to Swift with the headers; its chunks follow through the context while the handler runs.
    func handleAccess(
        connection: OpaquePointer,
        url: UnsafePointer<CChar>,
        method: UnsafePointer<CChar>,
        uploadData: UnsafePointer<CChar>?,
        uploadDataSize: UnsafeMutablePointer<Int>,
        connectionContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let existing = connectionContext.pointee else {
            let context = startRequest(connection: connection, url: url, method: method)
            connectionContext.pointee = Unmanaged.passRetained(context).toOpaque()
            inFlight.begin()
            // Early refusals are sent before reading the body; libmicrohttpd then closes the connection.
            if let refusal = refusalBeforeBody(for: context) { return send(refusal, for: context) }
            if context.streamsBody { return dispatch(context) }
            // Answer on a later call: answering on the first one makes libmicrohttpd drop keep-alive.
            return .YES
        }
        let context = Unmanaged<RequestContext>.fromOpaque(existing).takeUnretainedValue()

        if uploadDataSize.pointee > 0 {
            let chunk = UnsafeRawBufferPointer(start: uploadData, count: uploadDataSize.pointee)
            uploadDataSize.pointee = 0
            guard context.streamsBody else {
                context.receive(chunk)
                return .YES
            }
            context.enqueueBodyChunk(chunk)
            return .YES
        }
        if context.streamsBody && context.streamedBodyExceededLimit {
            return send(Self.payloadTooLarge(limit: context.bodyLimit), for: context)
        }
        if let answer = context.takeAnswer() { return send(answer, for: context) }
        guard context.isReceiving else { return .YES }
        if context.streamsBody {
            context.completeStreamedBody()
            return .YES
        }
        if context.bodyExceededLimit { return send(Self.payloadTooLarge(limit: context.bodyLimit), for: context) }
        return dispatch(context)
    }

    /// libmicrohttpd's request-completed callback: the response went out (or the connection died).
    func requestCompleted(connectionContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let pointer = connectionContext?.pointee else { return }
        connectionContext?.pointee = nil
        let context = Unmanaged<RequestContext>.fromOpaque(pointer).takeRetainedValue()
        context.markConnectionClosed()
        inFlight.end()
    }

    private func startRequest(connection: OpaquePointer, url: UnsafePointer<CChar>, method: UnsafePointer<CChar>) -> RequestContext {
        let methodName = String(cString: method)
        let rawPath = String(cString: url)
        let path = URLDecoding.percentDecoded(rawPath)
        var bodyLimit = configuration.maxBodyBytes
        var streamsBody = false
        if let method = HTTPMethod(rawValue: methodName), path != nil {
            switch responder.bodyMode(method: method, rawPath: rawPath) {
            case .buffered:
                bodyLimit = configuration.bodyLimit(method: method, path: path ?? rawPath)
            case .streamed(let limit):
                bodyLimit = limit
                streamsBody = true
            }
        }
        return RequestContext(
            connection: connection,
            methodName: methodName,
            rawPath: rawPath,
            path: path,
            headers: Self.values(of: .HEADER_KIND, on: connection),
            bodyLimit: bodyLimit,
            streamsBody: streamsBody,
            logger: logger
        )
    }

    private func refusalBeforeBody(for context: RequestContext) -> HTTPResponse? {
        guard HTTPMethod(rawValue: context.methodName) != nil else {
            let allowList = HTTPMethod.allCases.map(\.rawValue).joined(separator: ", ")
            return .jsonError(
                status: 405,
                code: "invalid_argument",
                message: "The method \(context.methodName) is not supported; use one of \(allowList).",
                headers: ["Allow": allowList]
            )
        }
        guard context.path != nil else {
            return .jsonError(status: 400, code: "invalid_argument", message: "The request path has a malformed percent-escape.")
        }
        if let declaredLength = context.headers["Content-Length"].flatMap(Int.init), declaredLength > context.bodyLimit {
            return Self.payloadTooLarge(limit: context.bodyLimit)
        }
        return nil
    }

    /// Builds the request and yields it to `run()`; for a buffered body, the connection is suspended until the answer.
    private func dispatch(_ context: RequestContext) -> MHD_Result {
        guard let method = HTTPMethod(rawValue: context.methodName), let path = context.path else { return .NO }
        var query: [String: String] = [:]
        for (name, value) in Self.values(of: .GET_ARGUMENT_KIND, on: context.connection) {
            let decodedName = URLDecoding.percentDecoded(name) ?? name
            if query[decodedName] == nil { query[decodedName] = URLDecoding.percentDecoded(value) ?? value }
        }
        let request = HTTPRequest(
            method: method,
            path: path,
            query: query,
            headers: context.headers,
            body: context.body,
            id: context.id,
            rawPath: context.rawPath
        )
        let registered = registry.withLock { registry in
            guard registry.acceptingRequests else { return false }
            registry.unanswered[ObjectIdentifier(context)] = context
            if !context.streamsBody { context.awaitAnswer() }
            return true
        }
        guard registered else { return send(Self.shuttingDown, for: context) }
        // If the stream has already ended, the context stays registered and shutdown answers it.
        requestContinuation.yield(PendingRequest(context: context, request: request))
        return .YES
    }

    /// Queues `response` on the connection, with the request id, and logs the outcome.
    private func send(_ response: HTTPResponse, for context: RequestContext) -> MHD_Result {
        context.markResponded()
        let metadata = [
            "http.method": context.methodName,
            "http.path": context.path ?? context.rawPath,
            "http.status": String(response.status),
            "http.duration_ms": String(context.startedAt.duration(to: .now).milliseconds),
        ]
        if response.status >= 500 {
            context.logger.error("Request failed", metadata)
        } else {
            context.logger.debug("Request handled", metadata)
        }

        let mhdResponse =
            if let stream = response.stream {
                StreamedResponseBody.makeResponse(stream)
            } else {
                response.body.withUnsafeBytes { bytes in
                    MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
                }
            }
        guard let mhdResponse else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for (name, value) in response.headers where !Self.headersSetByServer.contains(name.lowercased()) {
            MHD_add_response_header(mhdResponse, name, value)
        }
        MHD_add_response_header(mhdResponse, "X-Request-Id", context.id)
        return MHD_queue_response(context.connection, UInt32(clamping: response.status), mhdResponse)
    }

    /// Framing headers libmicrohttpd computes itself; a handler's copies would conflict.
    private static let headersSetByServer: Set<String> = ["content-length", "transfer-encoding", "x-request-id"]

    private static func values(of kind: MHD_ValueKind, on connection: OpaquePointer) -> HTTPHeaders {
        var collected = HTTPHeaders()
        withUnsafeMutablePointer(to: &collected) { collectedPointer in
            _ = MHD_get_connection_values(
                connection,
                kind,
                { target, _, name, value in
                    guard let target, let name else { return .YES }
                    target.assumingMemoryBound(to: HTTPHeaders.self).pointee
                        .add(String(cString: name), value.map { String(cString: $0) } ?? "")
                    return .YES
                },
                collectedPointer
            )
        }
        return collected
    }

    static func payloadTooLarge(limit: Int) -> HTTPResponse {
        .jsonError(
            status: 413,
            code: "payload_too_large",
            message: "The request body is larger than the limit of \(limit) bytes; send a smaller body."
        )
    }

    /// The answer to requests that arrive, or are still unanswered, while the server shuts down.
    static let shuttingDown: HTTPResponse = .jsonError(
        status: 503,
        code: "unavailable",
        message: "The server is shutting down; retry the request.",
        headers: ["Connection": "close"]
    )
}

/// A complete request on its way from libmicrohttpd's thread to the task that answers it.
struct PendingRequest: Sendable {
    let context: RequestContext
    let request: HTTPRequest
}

/// libmicrohttpd's access handler; forwards to the `ServerCore` passed as its context.
let courierAccessHandler: MHD_AccessHandlerCallback = { core, connection, url, method, _, uploadData, uploadDataSize, connectionContext in
    guard let core, let connection, let url, let method, let uploadDataSize, let connectionContext else { return .NO }
    return Unmanaged<ServerCore>.fromOpaque(core).takeUnretainedValue().handleAccess(
        connection: connection,
        url: url,
        method: method,
        uploadData: uploadData,
        uploadDataSize: uploadDataSize,
        connectionContext: connectionContext
    )
}

/// libmicrohttpd's request-completed callback; forwards to the `ServerCore` passed as its context.
let courierRequestCompleted: MHD_RequestCompletedCallback = { core, _, connectionContext, _ in
    guard let core else { return }
    Unmanaged<ServerCore>.fromOpaque(core).takeUnretainedValue().requestCompleted(connectionContext: connectionContext)
}
