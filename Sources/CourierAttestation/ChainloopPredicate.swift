import CourierIntegrationKit
import Foundation

/// The material annotation keys Chainloop writes.
public enum ChainloopAnnotation {
    /// The material's name in the contract.
    public static let materialName = "chainloop.material.name"
    /// The material type enum name, e.g. `SBOM_CYCLONEDX_JSON`.
    public static let materialType = "chainloop.material.type"
    /// `true` when the material's bytes were uploaded to CAS.
    public static let uploadedToCAS = "chainloop.material.cas"
    /// `true` when the material's bytes are embedded in the attestation (`content`).
    public static let embeddedInline = "chainloop.material.cas.inline"
    /// A container image's tag.
    public static let imageTag = "chainloop.material.image.tag"
    /// Prefix of an SBOM's main component: `…name`, `…type`, `…version`.
    public static let sbomMainComponentPrefix = "chainloop.material.sbom.main_component."
}

/// A read-only view of a Chainloop `chainloop.dev/attestation/v0.2` predicate.
public struct ChainloopPredicate: Sendable, Hashable {
    /// The run's metadata.
    public var metadata: ChainloopRunMetadata
    /// The runner type enum name, e.g. `GITHUB_ACTION` or `RUNNER_TYPE_UNSPECIFIED`.
    public var runnerType: String
    /// The CI job URL, possibly empty.
    public var runnerURL: String
    /// The attestation-level annotations.
    public var annotations: [String: String]
    /// The environment variables the CLI recorded.
    public var environment: [String: String]
    /// The materials normalised as upstream does; materials it would drop are absent.
    public var materials: [NormalizedMaterial]
    /// The whole predicate, for what this view does not expose (policy evaluations, builder).
    public var raw: JSONObject

    /// Reads a predicate object; missing fields become empty.
    public init(_ predicate: JSONObject) {
        raw = predicate
        metadata = ChainloopRunMetadata(predicate["metadata"]?.objectValue ?? [:])
        runnerType = predicate["runnerType"]?.stringValue ?? ""
        runnerURL = predicate["runnerURL"]?.stringValue ?? ""
        annotations = stringifiedMap(predicate["annotations"])
        environment = stringifiedMap(predicate["env"])
        if case .array(let entries) = predicate["materials"] {
            materials = entries.compactMap { $0.objectValue.flatMap(NormalizedMaterial.init(resourceDescriptor:)) }
        } else {
            materials = []
        }
    }
}

/// The `metadata` of a Chainloop predicate. Timestamps are RFC 3339 text as written, empty when absent.
public struct ChainloopRunMetadata: Sendable, Hashable {
    /// The workflow name.
    public var name: String
    /// The project name.
    public var project: String
    /// The project version, possibly empty.
    public var projectVersion: String
    /// The team, possibly empty.
    public var team: String
    /// The organization name, possibly empty (older CLIs omit it).
    public var organization: String
    /// The workflow's ID in the control plane that issued it.
    public var workflowID: String
    /// The run's ID in the control plane that issued it.
    public var workflowRunID: String
    /// When the run started (`initializedAt`).
    public var startedAt: String
    /// When the attestation was finished (`finishedAt`).
    public var finishedAt: String
    /// The contract name, possibly empty.
    public var contractName: String
    /// The contract version, possibly empty.
    public var contractVersion: String

    init(_ metadata: JSONObject) {
        func text(_ key: String) -> String { metadata[key].map(stringified) ?? "" }
        name = text("name")
        project = text("project")
        projectVersion = text("projectVersion")
        team = text("team")
        organization = text("organization")
        workflowID = text("workflowID")
        workflowRunID = text("workflowRunID")
        startedAt = text("initializedAt")
        finishedAt = text("finishedAt")
        contractName = text("contractName")
        contractVersion = text("contractVersion")
    }
}

/// A material as upstream's `NormalizedMaterial` presents it to integrations (upstream spec §2.8).
public struct NormalizedMaterial: Sendable, Hashable {
    /// The material name from the contract (`chainloop.material.name`).
    public var name: String
    /// The material type enum name as written (`chainloop.material.type`), known to Courier or not.
    public var typeName: String
    /// The file name, for materials uploaded to CAS or embedded inline (the resource descriptor's `name`).
    public var filename: String?
    /// The string content for `STRING`, the resource name (e.g. an image reference) for materials neither uploaded nor
    /// inline, the inline content for inline-embedded materials; `nil` for CAS artifacts.
    public var value: String?
    /// `sha256:<hex>`; `nil` for `STRING` materials.
    public var digest: String?
    /// A container image's tag (`chainloop.material.image.tag`).
    public var tag: String?
    /// Whether the bytes were uploaded to CAS (`chainloop.material.cas`).
    public var uploadedToCAS: Bool
    /// Whether the bytes are embedded in the attestation (`chainloop.material.cas.inline`).
    public var embeddedInline: Bool
    /// The bytes carried in the attestation itself: the inline content, or a `STRING`'s value.
    public var inlineContent: Data?
    /// All annotations, `chainloop.*` ones included; booleans read `true`/`false`, numbers as Go's `%g` writes them.
    public var annotations: [String: String]
    /// An SBOM's main component, when the CLI annotated it.
    public var referencedSourceComponent: SourceComponent?

    /// The type, when it is one Courier knows.
    public var type: MaterialType? { MaterialType(rawValue: typeName) }

    /// Normalises one resource descriptor of the predicate's `materials`; `nil` when upstream would drop it
    /// (no name or type annotation; for types other than `STRING`, no sha256 digest or no resource name).
    public init?(resourceDescriptor descriptor: JSONObject) {
        let annotations = stringifiedMap(descriptor["annotations"])
        guard let name = annotations[ChainloopAnnotation.materialName],
            let typeName = annotations[ChainloopAnnotation.materialType]
        else { return nil }
        self.name = name
        self.typeName = typeName
        self.annotations = annotations
        self.referencedSourceComponent = SourceComponent(annotations: annotations)
        let content = descriptor["content"]?.stringValue.flatMap { Data(lenientBase64: $0) }
        if typeName == MaterialType.string.rawValue {
            value = String(decoding: content ?? Data(), as: UTF8.self)
            inlineContent = content ?? Data()
            uploadedToCAS = false
            embeddedInline = false
            return
        }
        guard let hex = descriptor["digest"]?.objectValue?["sha256"]?.stringValue,
            let resourceName = descriptor["name"]?.stringValue, !resourceName.isEmpty
        else { return nil }
        digest = "sha256:" + hex
        uploadedToCAS = annotations[ChainloopAnnotation.uploadedToCAS] == "true"
        embeddedInline = annotations[ChainloopAnnotation.embeddedInline] == "true"
        if uploadedToCAS || embeddedInline { filename = resourceName }
        if embeddedInline {
            inlineContent = content ?? Data()
            value = String(decoding: content ?? Data(), as: UTF8.self)
        } else if !uploadedToCAS {
            value = resourceName
        }
        if let tag = annotations[ChainloopAnnotation.imageTag], !tag.isEmpty { self.tag = tag }
    }
}

/// The main component of an SBOM (`chainloop.material.sbom.main_component.*` annotations).
public struct SourceComponent: Sendable, Hashable {
    /// The component type, e.g. `container`.
    public var type: String
    /// The component name.
    public var name: String
    /// The component version.
    public var version: String

    init?(annotations: [String: String]) {
        let prefix = ChainloopAnnotation.sbomMainComponentPrefix
        guard let name = annotations[prefix + "name"], !name.isEmpty else { return nil }
        self.name = name
        self.type = annotations[prefix + "type"] ?? ""
        self.version = annotations[prefix + "version"] ?? ""
    }
}

// MARK: - Stringification

/// A JSON object's entries as strings (see ``stringified(_:)``); anything else is an empty map.
private func stringifiedMap(_ value: JSONValue?) -> [String: String] {
    value?.objectValue?.dictionary.mapValues(stringified) ?? [:]
}

/// How upstream prints an annotation value: strings as they are, booleans `true`/`false`, numbers with Go's `%g`,
/// `null` as empty, lists and objects as compact JSON.
private func stringified(_ value: JSONValue) -> String {
    switch value {
    case .string(let text): text
    case .bool(let flag): flag ? "true" : "false"
    case .integer(let number): goGeneralFormat(Double(number))
    case .number(let number): goGeneralFormat(number)
    case .null: ""
    case .array, .object: value.serialized()
    }
}

/// Go's `fmt.Sprintf("%g", value)`: the shortest round-tripping digits, in exponent form (`1e+06`) when the decimal
/// exponent is below -4 or at least 6, as `strconv.FormatFloat(value, 'g', -1, 64)` writes them.
func goGeneralFormat(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
    if value == 0 { return value.sign == .minus ? "-0" : "0" }
    // Swift's description is the shortest round-tripping form; take its digits and decimal exponent.
    var text = "\(value.magnitude)"
    var decimalExponent = 0
    if let marker = text.firstIndex(of: "e") {
        decimalExponent = Int(text[text.index(after: marker)...]) ?? 0
        text = String(text[..<marker])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    var digits = Array(parts[0]) + (parts.count > 1 ? Array(parts[1]) : [])
    var pointPosition = parts[0].count + decimalExponent
    while digits.first == "0" {
        digits.removeFirst()
        pointPosition -= 1
    }
    while digits.last == "0" { digits.removeLast() }
    let sign = value < 0 ? "-" : ""
    let exponent = pointPosition - 1
    if exponent < -4 || exponent >= 6 {
        let mantissa = digits.count > 1 ? "\(digits[0])." + String(digits.dropFirst()) : String(digits)
        let exponentDigits = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (exponentDigits.count < 2 ? "0" : "") + exponentDigits
    }
    if pointPosition <= 0 {
        return sign + "0." + String(repeating: "0", count: -pointPosition) + String(digits)
    }
    if pointPosition >= digits.count {
        return sign + String(digits) + String(repeating: "0", count: pointPosition - digits.count)
    }
    return sign + String(digits[..<pointPosition]) + "." + String(digits[pointPosition...])
}
