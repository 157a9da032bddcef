/// The values the parser found for one command line, read by a command's `init(arguments:)`.
public struct ParsedArguments: Sendable {
    /// Values by option name, in command-line order; a flag that is present has one empty value.
    var optionValues: [String: [String]]
    /// Positional values by the name of their ``PositionalSpec``.
    var positionalValues: [String: String]
    /// Every option the command accepts (its own and the global ones), by name.
    var optionSpecs: [String: OptionSpec]

    /// The value of a single-valued option, or nil when it is absent.
    public func value(_ name: String) -> String? {
        optionValues[name]?.last
    }

    /// All the values of a repeatable option, in order.
    public func values(_ name: String) -> [String] {
        optionValues[name] ?? []
    }

    /// Whether a flag is present.
    public func flag(_ name: String) -> Bool {
        optionValues[name] != nil
    }

    /// The value of a required option (the parser has checked it is present).
    public func required(_ name: String) throws(UsageError) -> String {
        guard let value = value(name) else {
            throw UsageError("Missing required option '\(synopsis(of: name))'.")
        }
        return value
    }

    /// The value of an integer option, or nil when it is absent.
    public func integer(_ name: String) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text) else {
            throw UsageError("Invalid value '\(text)' for '\(synopsis(of: name))'; expected an integer.")
        }
        return number
    }

    /// The value of an enumeration option (declared with ``OptionSpec/choice(_:short:of:help:required:)``).
    public func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, as type: Choice.Type) throws(UsageError) -> Choice?
    where Choice.RawValue == String {
        guard let text = value(name) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError("Invalid value '\(text)' for '\(synopsis(of: name))'; use one of \(allowed).")
        }
        return choice
    }

    /// The value of a positional argument, or nil when an optional one is absent.
    public func positional(_ name: String) -> String? {
        positionalValues[name]
    }

    private func synopsis(of name: String) -> String {
        optionSpecs[name]?.synopsis ?? "--\(name)"
    }
}
