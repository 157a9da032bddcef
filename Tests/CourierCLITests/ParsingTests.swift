import CourierCore
import CourierWire
import Testing

@testable import CourierCLI

@Suite("Parsing")
struct ParsingTests {
    private let parser = CommandParser(root: CourierCommand.root)

    private func command(_ arguments: [String]) throws -> (any Command, GlobalOptions) {
        guard case .run(let command, let options, _) = try parser.parse(arguments) else {
            Issue.record("\(arguments) did not select a command to run")
            throw UsageError("not a run")
        }
        return (command, options)
    }

    // MARK: - Values

    @Test func parsesRequiredAndOptionalValuesInBothSpellings() throws {
        let (parsed, _) = try command(["token", "create", "--name=ci", "--role", "robot", "--project", "shop", "--workflow=build"])
        #expect(
            parsed as? CourierCommand.TokenCommands.Create
                == .init(name: "ci", role: .robot, scope: WorkflowScopeDTO(project: "shop", workflow: "build")))
    }

    @Test func parsesPositionals() throws {
        let (parsed, _) = try command(["org", "create", "acme"])
        #expect(parsed as? CourierCommand.OrgCommands.Create == .init(name: "acme"))
    }

    @Test func acceptsAliases() throws {
        let (parsed, _) = try command(["workflow", "ls", "--project", "shop"])
        #expect(parsed as? CourierCommand.WorkflowCommands.List == .init(project: "shop"))
    }

    @Test func acceptsValuesAfterDoubleDashAsPositionals() throws {
        let (parsed, _) = try command(["org", "create", "--", "-odd-name"])
        #expect(parsed as? CourierCommand.OrgCommands.Create == .init(name: "-odd-name"))
    }

    @Test(arguments: [
        ["--server", "http://h:1", "--token", "t", "-o", "json", "workflow", "list"],
        ["workflow", "--server=http://h:1", "list", "--token=t", "--output=json"],
        ["workflow", "list", "-o=json", "--token", "t", "--server", "http://h:1"],
    ])
    func acceptsGlobalOptionsBeforeAndAfterTheSubcommand(arguments: [String]) throws {
        let (parsed, options) = try command(arguments)
        #expect(parsed is CourierCommand.WorkflowCommands.List)
        #expect(options == GlobalOptions(server: "http://h:1", token: "t", output: .json))
    }

    @Test func collectsRepeatableOptionsInOrderAndFlags() throws {
        let outcome = try CommandParser(root: ProbeRoot.self).parse(["probe", "--opt", "a=1", "--force", "--opt=b=2"])
        guard case .run(let parsed, _, let path) = outcome else {
            Issue.record("not a run")
            return
        }
        #expect(parsed as? Probe == Probe(options: ["a=1", "b=2"], force: true))
        #expect(Help.usageLine(for: path) == "Usage: courier probe [--opt <key=value> ...] [--force]")
    }

    @Test func readsTypedValues() throws {
        let spec = OptionSpec.value("limit", help: "A number.")
        let valid = ParsedArguments(optionValues: ["limit": ["12"]], positionalValues: [:], optionSpecs: ["limit": spec])
        #expect(try valid.integer("limit") == 12)
        let invalid = ParsedArguments(optionValues: ["limit": ["many"]], positionalValues: [:], optionSpecs: ["limit": spec])
        #expect(throws: UsageError("Invalid value 'many' for '--limit <limit>'; expected an integer.")) { try invalid.integer("limit") }
    }

    @Test func parsesEveryCommandOfThisIssue() throws {
        #expect(try command(["token", "revoke", "--name", "ci"]).0 as? CourierCommand.TokenCommands.Revoke == .init(name: "ci"))
        #expect(
            try command(["token", "create", "--name", "a", "--role", "admin"]).0 as? CourierCommand.TokenCommands.Create
                == .init(name: "a", role: .admin))
        #expect(
            try command(["workflow", "delete", "--project", "shop", "--name", "build"]).0 as? CourierCommand.WorkflowCommands.Delete
                == .init(name: "build", project: "shop"))
        #expect(
            try command(["workflow", "create", "--name", "build", "--project", "shop", "--team", "t"]).0
                as? CourierCommand.WorkflowCommands.Create == .init(request: CreateWorkflowRequest(name: "build", project: "shop", team: "t")))
        #expect(try command(["workflow", "list"]).0 as? CourierCommand.WorkflowCommands.List == .init(project: nil))
        #expect(try command(["token", "ls"]).0 is CourierCommand.TokenCommands.List)
        #expect(try command(["login", "--server", "http://s:1", "--token", "t"]).0 is CourierCommand.Login)
    }

    @Test func parsesServeOptions() throws {
        let (parsed, _) = try command(["serve", "--listen", "0.0.0.0:0", "--data-dir", "/d", "--database", "sqlite:/x.db", "--cas", "file:/c"])
        #expect(parsed as? CourierCommand.Serve == .init(listen: "0.0.0.0:0", dataDirectory: "/d", database: "sqlite:/x.db", cas: "file:/c"))
    }

    // MARK: - Usage errors

    @Test(arguments: [
        (["tokn", "list"], "Unknown command 'tokn'; did you mean 'token'?", "Usage: courier <command>", "courier"),
        (["token", "lst"], "Unknown command 'lst' for 'courier token'; did you mean 'list'?", "Usage: courier token <command>", "courier token"),
        (["token", "zzzzzz"], "Unknown command 'zzzzzz' for 'courier token'.", "Usage: courier token <command>", "courier token"),
        (["token"], "Missing command for 'courier token'; choose one of create, list, revoke.", "Usage: courier token <command>", "courier token"),
        (
            [], "Missing command; choose one of serve, login, org, token, workflow, key, attestation, delivery, integration.",
            "Usage: courier <command>", "courier"
        ),
        (
            ["token", "revoke", "--nmae", "x"], "Unknown option '--nmae'; did you mean '--name'?",
            "Usage: courier token revoke --name <name>", "courier token revoke"
        ),
        (["token", "list", "--bogus-option"], "Unknown option '--bogus-option'.", "Usage: courier token list", "courier token list"),
        (["--sever", "x", "token", "list"], "Unknown option '--sever'; did you mean '--server'?", "Usage: courier <command>", "courier"),
        (["org", "--name", "x"], "Unknown option '--name'.", "Usage: courier org <command>", "courier org"),
        (["token", "revoke", "--name"], "Missing value for '--name <name>'.", "Usage: courier token revoke --name <name>", "courier token revoke"),
        (
            ["token", "revoke", "--name", "--token", "t"], "Missing value for '--name <name>'.",
            "Usage: courier token revoke --name <name>", "courier token revoke"
        ),
        (["token", "revoke"], "Missing required option '--name <name>'.", "Usage: courier token revoke --name <name>", "courier token revoke"),
        (
            ["token", "create", "--name", "a", "--role", "boss"],
            "Invalid value 'boss' for '--role <role>'; use one of owner, admin, viewer, robot.",
            "Usage: courier token create --name <name> --role <role> [--project <project> --workflow <workflow>]", "courier token create"
        ),
        (
            ["token", "create", "--name", "a", "--role", "robot", "--project", "p"],
            "Pass both '--project <project>' and '--workflow <workflow>', or neither.",
            "Usage: courier token create --name <name> --role <role> [--project <project> --workflow <workflow>]", "courier token create"
        ),
        (["token", "list", "extra"], "Unexpected argument 'extra'.", "Usage: courier token list", "courier token list"),
        (["org", "create"], "Missing required argument '<name>'.", "Usage: courier org create <name>", "courier org create"),
        (
            ["token", "revoke", "--name", "a", "--name", "b"], "The option '--name <name>' was given more than once.",
            "Usage: courier token revoke --name <name>", "courier token revoke"
        ),
        (
            ["workflow", "list", "-o", "yaml"], "Invalid value 'yaml' for '--output <output>'; use one of table, json.",
            "Usage: courier workflow list [--project <project>]", "courier workflow list"
        ),
        (
            ["serve", "--listen", "localhost"], "Invalid value 'localhost' for '--listen <host:port>'; use for example 127.0.0.1:8080.",
            "Usage: courier serve [--listen <host:port>] [--data-dir <dir>] [--database <url>] [--cas <url>] [--rotate-master-key]",
            "courier serve"
        ),
    ])
    func reportsUsageErrors(arguments: [String], message: String, usage: String, path: String) async {
        let result = await Harness().run(arguments)
        #expect(result.status == 2)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError == "Error: \(message)\n\(usage)\nSee '\(path) --help'.\n")
    }

    @Test func rejectsAValueForAFlag() {
        #expect {
            _ = try CommandParser(root: ProbeRoot.self).parse(["probe", "--force=yes"])
        } throws: { error in
            (error as? ParseFailure)?.error == UsageError("The flag '--force' does not take a value.")
        }
    }

    // MARK: - Help and version

    @Test func printsTheVersion() async {
        let result = await Harness().run(["--version"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "courier \(CourierCommand.version)\n")
    }

    @Test(arguments: allCommandPaths())
    func printsHelpForEveryCommand(path: [String]) async {
        for flag in ["--help", "-h"] {
            let result = await Harness().run(path + [flag])
            #expect(result.status == 0, "\(path)")
            #expect(result.standardError.isEmpty)
            let parsed = try? CommandParser(root: CourierCommand.root).parse(path + [flag])
            guard case .help(let commandPath) = parsed else {
                Issue.record("\(path) \(flag) did not ask for help")
                continue
            }
            let configuration = commandPath.last.configuration
            #expect(result.standardOutput.hasPrefix(configuration.abstract + "\n\n" + Help.usageLine(for: commandPath) + "\n"))
            for option in configuration.options + GlobalOptions.specs {
                #expect(result.standardOutput.contains("  " + (option.shortName.map { "-\($0), " } ?? "") + option.synopsis + "  "))
            }
            for subcommand in configuration.subcommands {
                #expect(result.standardOutput.contains("  \(subcommand.configuration.name)"))
            }
        }
    }

    @Test func helpOfAGroupListsItsCommands() async {
        let result = await Harness().run(["workflow", "--help"])
        #expect(result.standardOutput.contains("Commands:\n  create "))
        #expect(result.standardOutput.contains("  list, ls "))
        #expect(result.standardOutput.hasSuffix("See 'courier workflow <command> --help' for the options of a command.\n"))
    }

    @Test func helpWinsOverMissingRequiredOptions() async {
        let result = await Harness().run(["workflow", "delete", "-h"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("Usage: courier workflow delete --name <name> --project <project>\n"))
    }
}

/// Every command path of the tree, root included (`[]`, `["token"]`, `["token", "create"]`, …).
func allCommandPaths() -> [[String]] {
    func walk(_ node: any CommandNode.Type, _ prefix: [String]) -> [[String]] {
        [prefix] + node.configuration.subcommands.flatMap { walk($0, prefix + [$0.configuration.name]) }
    }
    return walk(CourierCommand.root, [])
}

/// A command with a repeatable option and a flag, to test what no command of this issue uses yet.
private struct Probe: Command, Equatable {
    static let configuration = CommandConfiguration(
        name: "probe",
        abstract: "Probe.",
        options: [
            .value("opt", valueName: "key=value", help: "Repeatable.", repeatable: true),
            .flag("force", help: "A flag."),
        ]
    )

    var options: [String]
    var force: Bool

    init(options: [String], force: Bool) {
        self.options = options
        self.force = force
    }

    init(arguments: ParsedArguments) throws(UsageError) {
        options = arguments.values("opt")
        force = arguments.flag("force")
    }

    func run(in invocation: Invocation) async throws {}
}

private struct ProbeRoot: CommandGroup {
    static let configuration = CommandConfiguration(name: "courier", abstract: "Probe root.", subcommands: [Probe.self])
}
