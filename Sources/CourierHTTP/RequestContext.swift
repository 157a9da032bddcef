import CMicroHTTPD
import CourierLogging
import Foundation
import Synchronization

/// One request's state between libmicrohttpd's access-handler calls and the Swift task that answers it.
///
/// `@unchecked Sendable` is safe because of a strict hand-over: the stored `var`s (the buffered body) are written only
/// by the libmicrohttpd thread that owns the connection (libmicrohttpd never processes one connection on two threads
/// at once), and only before the context is yielded to the request stream; the answering task reads them after that
/// hand-over (the stream's lock orders the accesses). Everything shared after the hand-over — the phase, a streamed
/// body's chunks, whether the connection is suspended or closed — is in `state`, behind a mutex.
final class RequestContext: @unchecked Sendable {
    /// Where the exchange stands.
    enum Phase {
        /// Headers or body are still arriving (for a streamed body, possibly while the handler already runs).
        case receiving
        /// The body is complete and the connection is suspended while a Swift task computes the answer.
        case awaitingAnswer
        /// The answer is ready; libmicrohttpd will call the access handler again to send it.
        case answered(HTTPResponse)
        /// The response was handed to libmicrohttpd.
        case responded
    }

    /// How a streamed body ended.
    enum BodyEnd: Equatable {
        case complete
        case failed(HTTPRequestBodyError)
    }

    /// Everything the libmicrohttpd thread and the answering task share.
    struct State {
        var phase = Phase.receiving
        /// Whether this context has suspended the connection (and not resumed it yet).
        var isConnectionSuspended = false
        /// Set by the request-completed callback: the connection must not be touched any more.
        var isConnectionClosed = false
        /// Streamed bodies only: chunks received and not yet taken by the handler.
        var pendingChunks: [Data] = []
        var receivedBytes = 0
        var bodyEnd: BodyEnd?
        /// The handler's `next()` waiting for a chunk.
        var chunkWaiter: CheckedContinuation<Data?, any Error>?

        /// Ends a streamed body once; a failure drops the chunks the handler has not taken.
        mutating func endBody(_ end: BodyEnd) {
            guard bodyEnd == nil else { return }
            bodyEnd = end
            if case .failed = end { pendingChunks.removeAll() }
            guard let waiter = chunkWaiter else { return }
            chunkWaiter = nil
            switch end {
            case .complete: waiter.resume(returning: nil)
            case .failed(let error): waiter.resume(throwing: error)
            }
        }
    }

    /// A streamed body pauses the connection once this many chunks wait for the handler, and resumes it when
    /// fewer than half of them are left.
    static let pendingChunkLimit = 4

    let connection: OpaquePointer
    let startedAt = ContinuousClock.now
    let id: String
    let logger: Logger
    /// The method as sent, which may be one `HTTPMethod` does not know.
    let methodName: String
    let rawPath: String
    /// The percent-decoded path, or nil when its percent-encoding is malformed.
    let path: String?
    let headers: HTTPHeaders
    let bodyLimit: Int
    /// True when the handler receives the body as an `HTTPRequestBody` while it arrives.
    let streamsBody: Bool
    /// The buffered body (never used when `streamsBody`).
    private(set) var body = Data()
    /// Set once a buffered body outgrew `bodyLimit`; later chunks are dropped, not buffered.
    private(set) var bodyExceededLimit = false
    private let state = Mutex(State())

    init(
        connection: OpaquePointer,
        methodName: String,
        rawPath: String,
        path: String?,
        headers: HTTPHeaders,
        bodyLimit: Int,
        streamsBody: Bool,
        logger: Logger
    ) {
        self.connection = connection
        self.methodName = methodName
        self.rawPath = rawPath
        self.path = path
        self.headers = headers
        self.bodyLimit = bodyLimit
        self.streamsBody = streamsBody
        self.id = RequestIdentifier.accept(headers["X-Request-Id"])
        self.logger = logger.with("request.id", id)
    }

    // MARK: - libmicrohttpd's thread

    /// Appends a chunk of a buffered body, or drops it (and whatever was buffered) once the body is over the limit.
    func receive(_ chunk: UnsafeRawBufferPointer) {
        guard !bodyExceededLimit else { return }
        guard body.count + chunk.count <= bodyLimit else {
            bodyExceededLimit = true
            body = Data()
            return
        }
        body.append(contentsOf: chunk)
    }

    /// Hands a chunk of a streamed body to the handler, and suspends the connection while the handler is behind.
    ///
    /// libmicrohttpd accepts a response only once the whole body is in, so a body the handler no longer reads
    /// (it answered early, or the body went over the limit) is drained and dropped until then.
    func enqueueBodyChunk(_ chunk: UnsafeRawBufferPointer) {
        let data = Data(chunk)
        state.withLock { state in
            guard state.bodyEnd == nil else { return }
            state.receivedBytes += data.count
            guard state.receivedBytes <= bodyLimit else {
                state.endBody(.failed(.tooLarge(limit: bodyLimit)))
                // libmicrohttpd may call again in the round that suspended the connection: keep draining.
                if state.isConnectionSuspended {
                    state.isConnectionSuspended = false
                    MHD_resume_connection(connection)
                }
                return
            }
            if let waiter = state.chunkWaiter {
                state.chunkWaiter = nil
                waiter.resume(returning: data)
            } else {
                state.pendingChunks.append(data)
            }
            if state.pendingChunks.count >= Self.pendingChunkLimit && !state.isConnectionSuspended {
                MHD_suspend_connection(connection)
                state.isConnectionSuspended = true
            }
        }
    }

    /// True once a streamed body went over `bodyLimit`; it is answered 413 whatever the handler says.
    var streamedBodyExceededLimit: Bool {
        state.withLock { $0.bodyEnd == .failed(.tooLarge(limit: bodyLimit)) }
    }

    /// The whole streamed body has arrived: tells the handler, and suspends the connection until the answer is ready
    /// (unless it already is).
    func completeStreamedBody() {
        state.withLock { state in
            state.endBody(.complete)
            suspendUntilAnswered(&state)
        }
    }

    /// Suspends the connection until `deliver(_:)` brings the answer, atomically with respect to `deliver(_:)`, so
    /// that a resume can never overtake its suspend.
    func awaitAnswer() {
        state.withLock { suspendUntilAnswered(&$0) }
    }

    private func suspendUntilAnswered(_ state: inout State) {
        guard case .receiving = state.phase else { return }
        state.phase = .awaitingAnswer
        if !state.isConnectionSuspended {
            MHD_suspend_connection(connection)
            state.isConnectionSuspended = true
        }
    }

    /// The stored answer, once; after this the context counts as responded.
    func takeAnswer() -> HTTPResponse? {
        state.withLock { state in
            guard case .answered(let response) = state.phase else { return nil }
            state.phase = .responded
            return response
        }
    }

    /// True while headers or body are still arriving (as opposed to waiting for, or having, an answer).
    var isReceiving: Bool {
        state.withLock { if case .receiving = $0.phase { true } else { false } }
    }

    /// Marks a response queued directly by the libmicrohttpd thread (an early error, a 413, a shutdown refusal).
    func markResponded() {
        state.withLock { state in
            state.phase = .responded
            state.endBody(.failed(.interrupted))
        }
    }

    /// The request-completed callback ran: the connection is gone, and a handler still reading the body fails.
    func markConnectionClosed() {
        state.withLock { state in
            state.isConnectionClosed = true
            state.endBody(.failed(.interrupted))
        }
    }

    // MARK: - The answering task

    /// The next chunk of a streamed body, or `nil` after the last one; waits while none has arrived. Taking a chunk
    /// resumes a connection paused for backpressure once few chunks are left.
    func nextBodyChunk() async throws -> Data? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data?, any Error>) in
            state.withLock { state in
                guard state.pendingChunks.isEmpty else {
                    let chunk = state.pendingChunks.removeFirst()
                    if case .receiving = state.phase, state.isConnectionSuspended, !state.isConnectionClosed,
                        state.pendingChunks.count < Self.pendingChunkLimit / 2
                    {
                        state.isConnectionSuspended = false
                        MHD_resume_connection(connection)
                    }
                    return continuation.resume(returning: chunk)
                }
                switch state.bodyEnd {
                case .complete: continuation.resume(returning: nil)
                case .failed(let error): continuation.resume(throwing: error)
                case nil: state.chunkWaiter = continuation
                }
            }
        }
    }

    /// Stores the answer and resumes the connection, if the request is still waiting for one; a streamed body still
    /// arriving is abandoned. Returns false when another answer got there first (a 413, or the shutdown's 503) or the
    /// connection is gone.
    func deliver(_ response: HTTPResponse) -> Bool {
        state.withLock { state in
            guard !state.isConnectionClosed else { return false }
            switch state.phase {
            case .awaitingAnswer: break
            case .receiving where streamsBody: break
            default: return false
            }
            state.phase = .answered(response)
            state.endBody(.failed(.interrupted))
            if state.isConnectionSuspended {
                state.isConnectionSuspended = false
                MHD_resume_connection(connection)
            }
            return true
        }
    }
}
