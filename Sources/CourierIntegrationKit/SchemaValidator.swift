import CourierCore

/// Validates payloads against an ``InputSchema`` the way upstream does (santhosh-tekuri/jsonschema v5, draft 2020-12,
/// format assertion on) and reports only the **last** error of the validator's basic output, in upstream's words.
///
/// Basic output lists errors depth first in keyword order: at the object level `required`, then each present
/// property (type — which hides that property's other errors —, `enum`, `format`, `minLength`),
/// then `additionalProperties`, then `dependentRequired`, then `oneOf`. A failed `oneOf` contributes its branches'
/// errors, so an empty object against `oneOf: [projectID] | [projectName]` reports `missing properties: 'projectName'`.
/// Where upstream iterates Go maps (properties, `dependentRequired`, unknown keys) the order here is declaration order
/// (unknown keys: sorted), which makes the result deterministic.
public enum SchemaValidator {
    /// The message for the last validation error of `payload`, or `nil` when it is valid.
    public static func lastError(of payload: JSONValue, against schema: InputSchema) -> String? {
        errors(of: payload, against: schema).last
    }

    /// Throws `CourierError(.invalidArgument, "validation error: <message>")` when `payload` is invalid.
    public static func validate(_ payload: JSONValue, against schema: InputSchema) throws(CourierError) {
        if let message = lastError(of: payload, against: schema) {
            throw .validation(message)
        }
    }

    /// All leaf error messages in basic-output order.
    static func errors(of payload: JSONValue, against schema: InputSchema) -> [String] {
        guard case .object(let object) = payload else {
            return ["expected object, but got \(payload.typeName)"]
        }
        var errors: [String] = []
        if let missing = missingPropertiesError(schema.requiredNames, in: object) {
            errors.append(missing)
        }
        for property in schema.properties {
            if let value = object[property.name], let error = propertyError(value, against: property) {
                errors.append(error)
            }
        }
        let unknown = object.keys.filter { schema.property(named: $0) == nil }.sorted()
        if !unknown.isEmpty {
            errors.append("additionalProperties \(unknown.map(quote).joined(separator: ", ")) not allowed")
        }
        for dependency in schema.dependentRequired where object[dependency.property] != nil {
            for required in dependency.requires where object[required] == nil {
                errors.append("property \(quote(required)) is required, if \(quote(dependency.property)) property exists")
            }
        }
        errors += oneOfErrors(schema.oneOf, object: object)
        return errors
    }

    private static func missingPropertiesError(_ required: [String], in object: JSONObject) -> String? {
        let missing = required.filter { object[$0] == nil }
        return missing.isEmpty ? nil : "missing properties: \(missing.map(quote).joined(separator: ", "))"
    }

    private static func oneOfErrors(_ branches: [OneOfBranch], object: JSONObject) -> [String] {
        guard !branches.isEmpty else { return [] }
        var matched: Int?
        var branchErrors: [String] = []
        for (index, branch) in branches.enumerated() {
            if let error = missingPropertiesError(branch.required, in: object) {
                branchErrors.append(error)
            } else if let first = matched {
                return ["valid against schemas at indexes \(first) and \(index)"]
            } else {
                matched = index
            }
        }
        return matched == nil ? branchErrors : []
    }

    /// The one error a property value contributes, if any (each keyword failing at most once; the last one wins).
    private static func propertyError(_ value: JSONValue, against property: InputProperty) -> String? {
        guard matches(value, property.type) else {
            return "expected \(property.type.rawValue), but got \(value.typeName)"
        }
        var error: String?
        if let allowed = property.allowedValues, !allowed.contains(where: { equalAsJSON($0, value) }) {
            error =
                allowed.count == 1
                ? "value must be \(allowed[0].serialized())"
                : "value must be one of \(allowed.map { $0.serialized() }.joined(separator: ", "))"
        }
        if let format = property.format, case .string(let string) = value, !FormatChecker.isValid(string, format: format) {
            error = "\(quote(string)) is not valid \(quote(format.rawValue))"
        }
        if let minLength = property.minLength, case .string(let string) = value {
            let length = string.unicodeScalars.count
            if length < minLength { error = "length must be >= \(minLength), but got \(length)" }
        }
        return error
    }

    private static func matches(_ value: JSONValue, _ type: InputType) -> Bool {
        switch (type, value) {
        case (.string, .string), (.boolean, .bool), (.number, .integer), (.number, .number): true
        case (.integer, _): value.isIntegral
        default: false
        }
    }

    private static func equalAsJSON(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.integer(let integer), .number(let number)), (.number(let number), .integer(let integer)):
            Double(integer) == number
        default:
            lhs == rhs
        }
    }

    /// Quotes like upstream's validator: Go's `%q` with `"` left alone and `'` escaped, inside single quotes.
    static func quote(_ string: String) -> String {
        var result = "'"
        for scalar in string.unicodeScalars {
            switch scalar {
            case "'": result += "\\'"
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "'"
    }
}

extension CourierError {
    /// `invalid_argument` with upstream's `validation error: <message>` wording.
    public static func validation(_ message: String) -> CourierError {
        CourierError(.invalidArgument, "validation error: \(message)")
    }
}
