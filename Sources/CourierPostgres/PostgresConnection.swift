import CLibPQ
import CourierStorage
import Glibc

/// One libpq connection with the thread every call on it runs on.
///
/// `@unchecked Sendable` is safe because the pool lends a connection to one caller at a time and
/// that caller only touches it inside `run(_:)`, on the connection's own thread, so libpq never
/// sees concurrent calls on a handle.
final class PostgresConnection: SQLConnection, @unchecked Sendable {
    let dialect = SQLDialect.postgresql
    private let handle: OpaquePointer
    private let thread: ConnectionThread
    /// Whether a statement of the current transaction failed with a serialization failure or a
    /// deadlock; kept apart from the thrown `SQLError`, which the transaction's body may replace.
    private var transactionHitConflict = false

    /// Connects with `parameters` (libpq keywords and values, in order); call it on `thread`.
    ///
    /// - Throws: `SQLError` with libpq's reason, `password` removed.
    private init(parameters: [(String, String)], password: String?, thread: ConnectionThread) throws {
        let handle = Self.withCStrings(parameters.map(\.0)) { keywords in
            Self.withCStrings(parameters.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let handle else { throw SQLError(.other, "libpq could not allocate a connection.") }
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = Self.redact(String(cString: PQerrorMessage(handle)), password: password)
            PQfinish(handle)
            throw SQLError(.other, reason.trimmingTrailingWhitespace())
        }
        self.handle = handle
        self.thread = thread
        // libpq prints notices (such as "there is no transaction in progress") to stderr by default.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit {
        PQfinish(handle)
        thread.stop()
    }

    /// Opens a connection on a new thread of its own, off the caller's thread.
    ///
    /// - Parameters:
    ///   - conninfo: a `postgres://` URI or `key=value` connection string.
    ///   - connectTimeoutSeconds: libpq's `connect_timeout`, used unless `conninfo` sets one.
    ///   - label: the thread's name.
    static func open(conninfo: String, connectTimeoutSeconds: Int, label: String) async throws -> PostgresConnection {
        let thread = ConnectionThread(name: label)
        // Later keywords override earlier ones, so the connection string's own settings win.
        let parameters = [
            ("connect_timeout", String(connectTimeoutSeconds)), ("application_name", "courier"), ("dbname", conninfo),
        ]
        let password = ConnectionString.password(of: conninfo)
        return try await withCheckedThrowingContinuation { continuation in
            thread.submit {
                let result = Result { try PostgresConnection(parameters: parameters, password: password, thread: thread) }
                if case .failure = result { thread.stop() }
                continuation.resume(with: result)
            }
        }
    }

    /// Whether the connection is still usable; a broken one is closed instead of being reused.
    var isHealthy: Bool {
        PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// Runs `work` on the connection's thread and resumes the caller with its result.
    func run<T: Sendable>(_ work: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            thread.submit { continuation.resume(with: Result { try work(self) }) }
        }
    }

    // MARK: Transactions

    /// Runs `body` between `begin` and `COMMIT`, rolling back when it throws.
    ///
    /// When PostgreSQL reports a serialization failure or a deadlock, the transaction is rolled
    /// back and run again after a short random pause, up to `maximumAttempts` runs in all.
    func transaction<T>(begin: String, maximumAttempts: Int, _ body: (any SQLConnection) throws -> T) throws -> T {
        var attempt = 1
        while true {
            try beginReconnectingOnce(begin)
            transactionHitConflict = false
            do {
                let result = try body(self)
                try executeScript(unsafeSQL: "COMMIT")
                return result
            } catch {
                let retryable = transactionHitConflict
                // ROLLBACK only fails when the connection is gone; the body's error is the one to report.
                try? executeScript(unsafeSQL: "ROLLBACK")
                guard retryable, attempt < maximumAttempts else { throw error }
                usleep(UInt32.random(in: 0...min(50_000, 500 << attempt)))
                attempt += 1
            }
        }
    }

    /// Runs `script` outside any transaction, for statements such as `CREATE DATABASE`.
    func executeOutsideTransaction(unsafeSQL script: String) throws {
        try beginReconnectingOnce(script)
    }

    /// Runs the first statement of a unit of work; when an idle connection has broken (the
    /// server restarted or dropped it), reconnects once and runs it again.
    private func beginReconnectingOnce(_ statement: String) throws {
        do {
            try executeScript(unsafeSQL: statement)
        } catch let error as SQLError where PQstatus(handle) == CONNECTION_BAD {
            PQreset(handle)
            guard PQstatus(handle) == CONNECTION_OK else { throw error }
            try executeScript(unsafeSQL: statement)
        }
    }

    // MARK: SQLConnection

    @discardableResult
    func execute(_ query: SQLQuery) throws -> Int {
        let result = try executeParameters(query)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    func query(_ query: SQLQuery) throws -> [SQLRow] {
        let result = try executeParameters(query)
        defer { PQclear(result) }
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let types = (0..<columnCount).map { PQftype(result, $0) }
        return try (0..<PQntuples(result)).map { row in
            SQLRow(columns: columns, values: try (0..<columnCount).map { try value(result, row: row, column: $0, type: types[Int($0)]) })
        }
    }

    func executeScript(unsafeSQL script: String) throws {
        let result = PQexec(handle, script)
        defer { PQclear(result) }
        try check(result, sql: script)
    }

    // MARK: Statements

    /// Runs `query` with its binds as parameters: text in text format, blobs in binary format.
    private func executeParameters(_ query: SQLQuery) throws -> OpaquePointer {
        let sql = query.sql(for: .postgresql)
        var types: [Oid] = []
        var formats: [Int32] = []
        var payloads: [[UInt8]?] = []
        for value in query.binds {
            switch value {
            case .null:
                types.append(0)
                formats.append(0)
                payloads.append(nil)
            case .integer(let integer):
                types.append(TypeOID.int8)
                formats.append(0)
                payloads.append(Array(String(integer).utf8))
            case .real(let real):
                types.append(TypeOID.float8)
                formats.append(0)
                payloads.append(Array("\(real)".utf8))
            case .text(let text):
                guard !text.utf8.contains(0) else {
                    throw SQLError(.unsupportedValue, "PostgreSQL text cannot contain NUL characters.", sql: sql)
                }
                // Unknown type: PostgreSQL infers it from the context, as for a quoted literal.
                types.append(0)
                formats.append(0)
                payloads.append(Array(text.utf8))
            case .blob(let bytes):
                types.append(TypeOID.bytea)
                formats.append(1)
                payloads.append(bytes)
            }
        }
        // Text-format values are NUL-terminated C strings; binary ones are length-delimited.
        let buffers: [UnsafeMutableBufferPointer<CChar>?] = payloads.enumerated().map { index, payload in
            guard let payload else { return nil }
            let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: payload.count + 1)
            payload.withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(buffer).copyBytes(from: bytes)
            }
            buffer[payload.count] = 0
            return buffer
        }
        defer {
            for buffer in buffers { buffer?.deallocate() }
        }
        let lengths = payloads.map { Int32($0?.count ?? 0) }
        let pointers: [UnsafePointer<CChar>?] = buffers.map { $0.map { UnsafePointer($0.baseAddress!) } }
        let result = PQexecParams(handle, sql, Int32(pointers.count), types, pointers, lengths, formats, 0)
        do {
            try check(result, sql: sql)
        } catch {
            PQclear(result)
            throw error
        }
        return result!
    }

    private func check(_ result: OpaquePointer?, sql: String) throws {
        guard let result else {
            throw SQLError(.other, String(cString: PQerrorMessage(handle)).trimmingTrailingWhitespace(), sql: sql)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return
        default:
            let error = PostgresError(result)
            if PostgresError.isRetryable(state: error.state) { transactionHitConflict = true }
            throw error.sqlError(sql: sql)
        }
    }

    private func value(_ result: OpaquePointer, row: Int32, column: Int32, type: Oid) throws -> SQLValue {
        if PQgetisnull(result, row, column) == 1 { return .null }
        let text = String(cString: PQgetvalue(result, row, column))
        switch type {
        case TypeOID.int8, TypeOID.int4, TypeOID.int2, TypeOID.oid:
            guard let integer = Int64(text) else { throw SQLError(.decoding, "An integer column holds '\(text)'.") }
            return .integer(integer)
        case TypeOID.float8, TypeOID.float4, TypeOID.numeric:
            guard let real = Double(text) else { throw SQLError(.decoding, "A numeric column holds a value that is not a number.") }
            return .real(real)
        case TypeOID.bool:
            return .integer(text == "t" ? 1 : 0)
        case TypeOID.bytea:
            guard let bytes = Self.decodeHexBytea(text) else { throw SQLError(.decoding, "A bytea column is not in hex format.") }
            return .blob(bytes)
        default:
            return .text(text)
        }
    }

    /// Decodes bytea's text output, `\x` followed by two hex digits per byte.
    private static func decodeHexBytea(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count >= 2, digits[0] == UInt8(ascii: "\\"), digits[1] == UInt8(ascii: "x"), digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2 - 1)
        var index = 2
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Calls `body` with a NULL-terminated array of C strings.
    private static func withCStrings<T>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        let copies = strings.map { strdup($0) }
        defer {
            for copy in copies { free(copy) }
        }
        return body(copies.map { UnsafePointer($0) } + [nil])
    }

    /// `message` with every occurrence of `password` replaced.
    static func redact(_ message: String, password: String?) -> String {
        guard let password, !password.isEmpty else { return message }
        return message.replacing(password, with: "<redacted>")
    }
}

/// The type OIDs of `pg_type` that results are decoded by.
enum TypeOID {
    static let bool: Oid = 16
    static let bytea: Oid = 17
    static let int8: Oid = 20
    static let int2: Oid = 21
    static let int4: Oid = 23
    static let oid: Oid = 26
    static let float4: Oid = 700
    static let float8: Oid = 701
    static let numeric: Oid = 1700
}
