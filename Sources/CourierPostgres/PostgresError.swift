import CLibPQ
import CourierStorage

/// The fields of a failed libpq result that `SQLError` is built from.
///
/// Only fields that cannot hold bound values are kept: the SQLSTATE, the primary message (except
/// for data exceptions, whose messages quote the offending value), the constraint and the column
/// names of a unique key. The detail field, which quotes key values, is never copied whole.
struct PostgresError {
    /// The five-character SQLSTATE, such as `23505`.
    var state: String
    var message: String
    var constraint: String?
    /// The columns of the violated unique key, parsed from the detail `Key (a, b)=(…) already exists.`
    var keyColumns: String?

    init(_ result: OpaquePointer) {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        state = field("C") ?? "XX000"
        constraint = field("n")
        let column = field("c")
        if state.hasPrefix("22") {
            message = "invalid value (SQLSTATE \(state))" + (column.map { " for column \($0)" } ?? "")
        } else {
            message = field("M") ?? "unknown error (SQLSTATE \(state))"
        }
        if let detail = field("D"), detail.hasPrefix("Key ("), let end = detail.firstRange(of: ")=(") {
            keyColumns = String(detail[detail.index(detail.startIndex, offsetBy: 5)..<end.lowerBound])
        }
    }

    /// Serialization failures and deadlocks: rolling back and running the transaction again succeeds.
    static func isRetryable(state: String?) -> Bool {
        state == "40001" || state == "40P01"
    }

    /// The `SQLError` for this failure; its message names the constraint and the key's columns.
    func sqlError(sql: String?) -> SQLError {
        let kind: SQLError.Kind =
            switch state {
            case "23505": .uniqueViolation
            case "23503": .foreignKeyViolation
            case "23502", "23514", "23P01": .constraintViolation
            case "40001", "40P01", "55P03": .busy
            default: .other
            }
        var text = message
        if let constraint, !message.contains(constraint) { text += " (constraint \(constraint))" }
        if let keyColumns { text += " (columns \(keyColumns))" }
        return SQLError(kind, text, sql: sql)
    }
}
