/// How commands print their data.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Box-drawn tables and sentences, for people.
    case table
    /// Pretty-printed, stable JSON, for programs.
    case json
}

/// The options every command accepts, before or after its name.
public struct GlobalOptions: Sendable, Equatable {
    /// `--server URL`; nil when not given on the command line.
    public var server: String?
    /// `--token T`; nil when not given on the command line.
    public var token: String?
    /// `-o/--output table|json`.
    public var output: OutputFormat

    public init(server: String? = nil, token: String? = nil, output: OutputFormat = .table) {
        self.server = server
        self.token = token
        self.output = output
    }

    /// The options table shared by every command.
    static let specs: [OptionSpec] = [
        .value("server", valueName: "url", help: "Courier server URL (env COURIER_SERVER, then the config file; default \(Settings.defaultServer))."),
        .value("token", help: "API token (env COURIER_TOKEN, then the config file written by 'courier login')."),
        .choice("output", short: "o", of: OutputFormat.self, help: "Output format: table or json (default table)."),
    ]

    /// Reads the global options out of parsed arguments.
    init(arguments: ParsedArguments) throws(UsageError) {
        server = arguments.value("server")
        token = arguments.value("token")
        output = try arguments.choice("output", as: OutputFormat.self) ?? .table
    }
}
