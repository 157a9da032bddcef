import CMicroHTTPD
import CourierLogging
import Dispatch
import Glibc
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd that hands each request to an `HTTPResponder`.
///
/// `init` binds the socket and starts libmicrohttpd's threads; `run()` answers requests until its task is cancelled,
/// then shuts down gracefully. Each request is answered in a child task of `run()`: libmicrohttpd suspends the
/// connection, the request travels through an `AsyncStream` to `run()`, and the answering task resumes it.
///
/// ```swift
/// let server = try HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), responder: router, logger: logger)
/// try await server.run()   // returns after the calling task is cancelled and in-flight requests are done
/// ```
public final class HTTPServer: Sendable {
    private enum Lifecycle {
        /// Accepting connections; requests queue up until `run()` consumes them.
        case started(daemon: OpaquePointer)
        /// `run()` is answering requests.
        case running(daemon: OpaquePointer)
        /// `run()` was cancelled: no new connections; in-flight requests finish until `deadline`.
        case draining(daemon: OpaquePointer, deadline: ContinuousClock.Instant, deadlineSweep: DispatchWorkItem)
        case stopped
    }

    /// The address listened on, as configured.
    public let host: String
    /// The port actually bound: the configured one, or the one picked when the configuration said 0.
    public let port: Int
    private let core: ServerCore
    private let listeningDescriptor: Int32
    private let lifecycle: Mutex<Lifecycle>

    /// Binds `configuration.host:configuration.port` and starts accepting connections.
    ///
    /// - Throws: `HTTPServerError.cannotListen` (e.g. "Cannot listen on 127.0.0.1:8080: address already in use.")
    ///   or `HTTPServerError.cannotStart`.
    public init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) throws {
        let (descriptor, boundPort) = try ListeningSocket.open(host: configuration.host, port: configuration.port)
        let core = ServerCore(configuration: configuration, responder: responder, logger: logger)
        let flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        let daemon = cmhd_start(
            UInt32(flags),
            descriptor,
            courierAccessHandler,
            Unmanaged.passUnretained(core).toOpaque(),
            courierRequestCompleted,
            Unmanaged.passUnretained(core).toOpaque(),
            UInt32(clamping: max(1, configuration.threadPoolSize)),
            UInt32(clamping: max(1, configuration.connectionTimeout.components.seconds)),
            max(1024, configuration.maxHeaderBytes),
            UInt32(clamping: max(1, configuration.connectionLimit))
        )
        guard let daemon else {
            close(descriptor)
            throw HTTPServerError.cannotStart(host: configuration.host, port: boundPort)
        }
        self.host = configuration.host
        self.port = boundPort
        self.core = core
        self.listeningDescriptor = descriptor
        self.lifecycle = Mutex(.started(daemon: daemon))
        logger.info("HTTP server listening", ["http.address": "\(configuration.host):\(boundPort)"])
    }

    deinit {
        // Only reached when `run()` never ran (it keeps `self` alive while running).
        guard case .started(let daemon) = lifecycle.withLock({ $0 }) else { return }
        core.answerWaitingRequests(with: ServerCore.shuttingDown)
        MHD_stop_daemon(daemon)
        close(listeningDescriptor)
    }

    /// Answers requests until the calling task is cancelled, then shuts down gracefully and returns:
    ///
    /// 1. stops accepting connections, and answers new requests on open connections with 503;
    /// 2. lets in-flight requests finish, for at most `drainTimeout`. Their handlers see `Task.isCancelled`;
    ///    a handler that ignores it still gets its response delivered. Requests still unanswered at the
    ///    timeout get 503, and `run()` returns once their handlers have returned too;
    /// 3. stops libmicrohttpd and closes the listening socket, so the port is free again.
    ///
    /// - Throws: `HTTPServerError.alreadyRun` if called a second time.
    public func run() async throws {
        try lifecycle.withLock { lifecycle in
            guard case .started(let daemon) = lifecycle else { throw HTTPServerError.alreadyRun }
            lifecycle = .running(daemon: daemon)
        }
        let core = self.core
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for await pending in core.requests {
                    group.addTask { await core.answer(pending.context, request: pending.request) }
                }
            }
        } onCancel: {
            beginShutdown()
        }
        await finishShutdown()
    }

    /// Stops accepting connections and arms the drain deadline. Safe to call more than once.
    @discardableResult
    private func beginShutdown() -> ContinuousClock.Instant {
        lifecycle.withLock { lifecycle in
            switch lifecycle {
            case .draining(_, let deadline, _):
                return deadline
            case .started(let daemon), .running(let daemon):
                _ = MHD_quiesce_daemon(daemon)
                core.stopTakingRequests()
                let deadline = ContinuousClock.now + core.configuration.drainTimeout
                let deadlineSweep = DispatchWorkItem { [core] in core.answerWaitingRequests(with: ServerCore.shuttingDown) }
                DispatchQueue.global().asyncAfter(deadline: .now() + core.configuration.drainTimeout.dispatchInterval, execute: deadlineSweep)
                lifecycle = .draining(daemon: daemon, deadline: deadline, deadlineSweep: deadlineSweep)
                core.logger.info("HTTP server draining", ["http.in_flight": String(core.inFlight.count)])
                return deadline
            case .stopped:
                return .now
            }
        }
    }

    /// Runs after every handler task has returned: answers what is left, waits for responses to go out, stops.
    private func finishShutdown() async {
        let deadline = beginShutdown()
        // No handler runs any more, so a request still registered was never picked up: refuse it.
        core.answerWaitingRequests(with: ServerCore.shuttingDown)
        await core.inFlight.waitUntilIdle(deadline: max(deadline, .now + .milliseconds(500)))
        lifecycle.withLock { lifecycle in
            guard case .draining(let daemon, _, let deadlineSweep) = lifecycle else { return }
            deadlineSweep.cancel()
            MHD_stop_daemon(daemon)
            close(listeningDescriptor)
            lifecycle = .stopped
        }
        core.logger.info("HTTP server stopped", ["http.address": "\(host):\(port)"])
    }
}

extension Duration {
    /// The duration as a Dispatch interval, in nanoseconds.
    fileprivate var dispatchInterval: DispatchTimeInterval {
        .nanoseconds(Int(clamping: components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000))
    }
}
