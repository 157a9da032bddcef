import CourierCore
import CourierStorage
import Dispatch
import Glibc
import Synchronization

/// A SQLite database file in WAL mode: one writer connection and a few reader connections.
///
/// Writes run on the writer's serial queue, so that the wait for fsync never occupies a thread of
/// Swift's cooperative pool: callers suspend on a continuation until their write is durable.
/// Writes that queue up while a commit is in progress are committed together (group commit): one
/// `BEGIN IMMEDIATE` transaction, each write in a savepoint of its own, one fsync for all. A write
/// that throws rolls back to its savepoint and fails alone; its neighbours see exactly what they
/// would have seen had the writes run one after another. Reads run on the calling thread, each on a reader
/// connection of its own taken from an idle pool: in WAL mode a reader never waits for the writer,
/// and a read takes microseconds, less than the two thread switches a queue would cost.
///
/// Every connection has `foreign_keys=ON`, `synchronous=FULL` (a commit survives power loss) and
/// a busy timeout; reader connections are also `query_only`.
public final class SQLiteDatabase: SQLDatabase {
    /// The path of the database file.
    public let path: String
    public let dialect = SQLDialect.sqlite

    private let writer: SQLiteConnection
    private let writerQueue = DispatchQueue(label: "courier.sqlite.writer")
    /// Writes waiting for the writer, and whether a drain of them is scheduled on its queue.
    private let pendingWrites = Mutex<(writes: [PendingWrite], drainScheduled: Bool)>(([], false))
    /// Reader connections not in use; a read that finds none opens another, which then joins the pool.
    private let idleReaders: Mutex<[SQLiteConnection]>
    private let busyTimeoutMilliseconds: Int32

    /// Opens the database at `path`, creating the file with mode 0600 when it is missing, and
    /// applies `CourierSchema`'s migrations.
    ///
    /// - Parameters:
    ///   - readerCount: how many reader connections to open at once (more are opened when reads overlap).
    ///   - busyTimeoutMilliseconds: how long to wait for another process's lock.
    /// - Throws: `CourierError` with code `unavailable` ("Cannot open the database at PATH: …")
    ///   when the file cannot be created, opened or configured; errors of `Migrator.migrate`.
    public init(path: String, readerCount: Int = 3, busyTimeoutMilliseconds: Int32 = 5_000) async throws {
        precondition(readerCount > 0, "A SQLite database needs at least one reader connection.")
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        do {
            try Self.createFileIfMissing(path)
            writer = try Self.openConnection(path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            let journalMode = try writer.query("PRAGMA journal_mode=WAL").first?.string("journal_mode")
            guard journalMode == "wal" else {
                throw SQLError(.other, "the journal mode stayed '\(journalMode ?? "unknown")' instead of 'wal'")
            }
            idleReaders = Mutex(
                try (0..<readerCount).map { _ in try Self.openReader(path, busyTimeoutMilliseconds: busyTimeoutMilliseconds) })
        } catch let error as SQLError {
            throw CourierError(.unavailable, "Cannot open the database at \(path): \(error.message).", cause: error)
        }
        try await Migrator.migrate(self, migrations: CourierSchema.migrations(for: .sqlite))
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let reader: SQLiteConnection
        if let idle = idleReaders.withLock({ $0.popLast() }) {
            reader = idle
        } else {
            do {
                reader = try Self.openReader(path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            } catch let error as SQLError {
                throw CourierError(.unavailable, "Cannot open the database at \(path): \(error.message).", cause: error)
            }
        }
        defer { idleReaders.withLock { $0.append(reader) } }
        return try reader.transaction(begin: "BEGIN DEFERRED", body)
    }

    /// Writes run one at a time, so every isolation is serializable.
    public func write<T: Sendable>(isolation: WriteIsolation, _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let output = WriteOutput<T>()
            let write = PendingWrite(
                run: { connection in output.value = try body(connection) },
                finish: { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: output.value!) }
                }
            )
            let schedulesDrain = pendingWrites.withLock { pending in
                pending.writes.append(write)
                defer { pending.drainScheduled = true }
                return !pending.drainScheduled
            }
            if schedulesDrain { writerQueue.async { self.drainWrites() } }
        }
    }

    /// Commits the pending writes in batches until none are left. Runs on the writer's queue.
    private func drainWrites() {
        while true {
            let batch = pendingWrites.withLock { pending -> [PendingWrite] in
                defer { pending.writes = [] }
                if pending.writes.isEmpty { pending.drainScheduled = false }
                return pending.writes
            }
            if batch.isEmpty { return }
            let errors = commit(batch)
            for (write, error) in zip(batch, errors) { write.finish(error) }
        }
    }

    /// Runs `batch` in one transaction, each write in a savepoint; the error of each write, `nil` for a committed one.
    private func commit(_ batch: [PendingWrite]) -> [(any Error)?] {
        var errors: [(any Error)?] = Array(repeating: nil, count: batch.count)
        var uncommitted: [Int] = []
        func begin() -> (any Error)? {
            do { try writer.executeScript(unsafeSQL: "BEGIN IMMEDIATE") } catch { return error }
            return nil
        }
        if let error = begin() { return Array(repeating: error, count: batch.count) }
        for (index, write) in batch.enumerated() {
            do {
                try writer.executeScript(unsafeSQL: "SAVEPOINT courier_write")
                try write.run(writer)
                try writer.executeScript(unsafeSQL: "RELEASE courier_write")
                uncommitted.append(index)
            } catch {
                errors[index] = error
                if writer.isInTransaction {
                    try? writer.executeScript(unsafeSQL: "ROLLBACK TO courier_write; RELEASE courier_write")
                } else {
                    // SQLite rolled the whole transaction back: the writes before this one are lost with it.
                    for lost in uncommitted { errors[lost] = error }
                    uncommitted = []
                    if let error = begin() {
                        for rest in (index + 1)..<batch.count { errors[rest] = error }
                        return errors
                    }
                }
            }
        }
        do {
            try writer.executeScript(unsafeSQL: "COMMIT")
        } catch {
            try? writer.executeScript(unsafeSQL: "ROLLBACK")
            for index in uncommitted { errors[index] = error }
        }
        return errors
    }

    private static func openConnection(_ path: String, busyTimeoutMilliseconds: Int32) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path)
        connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        try connection.execute("PRAGMA foreign_keys=ON")
        try connection.execute("PRAGMA synchronous=FULL")
        // No memory map (mmap_size stays 0): after any other connection's commit, a reader drops its whole mapping at
        // its next read and faults the pages in again, which under a steady write load cost more than read(2) saves.
        return connection
    }

    /// A connection for reads only (`query_only`).
    private static func openReader(_ path: String, busyTimeoutMilliseconds: Int32) throws -> SQLiteConnection {
        let connection = try openConnection(path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        try connection.execute("PRAGMA query_only=ON")
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

/// A write waiting for the writer: `run` executes it inside the batch's transaction, `finish` resumes its caller once
/// the batch is committed (with the write's error, if any).
private struct PendingWrite: Sendable {
    var run: @Sendable (SQLiteConnection) throws -> Void
    var finish: @Sendable ((any Error)?) -> Void
}

/// Carries a write's result from `run` to `finish`; both run on the writer's queue, one after the other.
private final class WriteOutput<T>: @unchecked Sendable {
    var value: T?
}

extension SQLStore {
    /// A store on the SQLite database at `path`, created and migrated as needed.
    ///
    /// - Throws: see `SQLiteDatabase.init(path:readerCount:busyTimeoutMilliseconds:)`.
    public static func sqlite(path: String) async throws -> SQLStore {
        SQLStore(database: try await SQLiteDatabase(path: path))
    }
}
