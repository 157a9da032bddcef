import CourierCore

import struct Foundation.Date

/// One open connection to a SQL database, used by one thread at a time inside a transaction.
///
/// Implementations are synchronous: they run on the database's own threads (see `SQLDatabase`),
/// never on Swift's cooperative pool.
public protocol SQLConnection {
    /// The SQL flavour this connection speaks.
    var dialect: SQLDialect { get }

    /// Runs a statement that returns no rows.
    ///
    /// - Returns: how many rows the statement inserted, updated or deleted.
    /// - Throws: `SQLError`.
    @discardableResult
    func execute(_ query: SQLQuery) throws -> Int

    /// Runs a statement and returns all of its rows.
    ///
    /// - Throws: `SQLError`.
    func query(_ query: SQLQuery) throws -> [SQLRow]

    /// Runs a script of one or more statements without binds, such as a migration.
    ///
    /// - Throws: `SQLError`.
    func executeScript(unsafeSQL script: String) throws
}

/// A SQL database that runs transactions on its own threads.
///
/// `read` and `write` hop off Swift's cooperative pool, run `body` in a transaction on a
/// connection, and resume the caller with its result. A thrown error rolls the transaction back.
public protocol SQLDatabase: Sendable {
    /// The SQL flavour of the database's connections.
    var dialect: SQLDialect { get }

    /// Runs `body` in a read-only transaction that sees one consistent snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Runs `body` in a read-write transaction; its writes commit together when it returns.
    ///
    /// A database that detects conflicts between concurrent writers (PostgreSQL) may roll the
    /// transaction back and run `body` again, so `body` must have no effects outside the connection.
    func write<T: Sendable>(isolation: WriteIsolation, _ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T

    /// Runs `body` in a read-write transaction that first takes the database-wide migration lock,
    /// so schema changes from several processes starting together run one at a time, and each
    /// statement of `body` sees every migration committed before the lock was granted.
    func withMigrationLock<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
}

extension SQLDatabase {
    /// A ``WriteIsolation/serializable`` write.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await write(isolation: .serializable, body)
    }

    /// A plain `write`: enough for a database whose write transactions already exclude each
    /// other from their start (SQLite's `BEGIN IMMEDIATE`).
    public func withMigrationLock<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await write(body)
    }
}

/// A failure reported by a SQL database or while decoding its rows.
///
/// `message` comes from the database and may name tables, columns or constraints: it is for logs,
/// never for API clients. `SQLStore` wraps it in a `CourierError`.
public struct SQLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: Sendable, Hashable {
        /// A unique or primary-key constraint rejected the statement.
        case uniqueViolation
        /// A foreign-key constraint rejected the statement.
        case foreignKeyViolation
        /// Another constraint (check, not null) rejected the statement.
        case constraintViolation
        /// The database stayed locked by another process for longer than the busy timeout, or
        /// concurrent transactions kept conflicting after every retry.
        case busy
        /// A bound value the database cannot store, such as text with a NUL character in PostgreSQL.
        case unsupportedValue
        /// A row did not have the column or type the caller expected.
        case decoding
        /// Any other database failure.
        case other
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// The database's own description; for a constraint, it names the constraint or its columns.
    public var message: String
    /// The statement that failed, with placeholders (never bound values), when there was one.
    public var sql: String?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, sql: String? = nil) {
        self.kind = kind
        self.message = message
        self.sql = sql
    }

    public var description: String {
        if let sql { "\(kind): \(message) (in: \(sql))" } else { "\(kind): \(message)" }
    }
}

/// One result row: column names and their values.
///
/// The typed accessors throw `SQLError` of kind `decoding` naming the column when it is missing
/// or holds a value of another type.
public struct SQLRow: Sendable, Hashable {
    /// The column names, in select-list order.
    public let columns: [String]
    /// The values, parallel to `columns`.
    public let values: [SQLValue]

    /// Creates a row; `columns` and `values` must have the same count.
    public init(columns: [String], values: [SQLValue]) {
        precondition(columns.count == values.count, "A row needs one value per column.")
        self.columns = columns
        self.values = values
    }

    /// The value of `column`.
    public func value(_ column: String) throws -> SQLValue {
        guard let index = columns.firstIndex(of: column) else {
            throw SQLError(.decoding, "The result has no column '\(column)' (columns: \(columns.joined(separator: ", "))).")
        }
        return values[index]
    }

    /// Whether `column` is NULL.
    public func isNull(_ column: String) throws -> Bool {
        try value(column) == .null
    }

    /// The text in `column`.
    public func string(_ column: String) throws -> String {
        guard case .text(let text) = try value(column) else { throw typeMismatch(column, expected: "text") }
        return text
    }

    /// The text in `column`, or `nil` when it is NULL.
    public func optionalString(_ column: String) throws -> String? {
        try isNull(column) ? nil : string(column)
    }

    /// The integer in `column`.
    public func int64(_ column: String) throws -> Int64 {
        guard case .integer(let integer) = try value(column) else { throw typeMismatch(column, expected: "an integer") }
        return integer
    }

    /// The integer in `column`, as an `Int`.
    public func int(_ column: String) throws -> Int {
        Int(try int64(column))
    }

    /// The floating-point number in `column`; integers are converted.
    public func double(_ column: String) throws -> Double {
        switch try value(column) {
        case .real(let real): return real
        case .integer(let integer): return Double(integer)
        default: throw typeMismatch(column, expected: "a number")
        }
    }

    /// The bytes in `column`.
    public func bytes(_ column: String) throws -> [UInt8] {
        guard case .blob(let bytes) = try value(column) else { throw typeMismatch(column, expected: "a blob") }
        return bytes
    }

    /// The date in `column`, stored as integer milliseconds since 1970.
    public func date(_ column: String) throws -> Date {
        Date(millisecondsSince1970: try int64(column))
    }

    /// The date in `column`, or `nil` when it is NULL.
    public func optionalDate(_ column: String) throws -> Date? {
        try isNull(column) ? nil : date(column)
    }

    private func typeMismatch(_ column: String, expected: String) -> SQLError {
        let found =
            switch try? value(column) {
            case .null: "NULL"
            case .integer: "an integer"
            case .real: "a real number"
            case .text: "text"
            case .blob: "a blob"
            case nil: "nothing"
            }
        return SQLError(.decoding, "Column '\(column)' should hold \(expected) but holds \(found).")
    }
}
