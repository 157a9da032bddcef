/// The command line was used wrongly: printed with the usage line, exit status 2.
public struct UsageError: Error, Sendable, Equatable {
    /// One sentence, ending with a period.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}

/// A runtime failure (server error, unreachable server, bad config file): printed alone, exit status 1.
public struct CLIError: Error, Sendable, Equatable {
    /// One sentence saying what went wrong and, when possible, how to fix it.
    public var message: String
    /// The API's error code (`not_found`, …) when the server reported the failure.
    public var serverCode: String?

    public init(_ message: String, serverCode: String? = nil) {
        self.message = message
        self.serverCode = serverCode
    }
}

/// Ends the command with `status` and prints nothing more (the command has said what it had to).
public struct ExitCode: Error, Sendable, Equatable {
    public var status: Int32

    public init(_ status: Int32) {
        self.status = status
    }
}
