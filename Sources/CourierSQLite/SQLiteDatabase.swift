import CourierCore
import CourierStorage
import Dispatch
import Glibc
import Synchronization

/// A SQLite database file in WAL mode: one writer connection and a few reader connections.
///
/// Writes run one at a time on the writer's serial queue in `BEGIN IMMEDIATE` transactions; reads
/// run on the reader connections, each with its own serial queue, and proceed alongside the
/// writer thanks to WAL. No transaction ever runs on Swift's cooperative pool: callers suspend on
/// a continuation until the queue has finished.
///
/// Every connection has `foreign_keys=ON`, `synchronous=FULL` (a commit survives power loss) and
/// a busy timeout; reader connections are also `query_only`.
public final class SQLiteDatabase: SQLDatabase {
    /// The path of the database file.
    public let path: String
    public let dialect = SQLDialect.sqlite

    private let writer: SQLiteConnection
    private let writerQueue = DispatchQueue(label: "courier.sqlite.writer")
    private let readers: [Reader]
    private let nextReader = Atomic<Int>(0)

    private struct Reader: Sendable {
        var connection: SQLiteConnection
        var queue: DispatchQueue
    }

    /// Opens the database at `path`, creating the file with mode 0600 when it is missing, and
    /// applies `CourierSchema`'s migrations.
    ///
    /// - Parameters:
    ///   - readerCount: how many reads may run at once.
    ///   - busyTimeoutMilliseconds: how long to wait for another process's lock.
    /// - Throws: `CourierError` with code `unavailable` ("Cannot open the database at PATH: …")
    ///   when the file cannot be created, opened or configured; errors of `Migrator.migrate`.
    public init(path: String, readerCount: Int = 3, busyTimeoutMilliseconds: Int32 = 5_000) async throws {
        precondition(readerCount > 0, "A SQLite database needs at least one reader connection.")
        self.path = path
        do {
            try Self.createFileIfMissing(path)
            writer = try Self.openConnection(path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            let journalMode = try writer.query("PRAGMA journal_mode=WAL").first?.string("journal_mode")
            guard journalMode == "wal" else {
                throw SQLError(.other, "the journal mode stayed '\(journalMode ?? "unknown")' instead of 'wal'")
            }
            readers = try (0..<readerCount).map { index in
                let connection = try Self.openConnection(path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
                try connection.execute("PRAGMA query_only=ON")
                return Reader(connection: connection, queue: DispatchQueue(label: "courier.sqlite.reader-\(index)"))
            }
        } catch let error as SQLError {
            throw CourierError(.unavailable, "Cannot open the database at \(path): \(error.message).", cause: error)
        }
        try await Migrator.migrate(self, migrations: CourierSchema.migrations(for: .sqlite))
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let reader = readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count]
        return try await Self.run(on: reader.queue) {
            try reader.connection.transaction(begin: "BEGIN DEFERRED", body)
        }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let writer = self.writer
        return try await Self.run(on: writerQueue) {
            try writer.transaction(begin: "BEGIN IMMEDIATE", body)
        }
    }

    /// Runs `work` on `queue` and resumes the caller with its result.
    private static func run<T: Sendable>(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result(catching: work)) }
        }
    }

    private static func openConnection(_ path: String, busyTimeoutMilliseconds: Int32) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path)
        connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        try connection.execute("PRAGMA foreign_keys=ON")
        try connection.execute("PRAGMA synchronous=FULL")
        return connection
    }

    /// Creates an empty file readable and writable by its owner only; SQLite gives its WAL and
    /// shared-memory files the same permissions.
    private static func createFileIfMissing(_ path: String) throws {
        let descriptor = Glibc.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SQLError(.other, String(cString: strerror(errno)))
        }
        close(descriptor)
    }
}

extension SQLStore {
    /// A store on the SQLite database at `path`, created and migrated as needed.
    ///
    /// - Throws: see `SQLiteDatabase.init(path:readerCount:busyTimeoutMilliseconds:)`.
    public static func sqlite(path: String) async throws -> SQLStore {
        SQLStore(database: try await SQLiteDatabase(path: path))
    }
}
