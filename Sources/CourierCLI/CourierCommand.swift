/// The `courier` command line.
///
/// The command tree is static: ``Root`` lists the groups, each group (a ``CommandGroup``) lists its
/// commands (each a ``Command``). To add a group, say `courier delivery …`:
///
/// 1. Create `Commands/DeliveryCommands.swift` with `extension CourierCommand { struct DeliveryCommands: CommandGroup }`
///    whose configuration names the group and lists its subcommands (groups nest: `integration available list`).
/// 2. In `extension CourierCommand.DeliveryCommands`, add one `struct List: Command, Equatable` per command: its
///    ``CommandConfiguration`` declares the options table (``OptionSpec/value(_:short:valueName:help:required:repeatable:allowedValues:)``,
///    ``OptionSpec/choice(_:short:of:help:required:)``, ``OptionSpec/flag(_:short:help:)``) and positionals;
///    `init(arguments:)` reads typed values and throws ``UsageError`` for combinations the table cannot express;
///    `run(in:)` calls the API through ``Invocation/client(requiringToken:)`` and prints a ``Table`` or JSON.
/// 3. Add the group's endpoints to that file as an `extension APIClient`, and the group to ``Root``.
///
/// Parsing, `--help`, usage errors (exit 2), runtime errors (exit 1) and global options come for free.
public enum CourierCommand {
    /// The version `courier --version` prints.
    public static let version = "0.1.0"

    /// The root of the command tree; add a command group by listing it here.
    public static let root: any CommandNode.Type = Root.self

    /// Runs the command line against the real process (standard streams, environment, network, server)
    /// and returns the process exit status.
    public static func main(arguments: [String]) async -> Int32 {
        await run(arguments: arguments, context: .live)
    }

    /// Runs the command line in `context` and returns the exit status: 0 on success, 1 on a runtime
    /// failure, 2 on a usage error.
    public static func run(arguments: [String], context: CommandContext) async -> Int32 {
        let outcome: ParseOutcome
        do {
            outcome = try CommandParser(root: root).parse(arguments)
        } catch {
            report(error.error, for: error.path, to: context.standardError)
            return 2
        }
        switch outcome {
        case .version:
            context.standardOutput.write("courier \(version)\n")
            return 0
        case .help(let path):
            context.standardOutput.write(Help.text(for: path))
            return 0
        case .run(let command, let globalOptions, let path):
            do {
                try await command.run(in: Invocation(context: context, globalOptions: globalOptions, path: path))
                return 0
            } catch let error as ExitCode {
                return error.status
            } catch let error as UsageError {
                report(error, for: path, to: context.standardError)
                return 2
            } catch let error as CLIError {
                context.standardError.write("Error: \(error.message)\n")
                return 1
            } catch {
                context.standardError.write("Error: \(error)\n")
                return 1
            }
        }
    }

    /// `Error: <message>`, the usage line and where to find help.
    private static func report(_ error: UsageError, for path: CommandPath, to standardError: any TextSink) {
        standardError.write("Error: \(error.message)\n\(Help.usageLine(for: path))\nSee '\(path.commandLine) --help'.\n")
    }

    /// `courier`: the command groups.
    struct Root: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "courier",
            abstract: "Courier delivers software-supply-chain attestations and their materials to the tools that need them.",
            subcommands: [
                Serve.self, Login.self, OrgCommands.self, TokenCommands.self, WorkflowCommands.self, KeyCommands.self, AttestationCommands.self,
                DeliveryCommands.self, IntegrationCommands.self,
            ]
        )
    }
}
