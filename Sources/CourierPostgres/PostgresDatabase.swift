import CourierCore
import CourierStorage

/// A PostgreSQL database reached through libpq, with a small pool of connections.
///
/// Every transaction runs on the lent connection's own thread, never on Swift's cooperative pool
/// nor libdispatch's: callers suspend on a continuation until it has finished.
///
/// - Reads run in `REPEATABLE READ READ ONLY` transactions, so each sees one snapshot.
/// - Writes run in `SERIALIZABLE` transactions: concurrent writers (other tasks, other
///   replicas) behave as if they ran one at a time. When PostgreSQL rolls one back because of a
///   conflict (SQLSTATE 40001, or a deadlock, 40P01) it runs again, so a write's body must only
///   touch the connection. A body may lower its own transaction's level with `SET TRANSACTION` as
///   its first statement: `SQLStore`'s delivery claims run at `READ COMMITTED`.
/// - Migrations run in `READ COMMITTED` transactions holding a transaction-scoped advisory lock,
///   so replicas starting together apply each migration once.
///
/// Connection strings are libpq's: `postgres://user:password@host:port/database?sslmode=require`
/// or `host=… dbname=…`. The password never appears in errors.
public final class PostgresDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgresql
    /// Where the database is, without the password: `host H, port P, database D, user U`.
    public let summary: String

    private let pool: ConnectionPool
    private let configuration: PoolConfiguration

    /// The key of the advisory lock migrations hold: "courier" in ASCII.
    static let migrationLockKey: Int64 = 27_988_572_915_721_586

    /// Connects to the database at `connectionString`, checking that one connection opens; it
    /// does not migrate the schema (see `SQLStore.postgres(connectionString:configuration:)`).
    ///
    /// - Throws: `CourierError` with code `invalid_argument` when libpq cannot parse the connection
    ///   string, or `unavailable` ("Cannot connect to PostgreSQL (host …): …") when no connection opens.
    public init(connectionString: String, configuration: PoolConfiguration = PoolConfiguration()) async throws {
        if case .failure(let error) = ConnectionString.options(of: connectionString) {
            throw CourierError(.invalidArgument, "The PostgreSQL connection string is invalid: \(error.reason).")
        }
        summary = ConnectionString.summary(of: connectionString)
        self.configuration = configuration
        pool = ConnectionPool(conninfo: connectionString, configuration: configuration)
        do {
            try await pool.withConnection { _ in }
        } catch let error as SQLError {
            throw CourierError(.unavailable, "Cannot connect to PostgreSQL (\(summary)): \(error.message)", cause: error)
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await pool.withConnection { connection in
            try connection.transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", maximumAttempts: 1, body)
        }
    }

    public func write<T: Sendable>(isolation: WriteIsolation, _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let attempts = configuration.maximumWriteAttempts
        let begin =
            switch isolation {
            case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
            case .rowLocking: "BEGIN ISOLATION LEVEL READ COMMITTED"
            }
        return try await pool.withConnection { connection in
            try connection.transaction(begin: begin, maximumAttempts: attempts, body)
        }
    }

    public func withMigrationLock<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let attempts = configuration.maximumWriteAttempts
        return try await pool.withConnection { connection in
            // READ COMMITTED: each statement after the lock sees what the previous holder committed.
            try connection.transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", maximumAttempts: attempts) { connection in
                _ = try connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))")
                return try body(connection)
            }
        }
    }

    /// Runs `script` outside any transaction, for statements PostgreSQL refuses inside one, such
    /// as `CREATE DATABASE`. Never pass text that came from a user.
    ///
    /// - Throws: `SQLError`.
    public func executeOutsideTransaction(unsafeSQL script: String) async throws {
        try await pool.withConnection { connection in try connection.executeOutsideTransaction(unsafeSQL: script) }
    }
}

extension SQLStore {
    /// A store on the PostgreSQL database at `connectionString`, migrated as needed.
    ///
    /// - Throws: see `PostgresDatabase.init(connectionString:configuration:)` and `Migrator.migrate`.
    public static func postgres(connectionString: String, configuration: PoolConfiguration = PoolConfiguration()) async throws -> SQLStore {
        let database = try await PostgresDatabase(connectionString: connectionString, configuration: configuration)
        try await Migrator.migrate(database, migrations: CourierSchema.migrations(for: .postgresql))
        return SQLStore(database: database)
    }
}
