import Foundation

/// A project name that may reference annotations the way upstream's Go templates do:
/// `{{.Material.Annotations.<key>}}` and `{{.Attestation.Annotations.<key>}}`.
///
/// Keys are looked up case-insensitively in upstream's way: every annotation is also reachable under a copy of its key
/// with the first letter of each word upper-cased (`hello` answers to `Hello`). Text outside `{{ … }}` is kept as is,
/// including single braces. Only field chains are supported (no pipelines or functions), which covers what
/// upstream documents.
public struct ProjectNameTemplate: Sendable, Hashable {
    private enum Segment: Sendable, Hashable {
        case literal(String)
        case field([String])
    }

    private let segments: [Segment]

    /// Parses `text`.
    ///
    /// - Throws: ``ProjectNameTemplateError`` for an unclosed or unsupported action, in Go's wording where it has one
    ///   (`template: projectName:1: unclosed action`).
    public init(parsing text: String) throws(ProjectNameTemplateError) {
        var segments: [Segment] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { segments.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ProjectNameTemplateError("template: projectName:1: unclosed action")
            }
            let action = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            segments.append(.field(try Self.fieldPath(action)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { segments.append(.literal(String(rest))) }
        self.segments = segments
    }

    /// The name with every reference replaced by the annotation's value.
    ///
    /// - Throws: ``ProjectNameTemplateError`` when a referenced annotation is missing (upstream's `missingkey=error`).
    public func resolve(materialAnnotations: [String: String], attestationAnnotations: [String: String]) throws(ProjectNameTemplateError)
        -> String
    {
        var name = ""
        for segment in segments {
            switch segment {
            case .literal(let text):
                name += text
            case .field(let path):
                let annotations: [String: String]
                switch path.first {
                case "Material": annotations = materialAnnotations
                case "Attestation": annotations = attestationAnnotations
                default: throw ProjectNameTemplateError("can't evaluate field \(path.first ?? "")")
                }
                guard path.count == 3, path[1] == "Annotations" else {
                    throw ProjectNameTemplateError("unsupported reference .\(path.joined(separator: "."))")
                }
                guard let value = Self.caseInsensitiveLookup(path[2], in: annotations) else {
                    throw ProjectNameTemplateError("map has no entry for key \"\(path[2])\"")
                }
                name += value
            }
        }
        return name
    }

    /// The fields of an action such as `.Material.Annotations.name`.
    private static func fieldPath(_ action: String) throws(ProjectNameTemplateError) -> [String] {
        guard action.hasPrefix(".") else {
            throw ProjectNameTemplateError(
                "template: projectName:1: unsupported action {{\(action)}}: use {{.Material.Annotations.<key>}} or {{.Attestation.Annotations.<key>}}"
            )
        }
        let fields = action.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let isIdentifier: (String) -> Bool = { field in
            guard let first = field.first, first.isLetter || first == "_" else { return false }
            return field.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        }
        guard fields.allSatisfy(isIdentifier) else {
            throw ProjectNameTemplateError("template: projectName:1: bad field reference {{\(action)}}")
        }
        return fields
    }

    /// The value under `key`, or under an annotation whose title-cased key is `key`.
    private static func caseInsensitiveLookup(_ key: String, in annotations: [String: String]) -> String? {
        if let value = annotations[key] { return value }
        return annotations.first { titleCased($0.key) == key }?.value
    }

    /// Go's `strings.Title`: the first letter of each word upper-cased, words separated by anything but letters,
    /// digits and `_`.
    public static func titleCased(_ text: String) -> String {
        var result = ""
        var previousIsSeparator = true
        for character in text {
            result += previousIsSeparator ? character.uppercased() : String(character)
            previousIsSeparator = !(character.isLetter || character.isNumber || character == "_")
        }
        return result
    }
}

/// Why a project name template does not parse or resolve.
public struct ProjectNameTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
