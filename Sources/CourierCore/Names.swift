/// Validation of the names users give to organizations, projects, workflows, tokens and integrations.
public enum Names {
    /// Checks that `name` is a DNS-1123 label: 1–63 lowercase letters, digits and '-', starting and
    /// ending with a letter or digit.
    ///
    /// - Parameter what: what the name names, for the message (`"workflow name"`).
    /// - Throws: `CourierError` with code `invalid_argument` naming the rule.
    public static func validateLabel(_ name: String, what: String) throws(CourierError) {
        if name.isEmpty {
            throw .invalid("The \(what) is required.")
        }
        if !isDNS1123Label(name) {
            throw .invalid(
                "The \(what) \"\(name)\" is invalid: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. 'my-name' or '123-abc')."
            )
        }
    }

    /// Whether `name` is a DNS-1123 label.
    public static func isDNS1123Label(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard alphanumeric(bytes[0]), alphanumeric(bytes[bytes.count - 1]) else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }
}
