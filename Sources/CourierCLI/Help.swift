/// Usage lines and help texts, generated from the command tree.
enum Help {
    /// `Usage: courier token create --name <name> --role <role> [--project <project>]`.
    static func usageLine(for path: CommandPath) -> String {
        let configuration = path.last.configuration
        guard path.last is any Command.Type else {
            return "Usage: \(path.commandLine) <command>"
        }
        if let override = configuration.usageOverride {
            return "Usage: \(path.commandLine) \(override)"
        }
        var words = [path.commandLine]
        for option in configuration.options {
            let synopsis = option.kind == .repeatable ? "\(option.synopsis) ..." : option.synopsis
            words.append(option.isRequired ? synopsis : "[\(synopsis)]")
        }
        for positional in configuration.positionals {
            words.append(positional.isRequired ? "<\(positional.name)>" : "[<\(positional.name)>]")
        }
        return "Usage: " + words.joined(separator: " ")
    }

    /// The text `--help` prints: abstract, usage, discussion, arguments, options, subcommands.
    static func text(for path: CommandPath) -> String {
        let configuration = path.last.configuration
        var sections = [configuration.abstract, usageLine(for: path)]
        if let discussion = configuration.discussion {
            sections.append(discussion)
        }
        var tables: [(title: String, rows: [(String, String)])] = []
        if !configuration.positionals.isEmpty {
            tables.append(("Arguments:", configuration.positionals.map { ("<\($0.name)>", $0.help) }))
        }
        if !configuration.options.isEmpty {
            tables.append(("Options:", configuration.options.map(optionRow)))
        }
        if !configuration.subcommands.isEmpty {
            let rows = configuration.subcommands.map { subcommand in
                let names = ([subcommand.configuration.name] + subcommand.configuration.aliases).joined(separator: ", ")
                return (names, subcommand.configuration.abstract)
            }
            tables.append(("Commands:", rows))
        }
        var globalRows = GlobalOptions.specs.map(optionRow) + [("-h, --help", "Show help for this command.")]
        if path.nodes.count == 1 {
            globalRows.append(("--version", "Print the version of courier."))
        }
        tables.append(("Global options:", globalRows))

        let width = min(32, tables.flatMap(\.rows).map(\.0.count).max() ?? 0)
        for table in tables {
            let lines = table.rows.map { left, right in
                let padding = left.count < width ? String(repeating: " ", count: width - left.count) : ""
                return "  \(left)\(padding)  \(right)"
            }
            sections.append(([table.title] + lines).joined(separator: "\n"))
        }
        if !configuration.subcommands.isEmpty {
            sections.append("See '\(path.commandLine) <command> --help' for the options of a command.")
        }
        return sections.joined(separator: "\n\n") + "\n"
    }

    private static func optionRow(_ option: OptionSpec) -> (String, String) {
        let spelling = option.shortName.map { "-\($0), \(option.synopsis)" } ?? option.synopsis
        let repeatable = option.kind == .repeatable ? " Repeatable." : ""
        return (spelling, option.help + repeatable)
    }
}
