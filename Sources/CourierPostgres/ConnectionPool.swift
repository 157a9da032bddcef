import Synchronization

/// How `PostgresDatabase` opens and shares its connections.
public struct PoolConfiguration: Sendable, Hashable {
    /// The most connections open at once; callers beyond it wait for a connection to come back.
    /// Default 8. Each `courier serve` replica opens up to this many, so keep
    /// `replicas × maximumConnections` below the server's `max_connections`.
    public var maximumConnections: Int
    /// How long opening one connection may take, in seconds (libpq's `connect_timeout`), unless the
    /// connection string sets `connect_timeout` itself. Default 10.
    public var connectTimeoutSeconds: Int
    /// How many times a write transaction runs in all when PostgreSQL rolls it back because of a
    /// conflict with a concurrent one (serialization failure or deadlock). Default 20.
    public var maximumWriteAttempts: Int

    /// Creates a configuration; every parameter must be at least 1.
    public init(maximumConnections: Int = 8, connectTimeoutSeconds: Int = 10, maximumWriteAttempts: Int = 20) {
        precondition(maximumConnections > 0 && connectTimeoutSeconds > 0 && maximumWriteAttempts > 0, "Pool limits must be positive.")
        self.maximumConnections = maximumConnections
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.maximumWriteAttempts = maximumWriteAttempts
    }
}

/// A bounded set of connections lent to one caller at a time.
///
/// Connections are opened on demand up to `maximumConnections` and kept open while idle. The
/// state is a small value behind a `Mutex`; continuations are resumed outside the lock. A
/// connection that comes back broken is dropped, and its slot goes to the next caller.
final class ConnectionPool: Sendable {
    private let conninfo: String
    private let configuration: PoolConfiguration
    private let state = Mutex(State())
    private let openedCount = Atomic<Int>(0)

    /// What a waiting caller receives: an idle connection, or the right to open a new one.
    private enum Lease: Sendable {
        case connection(PostgresConnection)
        case permitToOpen
    }

    private struct State: ~Copyable {
        var idle: [PostgresConnection] = []
        /// Connections open or being opened, idle or lent.
        var slotsInUse = 0
        var waiters: [CheckedContinuation<Lease, Never>] = []
    }

    init(conninfo: String, configuration: PoolConfiguration) {
        self.conninfo = conninfo
        self.configuration = configuration
    }

    /// Lends a connection to `work` on the connection's own thread, then takes it back.
    func withConnection<T: Sendable>(_ work: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let connection = try await acquire()
        defer { release(connection) }
        return try await connection.run(work)
    }

    private func acquire() async throws -> PostgresConnection {
        let lease = await withCheckedContinuation { (continuation: CheckedContinuation<Lease, Never>) in
            let immediate = state.withLock { state -> Lease? in
                if let connection = state.idle.popLast() { return .connection(connection) }
                if state.slotsInUse < configuration.maximumConnections {
                    state.slotsInUse += 1
                    return .permitToOpen
                }
                state.waiters.append(continuation)
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
        switch lease {
        case .connection(let connection):
            return connection
        case .permitToOpen:
            do {
                let number = openedCount.wrappingAdd(1, ordering: .relaxed).oldValue
                return try await PostgresConnection.open(
                    conninfo: conninfo,
                    connectTimeoutSeconds: configuration.connectTimeoutSeconds,
                    label: "courier.postgres.connection-\(number)"
                )
            } catch {
                handBack(nil)
                throw error
            }
        }
    }

    /// Returns a lent connection to the pool, or drops it when it is broken.
    private func release(_ connection: PostgresConnection) {
        handBack(connection.isHealthy ? connection : nil)
    }

    /// Gives `connection` (or, when `nil`, its freed slot) to the first waiter, else keeps it.
    private func handBack(_ connection: PostgresConnection?) {
        let handoff = state.withLock { state -> (CheckedContinuation<Lease, Never>, Lease)? in
            if !state.waiters.isEmpty {
                return (state.waiters.removeFirst(), connection.map(Lease.connection) ?? .permitToOpen)
            }
            if let connection { state.idle.append(connection) } else { state.slotsInUse -= 1 }
            return nil
        }
        if let (waiter, lease) = handoff { waiter.resume(returning: lease) }
    }
}
