/// The inputs an integration accepts at registration or attachment, declared once and used three ways:
/// rendered as a JSON Schema 2020-12 document (``document(id:)``), checked by ``SchemaValidator``,
/// and summarised for CLI tables (``propertiesMap``).
///
/// Schemas are flat, like upstream's: one object whose properties are strings, booleans, integers or numbers,
/// with `additionalProperties: false`. Properties keep their declaration order.
///
/// ```swift
/// static let inputSchema = InputSchema(
///     properties: [
///         .string("webhook", format: .uri, required: true, description: "URL of the discord webhook"),
///         .string("username", minLength: 1, description: "Override the default username of the webhook"),
///     ]
/// )
/// ```
public struct InputSchema: Sendable, Hashable {
    /// The properties, in declaration order.
    public var properties: [InputProperty]
    /// Alternatives of which exactly one must hold; each is rendered `{"required": [...], "title": ...}`.
    public var oneOf: [OneOfBranch]
    /// Properties that require others when present, e.g. `parentID` requires `projectName`.
    public var dependentRequired: [DependentRequirement]

    /// Creates a schema.
    public init(
        properties: [InputProperty] = [],
        oneOf: [OneOfBranch] = [],
        dependentRequired: [DependentRequirement] = []
    ) {
        self.properties = properties
        self.oneOf = oneOf
        self.dependentRequired = dependentRequired
    }

    /// A schema without properties: the payload must be an empty object.
    public static let empty = InputSchema()

    /// The names of the required properties, in declaration order.
    public var requiredNames: [String] {
        properties.filter(\.isRequired).map(\.name)
    }

    /// The property called `name`, if declared.
    public func property(named name: String) -> InputProperty? {
        properties.first { $0.name == name }
    }
}

/// The JSON type of an input property.
public enum InputType: String, Sendable, Hashable, Codable, CaseIterable {
    case string, boolean, integer, number
}

/// A `format` keyword. `uri` and `email` are asserted; `password` only marks the field as secret for display.
public enum InputFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case uri, email, password
}

/// One property of an ``InputSchema``.
public struct InputProperty: Sendable, Hashable {
    /// The JSON key.
    public var name: String
    /// The JSON type.
    public var type: InputType
    /// The asserted (or, for `password`, informative) format.
    public var format: InputFormat?
    /// The minimum length of a string, counted in Unicode scalars.
    public var minLength: Int?
    /// The allowed values, if restricted.
    public var allowedValues: [JSONValue]?
    /// The value the integration assumes when the property is absent.
    public var defaultValue: JSONValue?
    /// One sentence shown in CLI tables.
    public var description: String?
    /// Whether the property must be present.
    public var isRequired: Bool

    /// Creates a property; prefer the typed factories ``string(_:format:minLength:allowedValues:default:required:description:)``,
    /// ``boolean(_:default:required:description:)``, ``integer(_:default:required:description:)`` and
    /// ``number(_:default:required:description:)``.
    public init(
        name: String,
        type: InputType,
        format: InputFormat? = nil,
        minLength: Int? = nil,
        allowedValues: [JSONValue]? = nil,
        defaultValue: JSONValue? = nil,
        description: String? = nil,
        isRequired: Bool = false
    ) {
        self.name = name
        self.type = type
        self.format = format
        self.minLength = minLength
        self.allowedValues = allowedValues
        self.defaultValue = defaultValue
        self.description = description
        self.isRequired = isRequired
    }

    /// A string property.
    public static func string(
        _ name: String,
        format: InputFormat? = nil,
        minLength: Int? = nil,
        allowedValues: [String]? = nil,
        default defaultValue: String? = nil,
        required: Bool = false,
        description: String? = nil
    ) -> InputProperty {
        InputProperty(
            name: name, type: .string, format: format, minLength: minLength,
            allowedValues: allowedValues?.map(JSONValue.string), defaultValue: defaultValue.map(JSONValue.string),
            description: description, isRequired: required
        )
    }

    /// A boolean property.
    public static func boolean(
        _ name: String, default defaultValue: Bool? = nil, required: Bool = false, description: String? = nil
    ) -> InputProperty {
        InputProperty(
            name: name, type: .boolean, defaultValue: defaultValue.map(JSONValue.bool),
            description: description, isRequired: required
        )
    }

    /// An integer property.
    public static func integer(
        _ name: String, default defaultValue: Int64? = nil, required: Bool = false, description: String? = nil
    ) -> InputProperty {
        InputProperty(
            name: name, type: .integer, defaultValue: defaultValue.map(JSONValue.integer),
            description: description, isRequired: required
        )
    }

    /// A number property.
    public static func number(
        _ name: String, default defaultValue: Double? = nil, required: Bool = false, description: String? = nil
    ) -> InputProperty {
        InputProperty(
            name: name, type: .number, defaultValue: defaultValue.map(JSONValue.number),
            description: description, isRequired: required
        )
    }
}

/// One branch of a `oneOf`: the properties that branch requires, titled by upstream's convention.
public struct OneOfBranch: Sendable, Hashable {
    /// The properties this branch requires.
    public var required: [String]
    /// The branch title; upstream uses the required property's name.
    public var title: String

    /// Creates a branch requiring `property`, titled with its name (upstream's `oneof_required` tag).
    public static func requiring(_ property: String) -> OneOfBranch {
        OneOfBranch(required: [property], title: property)
    }

    /// Creates a branch.
    public init(required: [String], title: String) {
        self.required = required
        self.title = title
    }
}

/// A `dependentRequired` entry: when `property` is present, each of `requires` must be too.
public struct DependentRequirement: Sendable, Hashable {
    /// The triggering property.
    public var property: String
    /// The properties it requires.
    public var requires: [String]

    /// Creates an entry.
    public init(_ property: String, requires: [String]) {
        self.property = property
        self.requires = requires
    }
}

// MARK: - JSON Schema document

/// Which of an integration's two input schemas a document describes; names the `$id`.
public enum InputSchemaKind: String, Sendable, Hashable, CaseIterable {
    case registration
    case attachment

    /// The last segment of upstream's `$id`: `registration-request` or `attachment-request`.
    public var idSuffix: String { "\(rawValue)-request" }
}

extension InputSchema {
    /// The JSON Schema draft this module emits and validates.
    public static let draft = "https://json-schema.org/draft/2020-12/schema"

    /// Upstream's `$id` for a schema of the integration whose plugin directory is `directory`, e.g.
    /// `https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/smtp/v1/registration-request`.
    public static func id(directory: String, kind: InputSchemaKind) -> String {
        "https://github.com/chainloop-dev/chainloop/app/controlplane/plugins/core/\(directory)/v1/\(kind.idSuffix)"
    }

    /// The JSON Schema document, with keys in the order upstream's generator emits them:
    /// `$schema`, `$id`, `oneOf`, `properties`, `additionalProperties`, `type`, `required`, `dependentRequired`;
    /// and within a property `type`, `enum`, `minLength`, `format`, `description`, `default`.
    public func document(id: String) -> JSONValue {
        var document: JSONObject = ["$schema": .string(Self.draft), "$id": .string(id)]
        if !oneOf.isEmpty {
            document["oneOf"] = .array(oneOf.map { ["required": .array($0.required.map(JSONValue.string)), "title": .string($0.title)] })
        }
        if !properties.isEmpty {
            document["properties"] = .object(JSONObject(properties.map { ($0.name, $0.document) }))
        }
        document["additionalProperties"] = false
        document["type"] = "object"
        if !requiredNames.isEmpty {
            document["required"] = .array(requiredNames.map(JSONValue.string))
        }
        if !dependentRequired.isEmpty {
            document["dependentRequired"] = .object(
                JSONObject(dependentRequired.map { ($0.property, .array($0.requires.map(JSONValue.string))) })
            )
        }
        return .object(document)
    }
}

extension InputProperty {
    /// This property's subschema.
    var document: JSONValue {
        var document: JSONObject = ["type": .string(type.rawValue)]
        if let allowedValues { document["enum"] = .array(allowedValues) }
        if let minLength { document["minLength"] = .integer(Int64(minLength)) }
        if let format { document["format"] = .string(format.rawValue) }
        if let description { document["description"] = .string(description) }
        if let defaultValue { document["default"] = defaultValue }
        return .object(document)
    }
}

// MARK: - Properties map

/// One row of the denormalised properties map that CLI tables and generated docs show (upstream §2.5).
public struct InputPropertySummary: Sendable, Hashable {
    /// The property name.
    public var name: String
    /// The JSON type name.
    public var type: String
    /// The format, if any.
    public var format: String?
    /// Whether the schema's `required` lists it; `oneOf` requirements are not reflected, like upstream.
    public var isRequired: Bool
    /// The default rendered like Go's `%v` (`true`, `gcs`, `3`), only for optional properties.
    public var defaultValue: String?
    /// The description, or an empty string.
    public var description: String

    /// The type as CLI tables show it: `string (uri)` when a format exists, else `string`.
    public var displayType: String {
        format.map { "\(type) (\($0))" } ?? type
    }
}

extension InputSchema {
    /// The properties map: one summary per property, sorted by name.
    public var propertiesMap: [InputPropertySummary] {
        properties
            .map { property in
                InputPropertySummary(
                    name: property.name,
                    type: property.type.rawValue,
                    format: property.format?.rawValue,
                    isRequired: property.isRequired,
                    defaultValue: property.isRequired ? nil : property.defaultValue.map(\.plainDescription),
                    description: property.description ?? ""
                )
            }
            .sorted { $0.name < $1.name }
    }
}

extension JSONValue {
    /// The value as Go's `%v` prints a decoded JSON scalar: strings unquoted, numbers and booleans as literals.
    var plainDescription: String {
        switch self {
        case .string(let value): value
        case .null: "<nil>"
        default: serialized()
        }
    }
}
