import CSQLite
import CourierStorage

/// One SQLite connection opened with `SQLITE_OPEN_NOMUTEX`.
///
/// `@unchecked Sendable` is safe because `SQLiteDatabase` hands each connection to one thread at
/// a time: the writer only runs on the writer's serial queue and a reader is taken out of the idle
/// pool for the duration of one read, so SQLite never sees concurrent calls on a handle.
final class SQLiteConnection: SQLConnection, @unchecked Sendable {
    let dialect = SQLDialect.sqlite
    private let handle: OpaquePointer
    /// Prepared statements by SQL text, reused across calls: preparing (parsing and planning) costs more than
    /// most of Courier's statements take to run.
    private var statements: [String: OpaquePointer] = [:]
    /// Statements kept prepared at most; the cache is emptied when it would grow past this.
    private static let statementCacheLimit = 256

    /// Process-wide settings, applied once before the first connection opens: no memory statistics (see the shim).
    private static let processSettings: Void = { _ = csqlite_disable_memory_statistics() }()

    /// Opens the database file at `path`, which must exist.
    ///
    /// - Throws: `SQLError` with SQLite's reason.
    init(path: String) throws {
        Self.processSettings
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let reason = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(handle)
            throw SQLError(.other, reason)
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Sets how long a statement waits for another process's lock before failing with `busy`.
    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    @discardableResult
    func execute(_ query: SQLQuery) throws -> Int {
        try withStatement(query) { statement, sql in
            while try step(statement, sql: sql) {}
        }
        return Int(sqlite3_changes(handle))
    }

    func query(_ query: SQLQuery) throws -> [SQLRow] {
        try withStatement(query) { statement, sql in
            let columnCount = sqlite3_column_count(statement)
            let columns = (0..<columnCount).map { String(cString: sqlite3_column_name(statement, $0)) }
            var rows: [SQLRow] = []
            while try step(statement, sql: sql) {
                rows.append(SQLRow(columns: columns, values: (0..<columnCount).map { column(statement, $0) }))
            }
            return rows
        }
    }

    func executeScript(unsafeSQL script: String) throws {
        let status = sqlite3_exec(handle, script, nil, nil, nil)
        guard status == SQLITE_OK else { throw error(status, sql: script) }
    }

    /// Whether a transaction is open (SQLite ends one on its own after some errors, e.g. a full disk).
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` between `begin` and `COMMIT`, rolling back when it throws.
    func transaction<T>(begin: String, _ body: (any SQLConnection) throws -> T) throws -> T {
        try executeScript(unsafeSQL: begin)
        do {
            let result = try body(self)
            try executeScript(unsafeSQL: "COMMIT")
            return result
        } catch {
            // ROLLBACK only fails when SQLite already rolled back; the body's error is the one to report.
            try? executeScript(unsafeSQL: "ROLLBACK")
            throw error
        }
    }

    // MARK: Statements

    private func withStatement<T>(_ query: SQLQuery, _ body: (OpaquePointer, String) throws -> T) throws -> T {
        let sql = query.sql(for: .sqlite)
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in query.binds.enumerated() {
            let bindStatus = bind(value, to: statement, at: Int32(offset + 1))
            guard bindStatus == SQLITE_OK else { throw error(bindStatus, sql: sql) }
        }
        return try body(statement, sql)
    }

    /// The cached prepared statement for `sql`, preparing it on first use.
    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw error(status, sql: sql) }
        if statements.count >= Self.statementCacheLimit {
            for cached in statements.values { sqlite3_finalize(cached) }
            statements.removeAll(keepingCapacity: true)
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLValue, to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(statement, index)
        case .integer(let integer):
            return sqlite3_bind_int64(statement, index, integer)
        case .real(let real):
            return sqlite3_bind_double(statement, index, real)
        case .text(let text):
            // A non-nil pointer for empty text: a nil one would bind NULL.
            if text.isEmpty { return sqlite3_bind_text(statement, index, "", 0, csqlite_transient()) }
            // Length-delimited, so text containing NUL characters is bound whole.
            var text = text
            return text.withUTF8 { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    sqlite3_bind_text(statement, index, chars.baseAddress, Int32(chars.count), csqlite_transient())
                }
            }
        case .blob(let bytes):
            if bytes.isEmpty { return sqlite3_bind_zeroblob(statement, index, 0) }
            return bytes.withUnsafeBytes { buffer in
                sqlite3_bind_blob(statement, index, buffer.baseAddress, Int32(buffer.count), csqlite_transient())
            }
        }
    }

    /// Advances the statement; `true` when it produced a row.
    private func step(_ statement: OpaquePointer, sql: String) throws -> Bool {
        let status = sqlite3_step(statement)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error(status, sql: sql)
        }
    }

    private func column(_ statement: OpaquePointer, _ index: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard let blob = sqlite3_column_blob(statement, index), count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        default:
            return .null
        }
    }

    private func error(_ status: Int32, sql: String?) -> SQLError {
        let extended = sqlite3_extended_errcode(handle)
        let message = String(cString: sqlite3_errmsg(handle))
        let kind: SQLError.Kind =
            switch extended {
            case CSQLITE_CONSTRAINT_UNIQUE, CSQLITE_CONSTRAINT_PRIMARYKEY: .uniqueViolation
            case CSQLITE_CONSTRAINT_FOREIGNKEY: .foreignKeyViolation
            default:
                switch status & 0xff {
                case SQLITE_CONSTRAINT: .constraintViolation
                case SQLITE_BUSY, SQLITE_LOCKED: .busy
                default: .other
                }
            }
        return SQLError(kind, message, sql: sql)
    }
}
