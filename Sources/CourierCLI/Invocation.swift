import CourierWire
import Foundation

/// One run of a command: its context, the global options, and helpers for output and the API.
public struct Invocation: Sendable {
    public var context: CommandContext
    public var globalOptions: GlobalOptions
    /// The selected commands (`courier token create`).
    public var path: CommandPath

    public init(context: CommandContext, globalOptions: GlobalOptions, path: CommandPath) {
        self.context = context
        self.globalOptions = globalOptions
        self.path = path
    }

    /// The output format chosen with `-o`.
    public var output: OutputFormat { globalOptions.output }

    /// Writes a line of data to standard output.
    public func print(_ line: String) {
        context.standardOutput.write(line + "\n")
    }

    /// Writes a line (a note or a warning) to standard error.
    public func printNote(_ line: String) {
        context.standardError.write(line + "\n")
    }

    /// Confirms a change that returns no data: on standard output for tables, on standard error for JSON
    /// (whose standard output stays empty).
    public func confirm(_ sentence: String) {
        switch output {
        case .table: print(sentence)
        case .json: printNote(sentence)
        }
    }

    /// Writes a table to standard output.
    public func print(_ table: Table) {
        context.standardOutput.write(table.render())
    }

    /// Writes a table that explains an error to standard error.
    public func printNote(_ table: Table) {
        context.standardError.write(table.render())
    }

    /// Prints a list: the JSON array with `-o json`; otherwise `emptyMessage` when there is nothing, else the table.
    public func printList<Item: Encodable>(
        _ items: [Item],
        emptyMessage: @autoclosure () -> String,
        table: @autoclosure () -> Table
    ) throws(CLIError) {
        switch output {
        case .json: try printJSON(items)
        case .table where items.isEmpty: print(emptyMessage())
        case .table: print(table())
        }
    }

    /// Writes `value` as pretty-printed, stable JSON to standard output.
    public func printJSON<Value: Encodable>(_ value: Value) throws(CLIError) {
        do {
            let data = try Wire.prettyEncoder.encode(value)
            context.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        } catch {
            throw CLIError("Could not encode the output as JSON.")
        }
    }

    /// Where to send requests and with which token (see ``Settings/resolve(_:environment:)``).
    public func settings() throws(CLIError) -> Settings {
        try Settings.resolve(globalOptions, environment: context.environment)
    }

    /// A client for the configured server; with `requiringToken`, fails early when no token is configured.
    public func client(requiringToken: Bool = true) throws(CLIError) -> APIClient {
        let settings = try settings()
        if requiringToken && settings.token == nil {
            throw CLIError(
                "No API token is configured; pass --token, set COURIER_TOKEN, or run 'courier login --server URL --token T'."
            )
        }
        return APIClient(server: settings.server, token: settings.token, transport: context.transport)
    }
}
