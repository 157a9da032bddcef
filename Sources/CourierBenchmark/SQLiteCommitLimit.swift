import CSQLite
import Foundation

/// The disk's durable commit rate as SQLite sees it, configured as the server configures its store: WAL and
/// `synchronous=FULL`. One connection inserts one row per transaction, so every commit waits for its fsync.
public enum SQLiteCommitLimit {
    /// Commits single-row transactions in a scratch database under `directory` for `duration` (at most `maxCommits`);
    /// returns commits per second. Blocks its thread: call it from a thread of its own or outside timed work.
    public static func measure(in directory: URL, duration: Duration, maxCommits: Int = 1_000_000) throws -> Double {
        let path = directory.appendingPathComponent("commit-limit-\(UUID().uuidString).db").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        var database: OpaquePointer?
        guard sqlite3_open(path, &database) == SQLITE_OK, let database else {
            throw BenchmarkError("Cannot open a scratch SQLite database at \(path).")
        }
        defer { sqlite3_close(database) }
        func execute(_ sql: String) throws {
            guard sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK else {
                throw BenchmarkError("SQLite refused \(sql): \(String(cString: sqlite3_errmsg(database))).")
            }
        }
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute("CREATE TABLE commits (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, "INSERT INTO commits (payload) VALUES (?)", -1, &statement, nil) == SQLITE_OK else {
            throw BenchmarkError("SQLite could not prepare the insert: \(String(cString: sqlite3_errmsg(database))).")
        }
        defer { sqlite3_finalize(statement) }
        let payload = [UInt8](repeating: 0x5a, count: 200)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + duration
        var commits = 0
        while commits < maxCommits && clock.now < deadline {
            sqlite3_reset(statement)
            sqlite3_bind_blob(statement, 1, payload, Int32(payload.count), nil)
            guard sqlite3_step(statement) == SQLITE_DONE else {
                throw BenchmarkError("SQLite insert failed: \(String(cString: sqlite3_errmsg(database))).")
            }
            commits += 1
        }
        return Double(commits) / (clock.now - start).seconds
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
