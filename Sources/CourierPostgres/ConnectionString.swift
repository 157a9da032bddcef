import CLibPQ
import Glibc

/// Reads libpq connection strings (`postgres://user:pass@host:port/db?sslmode=…` or `key=value …`)
/// without ever echoing their password.
enum ConnectionString {
    /// The options libpq reads from `conninfo`, or libpq's complaint when it cannot parse it.
    static func options(of conninfo: String) -> Result<[String: String], ParseError> {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(conninfo, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(errorMessage)
            return .failure(ParseError(reason: reason.trimmingTrailingWhitespace()))
        }
        defer { PQconninfoFree(parsed) }
        var options: [String: String] = [:]
        var option = parsed
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { options[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return .success(options)
    }

    /// The password in `conninfo`, when it has one.
    static func password(of conninfo: String) -> String? {
        try? options(of: conninfo).get()["password"]
    }

    /// Where `conninfo` points, for messages: `host H, port P, database D, user U` with the parts it sets.
    static func summary(of conninfo: String) -> String {
        guard let options = try? options(of: conninfo).get() else { return "an unparsable connection string" }
        let parts = [("host", "host"), ("port", "port"), ("database", "dbname"), ("user", "user")].compactMap { label, keyword in
            options[keyword].map { "\(label) \($0)" }
        }
        return parts.isEmpty ? "the default server" : parts.joined(separator: ", ")
    }

    /// Why a connection string could not be parsed, in libpq's words.
    struct ParseError: Error {
        var reason: String
    }
}

extension String {
    /// The string without trailing spaces and newlines (libpq ends its messages with a newline).
    func trimmingTrailingWhitespace() -> String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
