/// The SQL flavour a database speaks; it decides how placeholders are written.
public enum SQLDialect: String, Sendable, Hashable, CaseIterable {
    /// SQLite: placeholders `?1`, `?2`, …
    case sqlite
    /// PostgreSQL: placeholders `$1`, `$2`, …
    case postgresql

    /// The placeholder for the bind at `index` (1-based).
    public func placeholder(_ index: Int) -> String {
        switch self {
        case .sqlite: "?\(index)"
        case .postgresql: "$\(index)"
        }
    }
}

/// A SQL statement whose interpolated values are bound, never spliced into the text.
///
/// ```swift
/// let query: SQLQuery = "SELECT id FROM workflows WHERE name = \(name) LIMIT \(1)"
/// query.sql(for: .sqlite)      // "SELECT id FROM workflows WHERE name = ?1 LIMIT ?2"
/// query.sql(for: .postgresql)  // "SELECT id FROM workflows WHERE name = $1 LIMIT $2"
/// query.binds                  // [.text(name), .integer(1)]
/// ```
///
/// Text only becomes SQL when it is a literal in the source, or through the explicitly unsafe
/// `init(unsafeSQL:)` and `\(unsafeRaw:)`. Queries concatenate with `+`; placeholders are numbered
/// when the query is rendered, so fragments compose freely.
public struct SQLQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    enum Fragment: Sendable, Hashable {
        case sql(String)
        case bind(SQLValue)
    }

    private(set) var fragments: [Fragment]

    /// A query made of `sql` verbatim. Never pass text that came from a user.
    public init(unsafeSQL sql: String) {
        fragments = [.sql(sql)]
    }

    /// A query from a string literal without interpolations.
    public init(stringLiteral value: String) {
        fragments = [.sql(value)]
    }

    /// A query from a string literal whose interpolations become binds.
    public init(stringInterpolation: StringInterpolation) {
        fragments = stringInterpolation.fragments
    }

    /// Builds an `SQLQuery` from a string literal: literal text is SQL, interpolations are binds.
    public struct StringInterpolation: StringInterpolationProtocol {
        var fragments: [Fragment] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            fragments.reserveCapacity(2 * interpolationCount + 1)
        }

        /// Appends literal SQL text.
        public mutating func appendLiteral(_ literal: String) {
            fragments.append(.sql(literal))
        }

        /// Appends a placeholder bound to `value`.
        public mutating func appendInterpolation(_ value: some SQLValueConvertible) {
            fragments.append(.bind(value.sqlValue))
        }

        /// Appends a placeholder bound to `value`, or to NULL when it is `nil`.
        public mutating func appendInterpolation<Value: SQLValueConvertible>(_ value: Value?) {
            fragments.append(.bind(value.sqlValue))
        }

        /// Appends another query, keeping its binds.
        public mutating func appendInterpolation(_ query: SQLQuery) {
            fragments.append(contentsOf: query.fragments)
        }

        /// Appends `sql` verbatim. Never pass text that came from a user.
        public mutating func appendInterpolation(unsafeRaw sql: String) {
            fragments.append(.sql(sql))
        }
    }

    /// The bound values, in placeholder order.
    public var binds: [SQLValue] {
        fragments.compactMap { fragment in
            if case .bind(let value) = fragment { value } else { nil }
        }
    }

    /// The statement text for `dialect`, with numbered placeholders in place of the binds.
    public func sql(for dialect: SQLDialect) -> String {
        var text = ""
        var bindCount = 0
        for fragment in fragments {
            switch fragment {
            case .sql(let sql):
                text += sql
            case .bind:
                bindCount += 1
                text += dialect.placeholder(bindCount)
            }
        }
        return text
    }

    /// The two queries one after the other, binds included.
    public static func + (lhs: SQLQuery, rhs: SQLQuery) -> SQLQuery {
        var result = lhs
        result.fragments.append(contentsOf: rhs.fragments)
        return result
    }

    /// Appends `rhs` to `lhs`.
    public static func += (lhs: inout SQLQuery, rhs: SQLQuery) {
        lhs.fragments.append(contentsOf: rhs.fragments)
    }
}
