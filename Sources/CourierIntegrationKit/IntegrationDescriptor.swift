import CourierCore

/// What Courier lists about an integration: identity, subscriptions and input schemas.
public struct IntegrationDescriptor: Sendable, Hashable {
    /// Stable kebab-case ID, stored as the registration's kind, e.g. `dependency-track`.
    public var id: String
    /// Version of the integration's inputs and state, e.g. `1.7`.
    public var version: String
    /// One line, shown by `integration available list`.
    public var description: String
    /// Material types delivered to executions, in declaration order, without repeats; empty for attestation only.
    public var subscribedMaterials: [MaterialType]
    /// The registration inputs.
    public var registrationSchema: InputSchema
    /// The attachment inputs.
    public var attachmentSchema: InputSchema
    /// The upstream plugin directory that names the schemas' `$id`; the ID unless told otherwise.
    public var schemaDirectory: String

    /// Creates a descriptor whose schemas are those of the integration's typed inputs.
    public init<Registration: IntegrationInput, Attachment: IntegrationInput>(
        id: String,
        version: String,
        description: String,
        subscribedMaterials: [MaterialType] = [],
        registration: Registration.Type,
        attachment: Attachment.Type = NoInput.self,
        schemaDirectory: String? = nil
    ) {
        self.id = id
        self.version = version
        self.description = description
        self.subscribedMaterials = subscribedMaterials
        self.registrationSchema = Registration.inputSchema
        self.attachmentSchema = Attachment.inputSchema
        self.schemaDirectory = schemaDirectory ?? id
    }

    /// The registration JSON Schema document.
    public var registrationSchemaDocument: JSONValue {
        registrationSchema.document(id: InputSchema.id(directory: schemaDirectory, kind: .registration))
    }

    /// The attachment JSON Schema document.
    public var attachmentSchemaDocument: JSONValue {
        attachmentSchema.document(id: InputSchema.id(directory: schemaDirectory, kind: .attachment))
    }

    /// The schema of `kind`.
    public func schema(_ kind: InputSchemaKind) -> InputSchema {
        kind == .registration ? registrationSchema : attachmentSchema
    }

    /// Whether executions receive materials named `materialTypeName` (exact, case-sensitive enum name).
    public func isSubscribed(to materialTypeName: String) -> Bool {
        subscribedMaterials.contains { $0.rawValue == materialTypeName }
    }

    /// Upstream's log rendering: `id=<id>, version=<v>, expectedMaterials=[A B]`.
    public var logDescription: String {
        "id=\(id), version=\(version), expectedMaterials=[\(subscribedMaterials.map(\.rawValue).joined(separator: " "))]"
    }

    /// Checks the rules every descriptor must follow (upstream §2.1, §11.2).
    ///
    /// - Throws: `CourierError(.failedPrecondition, …)` with upstream's wording: `id is required`,
    ///   `version is required`, `<type> is not a valid material type`; and for Courier's own rules, an ID that is not
    ///   kebab-case, a material listed twice, or schema properties that are undeclared or repeated.
    public func checkRules() throws(CourierError) {
        func violation(_ message: String) -> CourierError { CourierError(.failedPrecondition, message) }
        guard !id.isEmpty else { throw violation("id is required") }
        guard !version.isEmpty else { throw violation("version is required") }
        guard Self.isKebabCase(id) else { throw violation("integration id \"\(id)\" is not kebab-case") }
        var seen: Set<MaterialType> = []
        for material in subscribedMaterials {
            guard material != .unspecified else { throw violation("\(material.rawValue) is not a valid material type") }
            guard seen.insert(material).inserted else {
                throw violation("integration \"\(id)\" subscribes to \(material.rawValue) twice")
            }
        }
        for kind in InputSchemaKind.allCases {
            if let problem = schema(kind).structuralProblem {
                throw violation("integration \"\(id)\" \(kind.rawValue) schema: \(problem)")
            }
        }
    }

    private static func isKebabCase(_ id: String) -> Bool {
        id.split(separator: "-", omittingEmptySubsequences: false).allSatisfy { word in
            !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
        }
    }
}

extension InputSchema {
    /// Why this schema is malformed (a property declared twice, a keyword naming an undeclared property), if it is.
    var structuralProblem: String? {
        var names: Set<String> = []
        for property in properties where !names.insert(property.name).inserted {
            return "property \"\(property.name)\" is declared twice"
        }
        let referenced = oneOf.flatMap(\.required) + dependentRequired.flatMap { [$0.property] + $0.requires }
        if let undeclared = referenced.first(where: { !names.contains($0) }) {
            return "\"\(undeclared)\" is not a declared property"
        }
        return nil
    }
}
