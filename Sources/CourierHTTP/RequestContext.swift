import CMicroHTTPD
import CourierLogging
import Foundation
import Synchronization

/// One request's state between libmicrohttpd's access-handler calls and the Swift task that answers it.
///
/// `@unchecked Sendable` is safe because of a strict hand-over: the stored `var`s are written only by the
/// libmicrohttpd thread that owns the connection (libmicrohttpd never processes one connection on two threads at
/// once), and only before the context is suspended and yielded to the request stream; the answering task reads
/// them after that hand-over (the stream's lock orders the accesses). The answer travels back through `phase`,
/// which is behind a mutex.
final class RequestContext: @unchecked Sendable {
    /// Where the exchange stands; guarded by `phase`.
    enum Phase {
        /// Headers or body are still arriving.
        case receiving
        /// The connection is suspended while a Swift task computes the answer.
        case suspended
        /// The answer is ready; libmicrohttpd will call the access handler again to send it.
        case answered(HTTPResponse)
        /// The response was handed to libmicrohttpd.
        case responded
    }

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
    private(set) var body = Data()
    /// Set once the body outgrew `bodyLimit`; later chunks are dropped, not buffered.
    private(set) var bodyExceededLimit = false
    private let phase = Mutex(Phase.receiving)

    init(connection: OpaquePointer, methodName: String, rawPath: String, headers: HTTPHeaders, bodyLimit: Int, logger: Logger) {
        self.connection = connection
        self.methodName = methodName
        self.rawPath = rawPath
        self.path = URLDecoding.percentDecoded(rawPath)
        self.headers = headers
        self.bodyLimit = bodyLimit
        self.id = RequestIdentifier.accept(headers["X-Request-Id"])
        self.logger = logger.with("request.id", id)
    }

    /// Appends a body chunk, or drops it (and whatever was buffered) once the body is over the limit.
    func receive(_ chunk: UnsafeRawBufferPointer) {
        guard !bodyExceededLimit else { return }
        guard body.count + chunk.count <= bodyLimit else {
            bodyExceededLimit = true
            body = Data()
            return
        }
        body.append(contentsOf: chunk)
    }

    /// Marks the context suspended and suspends the connection, atomically with respect to `deliver(_:)`,
    /// so that a resume can never overtake its suspend.
    func suspend() {
        phase.withLock { phase in
            phase = .suspended
            MHD_suspend_connection(connection)
        }
    }

    /// Stores the answer and resumes the connection, if the request is still waiting for one.
    /// Returns false when another answer got there first (for example the shutdown's 503).
    func deliver(_ response: HTTPResponse) -> Bool {
        phase.withLock { phase in
            guard case .suspended = phase else { return false }
            phase = .answered(response)
            MHD_resume_connection(connection)
            return true
        }
    }

    /// The stored answer, once; after this the context counts as responded.
    func takeAnswer() -> HTTPResponse? {
        phase.withLock { phase in
            guard case .answered(let response) = phase else { return nil }
            phase = .responded
            return response
        }
    }

    /// True while headers or body are still arriving (as opposed to waiting for, or having, an answer).
    var isReceiving: Bool {
        phase.withLock { if case .receiving = $0 { true } else { false } }
    }

    /// Marks a response queued directly by the libmicrohttpd thread (an early error or a shutdown refusal).
    func markResponded() {
        phase.withLock { $0 = .responded }
    }
}
