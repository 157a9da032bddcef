/// How an `HTTPServer` listens and which limits it enforces.
public struct HTTPServerConfiguration: Sendable {
    /// An IPv4 address to listen on, e.g. `127.0.0.1` or `0.0.0.0`.
    public var host: String
    /// The TCP port; 0 picks a free one (read it back from `HTTPServer.port`).
    public var port: Int
    /// The largest request body accepted, in bytes, unless `bodyLimit` says otherwise. Default 1 MiB.
    public var maxBodyBytes: Int
    /// A per-request override of `maxBodyBytes`, given the method and the percent-decoded path; nil keeps the default.
    /// Used for routes that take large bodies, such as content uploads.
    public var bodyLimit: (@Sendable (HTTPMethod, String) -> Int?)?
    /// How long a connection may stay idle before it is closed. Default 30 s; whole seconds are used.
    public var connectionTimeout: Duration
    /// Memory for one connection's request line and headers (libmicrohttpd's connection memory limit).
    /// Requests with more header bytes are refused by libmicrohttpd. Default 64 KiB.
    public var maxHeaderBytes: Int
    /// Threads that run libmicrohttpd's event loops. Handlers run on Swift's concurrency pool, not on these. Default 2.
    public var threadPoolSize: Int
    /// The most simultaneous connections; further ones are refused. Default 1024.
    public var connectionLimit: Int
    /// After shutdown begins, how long in-flight requests get to finish before the rest are answered 503. Default 10 s.
    public var drainTimeout: Duration

    /// Creates a configuration; every limit has a default suited to the JSON API.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 1 << 20,
        bodyLimit: (@Sendable (HTTPMethod, String) -> Int?)? = nil,
        connectionTimeout: Duration = .seconds(30),
        maxHeaderBytes: Int = 64 << 10,
        threadPoolSize: Int = 2,
        connectionLimit: Int = 1024,
        drainTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.bodyLimit = bodyLimit
        self.connectionTimeout = connectionTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.threadPoolSize = threadPoolSize
        self.connectionLimit = connectionLimit
        self.drainTimeout = drainTimeout
    }

    /// The body limit for one request: the `bodyLimit` override if it gives one, else `maxBodyBytes`.
    func bodyLimit(method: HTTPMethod, path: String) -> Int {
        bodyLimit?(method, path) ?? maxBodyBytes
    }
}

/// Why an `HTTPServer` could not start or run.
public enum HTTPServerError: Error, Equatable, CustomStringConvertible {
    /// The listening socket could not be set up; `reason` is lowercase, e.g. "address already in use".
    case cannotListen(host: String, port: Int, reason: String)
    /// libmicrohttpd refused to start.
    case cannotStart(host: String, port: Int)
    /// `run()` was called a second time; a server runs once.
    case alreadyRun

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let reason):
            "Cannot listen on \(host):\(port): \(reason)."
        case .cannotStart(let host, let port):
            "Cannot start the HTTP server on \(host):\(port): libmicrohttpd refused its configuration."
        case .alreadyRun:
            "The HTTP server has already run; create a new one to serve again."
        }
    }
}
