import Foundation

/// Upstream's attachment `filter`: comma-separated `key=value` conditions that all must hold for an SBOM to be sent.
/// A material annotation with the key takes precedence; otherwise the attestation annotation must exist and match.
public struct AnnotationFilter: Sendable, Hashable {
    /// One `key=value` condition.
    public struct Condition: Sendable, Hashable {
        /// The annotation key.
        public var key: String
        /// The value it must have.
        public var value: String
    }

    /// The conditions, in the order written.
    public let conditions: [Condition]

    /// Parses `text`: segments split on `,` and trimmed, each containing `=` but neither starting nor ending with it.
    ///
    /// - Throws: ``AnnotationFilterError``: `invalid filter segment '<seg>' - must be 'key=value'`.
    public init(parsing text: String) throws(AnnotationFilterError) {
        conditions = try text.split(separator: ",", omittingEmptySubsequences: false).map { raw throws(AnnotationFilterError) in
            let segment = raw.trimmingCharacters(in: .whitespaces)
            guard let equals = segment.firstIndex(of: "="), !segment.hasPrefix("="), !segment.hasSuffix("=") else {
                throw AnnotationFilterError("invalid filter segment '\(segment)' - must be 'key=value'")
            }
            return Condition(key: String(segment[..<equals]), value: String(segment[segment.index(after: equals)...]))
        }
    }

    /// Why the material does not pass, in upstream's words, or `nil` when every condition holds.
    public func mismatch(materialAnnotations: [String: String], attestationAnnotations: [String: String]) -> String? {
        for condition in conditions {
            if let value = materialAnnotations[condition.key] {
                if value != condition.value { return "material annotation mismatch: \(condition.key)" }
            } else if let value = attestationAnnotations[condition.key] {
                if value != condition.value { return "attestation annotation mismatch: \(condition.key)" }
            } else {
                return "missing required annotation: \(condition.key)"
            }
        }
        return nil
    }
}

/// Why a filter does not parse.
public struct AnnotationFilterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
