/// The secret half of a registration (API keys, passwords, webhook URLs), kept in the secret store, never in the
/// database, and never printed: `description`, `debugDescription`, `dump` and `String(reflecting:)` list field
/// names only.
///
/// Encodes as a flat JSON object of strings, e.g. `{"Password": "…"}`; upstream's three fields are
/// ``url``, ``username`` and ``password`` (keys `URL`, `Username`, `Password`), and other names are allowed.
public struct Credentials: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Upstream's field for secret URLs (the generic webhook's URL).
    public static let urlField = "URL"
    /// Upstream's field for user names.
    public static let usernameField = "Username"
    /// Upstream's field for passwords, API keys and secret webhook URLs.
    public static let passwordField = "Password"

    private var fields: [String: String]

    /// The bytes of all names and values, to bound a cache of opened credentials.
    var byteCount: Int { fields.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count } }

    /// Creates credentials from named secret strings.
    public init(_ fields: [String: String] = [:]) {
        self.fields = fields
    }

    /// Creates credentials with upstream's fields; `nil` fields are left out.
    public init(url: String? = nil, username: String? = nil, password: String? = nil) {
        self.init()
        self[Self.urlField] = url
        self[Self.usernameField] = username
        self[Self.passwordField] = password
    }

    /// The secret stored under `field`.
    public subscript(field: String) -> String? {
        get { fields[field] }
        set { fields[field] = newValue }
    }

    /// The `URL` field.
    public var url: String? { self[Self.urlField] }
    /// The `Username` field.
    public var username: String? { self[Self.usernameField] }
    /// The `Password` field.
    public var password: String? { self[Self.passwordField] }

    /// The names of the fields present, sorted.
    public var fieldNames: [String] { fields.keys.sorted() }

    public init(from decoder: any Decoder) throws {
        fields = try decoder.singleValueContainer().decode([String: String].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(fields)
    }

    public var description: String {
        "Credentials(\(fieldNames.map { "\($0): <redacted>" }.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: fieldNames.map { (label: $0, value: "<redacted>" as Any) }, displayStyle: .struct)
    }
}
