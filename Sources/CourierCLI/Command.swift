/// A node of the command tree: a command that runs, or a group of subcommands.
///
/// Shaped like swift-argument-parser's `ParsableCommand`, without the library: every node
/// describes itself with a static ``CommandConfiguration``; leaves conform to ``Command``,
/// inner nodes to ``CommandGroup``.
public protocol CommandNode: Sendable {
    /// Name, abstract, options, positionals and subcommands of this node.
    static var configuration: CommandConfiguration { get }
}

/// A command that runs: it builds itself from parsed arguments, then runs.
public protocol Command: CommandNode {
    /// Reads typed values from `arguments`; throws ``UsageError`` when a value is unusable.
    init(arguments: ParsedArguments) throws(UsageError)

    /// Does the work. Throw ``CLIError`` for a runtime failure, ``ExitCode`` to exit silently.
    func run(in invocation: Invocation) async throws
}

/// A command that only groups subcommands (`courier token`); its configuration lists them.
public protocol CommandGroup: CommandNode {}

/// What a command accepts and how it is described in help and usage lines.
public struct CommandConfiguration: Sendable {
    /// The word that selects the command (`create`).
    public var name: String
    /// Other words that select it (`ls` for `list`).
    public var aliases: [String]
    /// One line, shown in the parent's subcommand list and at the top of the help.
    public var abstract: String
    /// Paragraphs shown in the help after the usage line.
    public var discussion: String?
    /// The options the command accepts, besides the global options.
    public var options: [OptionSpec]
    /// The positional arguments, in order.
    public var positionals: [PositionalSpec]
    /// The subcommands of a group.
    public var subcommands: [any CommandNode.Type]
    /// Replaces the generated usage (after `courier <path> `) when options depend on each other.
    public var usageOverride: String?

    public init(
        name: String,
        aliases: [String] = [],
        abstract: String,
        discussion: String? = nil,
        options: [OptionSpec] = [],
        positionals: [PositionalSpec] = [],
        subcommands: [any CommandNode.Type] = [],
        usage: String? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.positionals = positionals
        self.subcommands = subcommands
        self.usageOverride = usage
    }

    /// Whether `word` selects this command.
    func isSelected(by word: String) -> Bool { word == name || aliases.contains(word) }
}

/// One option of a command's options table.
public struct OptionSpec: Sendable {
    /// How an option takes values.
    public enum Kind: Sendable, Equatable {
        /// `--force`: present or absent.
        case flag
        /// `--name <name>`: at most once.
        case single
        /// `--opt <key=value>`: any number of times, in order.
        case repeatable
    }

    /// The long name without dashes (`name` for `--name`).
    public var name: String
    /// The one-letter short name without the dash (`o` for `-o`).
    public var shortName: Character?
    public var kind: Kind
    /// The placeholder in usage and help (`<url>`), without angle brackets.
    public var valueName: String
    /// One line for the help.
    public var help: String
    /// Whether the command refuses to run without it.
    public var isRequired: Bool
    /// The only values accepted, when the option is an enumeration.
    public var allowedValues: [String]?

    /// An option that takes a value, once or (with `repeatable`) many times.
    public static func value(
        _ name: String,
        short: Character? = nil,
        valueName: String? = nil,
        help: String,
        required: Bool = false,
        repeatable: Bool = false,
        allowedValues: [String]? = nil
    ) -> OptionSpec {
        OptionSpec(
            name: name, shortName: short, kind: repeatable ? .repeatable : .single, valueName: valueName ?? name, help: help,
            isRequired: required, allowedValues: allowedValues
        )
    }

    /// An option whose values are the raw values of `choices` (`--role owner|admin|viewer|robot`).
    public static func choice<Choice: RawRepresentable & CaseIterable>(
        _ name: String,
        short: Character? = nil,
        of choices: Choice.Type,
        help: String,
        required: Bool = false
    ) -> OptionSpec where Choice.RawValue == String {
        .value(name, short: short, help: help, required: required, allowedValues: choices.allCases.map(\.rawValue))
    }

    /// A boolean flag.
    public static func flag(_ name: String, short: Character? = nil, help: String) -> OptionSpec {
        OptionSpec(name: name, shortName: short, kind: .flag, valueName: "", help: help, isRequired: false, allowedValues: nil)
    }

    /// `--name <name>`, or `--force` for a flag: how usage lines and messages spell the option.
    public var synopsis: String {
        kind == .flag ? "--\(name)" : "--\(name) <\(valueName)>"
    }
}

/// One positional argument of a command.
public struct PositionalSpec: Sendable {
    /// The placeholder in usage and help, without angle brackets.
    public var name: String
    public var help: String
    public var isRequired: Bool

    public init(_ name: String, help: String, required: Bool = true) {
        self.name = name
        self.help = help
        self.isRequired = required
    }
}
