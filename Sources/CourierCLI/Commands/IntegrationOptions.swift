import CourierIntegrationKit
import CourierWire
import Foundation

/// The `--opt key=value` options of `integration registered add` and `integration attached add`, as given on the
/// command line: each split on its first `=`, a value starting with `@` naming a file to read it from.
struct IntegrationOptions: Sendable, Equatable {
    /// One `--opt`.
    struct Option: Sendable, Equatable {
        var key: String
        var value: Value
    }

    /// Where an option's value comes from.
    enum Value: Sendable, Equatable {
        /// `key=value`: the text after the first `=`.
        case literal(String)
        /// `key=@path`: the contents of the file at `path`, without one trailing newline.
        case file(path: String)
    }

    /// Why the options could not become a JSON object.
    enum Failure: Error, Equatable {
        /// A `@path` file could not be read; the sentence says which.
        case unreadableFile(String)
        /// A value does not fit the type of its input field; the sentence says which.
        case invalidValue(String)
    }

    /// The help line of the `--opt` option, shared by the commands that take it.
    static let optionHelp = "An input of the integration; key=@path reads the value from a file, minus one trailing newline."

    /// The options, in command-line order.
    var options: [Option]

    init(_ options: [Option] = []) {
        self.options = options
    }

    /// Splits each `key=value` on its first `=`; throws when one has no `=`.
    init(parsing arguments: [String]) throws(UsageError) {
        options = try arguments.map { argument throws(UsageError) in
            guard let equals = argument.firstIndex(of: "=") else {
                throw UsageError("invalid option \(goQuoted(argument)), the expected format is key=value")
            }
            let key = String(argument[..<equals])
            let text = String(argument[argument.index(after: equals)...])
            return Option(key: key, value: text.hasPrefix("@") ? .file(path: String(text.dropFirst())) : .literal(text))
        }
    }

    /// The options as the JSON object of a request: values read from their files, then typed by the field of the
    /// same name (`boolean` as Go's `strconv.ParseBool` reads it, `integer`, `number`); keys without a field stay
    /// strings for the server to reject. A key given twice keeps its last value.
    func jsonObject(typedBy fields: [InputFieldDTO]) throws(Failure) -> JSONObject {
        let types = Dictionary(fields.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        var object = JSONObject()
        for option in options {
            let text = try Self.text(of: option)
            object[option.key] = try Self.typed(text, as: types[option.key] ?? "string")
        }
        return object
    }

    /// The text of an option: as given, or read from its file.
    private static func text(of option: Option) throws(Failure) -> String {
        switch option.value {
        case .literal(let text):
            return text
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .unreadableFile("Could not read the file '\(path)' given for option '\(option.key)'; check that it exists and is readable.")
            }
            guard let contents = String(data: data, encoding: .utf8) else {
                throw .unreadableFile("The file '\(path)' given for option '\(option.key)' is not UTF-8 text.")
            }
            return contents.unicodeScalars.last == "\n" ? String(contents.unicodeScalars.dropLast()) : contents
        }
    }

    /// `text` as a JSON value of the schema type `type`.
    private static func typed(_ text: String, as type: String) throws(Failure) -> JSONValue {
        let value: JSONValue?
        switch type {
        case "boolean":
            value = goParseBool(text).map(JSONValue.bool)
        case "integer":
            value = Int64(text).map(JSONValue.integer)
        case "number":
            if let number = Double(text), number.isFinite {
                value = .number(number)
            } else {
                value = nil
            }
        default:
            value = .string(text)
        }
        guard let value else {
            throw .invalidValue("invalid option \(goQuoted(text)), the expected format is \(goQuoted(type))")
        }
        return value
    }

    /// The spellings Go's `strconv.ParseBool` accepts.
    private static func goParseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }
}

/// `text` in double quotes as Go's `%q` writes it in upstream's messages: `\` and `"` escaped, control characters
/// spelled out.
func goQuoted(_ text: String) -> String {
    var quoted = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": quoted += "\\\""
        case "\\": quoted += "\\\\"
        case "\n": quoted += "\\n"
        case "\r": quoted += "\\r"
        case "\t": quoted += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16)
            quoted += "\\x" + (hex.count < 2 ? "0" + hex : hex)
        default: quoted.unicodeScalars.append(scalar)
        }
    }
    return quoted + "\""
}
