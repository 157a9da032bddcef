/// The commands selected by the words of a command line, from the root (`courier`) to the deepest one.
public struct CommandPath: Sendable {
    /// The nodes, root first.
    public var nodes: [any CommandNode.Type]

    /// The deepest node selected so far.
    public var last: any CommandNode.Type { nodes[nodes.count - 1] }

    /// `courier token create`.
    public var commandLine: String {
        nodes.map { $0.configuration.name }.joined(separator: " ")
    }

    /// The options accepted at this point: the last node's own, then the global ones.
    var acceptedOptions: [OptionSpec] {
        last.configuration.options + GlobalOptions.specs
    }
}

/// What a command line asks for.
public enum ParseOutcome: Sendable {
    /// Run `command`, built from the arguments, with the global options.
    case run(any Command, GlobalOptions, CommandPath)
    /// Print the help of the command at `path`.
    case help(CommandPath)
    /// Print the version.
    case version
}

/// A usage error, with the command it concerns (for the usage line and the `--help` hint).
public struct ParseFailure: Error, Sendable {
    public var error: UsageError
    public var path: CommandPath
}

/// A hand-written parser for `--opt value`, `--opt=value`, `-o value`, repeatable options, flags,
/// positionals and nested subcommands. Global options are accepted anywhere; `--` ends the options.
public struct CommandParser: Sendable {
    private let root: any CommandNode.Type

    public init(root: any CommandNode.Type) {
        self.root = root
    }

    /// Parses `arguments` (without the program name).
    public func parse(_ arguments: [String]) throws(ParseFailure) -> ParseOutcome {
        var state = ParseState(path: CommandPath(nodes: [root]))
        do {
            if let early = try state.consume(arguments) {
                return early
            }
            return try state.finish()
        } catch {
            throw ParseFailure(error: error, path: state.path)
        }
    }
}

/// The parser's progress through one command line.
private struct ParseState {
    var path: CommandPath
    var optionValues: [String: [String]] = [:]
    var positionals: [String] = []

    /// Walks the arguments; returns early for `--help` and `--version`.
    mutating func consume(_ arguments: [String]) throws(UsageError) -> ParseOutcome? {
        var remaining = arguments[...]
        var optionsEnded = false
        while let argument = remaining.popFirst() {
            if optionsEnded || !looksLikeOption(argument) {
                try consumeWord(argument)
            } else if argument == "--" {
                optionsEnded = true
            } else if argument == "--help" || argument == "-h" {
                return .help(path)
            } else if argument == "--version" {
                return .version
            } else {
                try consumeOption(argument, remaining: &remaining)
            }
        }
        return nil
    }

    /// Checks what is required and builds the command.
    func finish() throws(UsageError) -> ParseOutcome {
        let configuration = path.last.configuration
        guard let command = path.last as? any Command.Type else {
            let choices = configuration.subcommands.map { $0.configuration.name }.joined(separator: ", ")
            let target = path.nodes.count == 1 ? "" : " for '\(path.commandLine)'"
            throw UsageError("Missing command\(target); choose one of \(choices).")
        }
        for option in configuration.options where option.isRequired && optionValues[option.name] == nil {
            throw UsageError("Missing required option '\(option.synopsis)'.")
        }
        var positionalValues: [String: String] = [:]
        for (index, positional) in configuration.positionals.enumerated() {
            if index < positionals.count {
                positionalValues[positional.name] = positionals[index]
            } else if positional.isRequired {
                throw UsageError("Missing required argument '<\(positional.name)>'.")
            }
        }
        let specs = Dictionary(path.acceptedOptions.map { ($0.name, $0) }, uniquingKeysWith: { own, _ in own })
        let arguments = ParsedArguments(optionValues: optionValues, positionalValues: positionalValues, optionSpecs: specs)
        return .run(try command.init(arguments: arguments), try GlobalOptions(arguments: arguments), path)
    }

    private func looksLikeOption(_ argument: String) -> Bool {
        argument.hasPrefix("-") && argument != "-"
    }

    /// A subcommand name while the path ends in a group, else a positional.
    private mutating func consumeWord(_ word: String) throws(UsageError) {
        let configuration = path.last.configuration
        guard path.last is any Command.Type else {
            if let subcommand = configuration.subcommands.first(where: { $0.configuration.isSelected(by: word) }) {
                path.nodes.append(subcommand)
                return
            }
            let target = path.nodes.count == 1 ? "" : " for '\(path.commandLine)'"
            let names = configuration.subcommands.map { $0.configuration.name }
            throw UsageError(sentence("Unknown command '\(word)'\(target)", suggesting: word, among: names))
        }
        guard positionals.count < configuration.positionals.count else {
            throw UsageError("Unexpected argument '\(word)'.")
        }
        positionals.append(word)
    }

    private mutating func consumeOption(_ argument: String, remaining: inout ArraySlice<String>) throws(UsageError) {
        let (spelling, inlineValue) = splitInlineValue(argument)
        guard let option = path.acceptedOptions.first(where: { matches($0, spelling) }) else {
            let names = path.acceptedOptions.map { "--\($0.name)" } + ["--help"]
            throw UsageError(sentence("Unknown option '\(spelling)'", suggesting: spelling, among: names))
        }
        if option.kind == .flag {
            guard inlineValue == nil else {
                throw UsageError("The flag '\(option.synopsis)' does not take a value.")
            }
            optionValues[option.name] = [""]
            return
        }
        let value: String
        if let inlineValue {
            value = inlineValue
        } else if let next = remaining.first, !looksLikeOption(next) {
            value = next
            remaining.removeFirst()
        } else {
            throw UsageError("Missing value for '\(option.synopsis)'.")
        }
        if let allowed = option.allowedValues, !allowed.contains(value) {
            throw UsageError("Invalid value '\(value)' for '\(option.synopsis)'; use one of \(allowed.joined(separator: ", ")).")
        }
        if option.kind == .single, optionValues[option.name] != nil {
            throw UsageError("The option '\(option.synopsis)' was given more than once.")
        }
        optionValues[option.name, default: []].append(value)
    }

    /// `--name=value` → (`--name`, `value`); `-o=json` → (`-o`, `json`).
    private func splitInlineValue(_ argument: String) -> (String, String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    private func matches(_ option: OptionSpec, _ spelling: String) -> Bool {
        if spelling == "--\(option.name)" { return true }
        guard let short = option.shortName else { return false }
        return spelling == "-\(short)"
    }
}

/// `statement` ended with `; did you mean 'x'?` when a candidate is within a small edit distance of `word`,
/// else with a period.
func sentence(_ statement: String, suggesting word: String, among candidates: [String]) -> String {
    let scored = candidates.map { ($0, editDistance(word, $0)) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return statement + "." }
    return "\(statement); did you mean '\(best.0)'?"
}

/// The Levenshtein distance between two strings, by characters.
func editDistance(_ source: String, _ target: String) -> Int {
    let source = Array(source)
    let target = Array(target)
    guard !source.isEmpty else { return target.count }
    guard !target.isEmpty else { return source.count }
    var previous = Array(0...target.count)
    for (sourceIndex, sourceCharacter) in source.enumerated() {
        var current = [sourceIndex + 1]
        for (targetIndex, targetCharacter) in target.enumerated() {
            let substitution = previous[targetIndex] + (sourceCharacter == targetCharacter ? 0 : 1)
            current.append(min(previous[targetIndex + 1] + 1, current[targetIndex] + 1, substitution))
        }
        previous = current
    }
    return previous[target.count]
}
