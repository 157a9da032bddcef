import CourierCrypto
import CourierIntegrationKit
import Foundation

/// One `--material NAME:TYPE=PATH` of `courier attestation push`: the name is what comes before the first `:`, the type
/// what comes between it and the first `=`, the rest is a file path, a `STRING`'s value or a `CONTAINER_IMAGE`'s reference.
struct MaterialArgument: Sendable, Equatable {
    /// Where a material's content comes from.
    enum Source: Sendable, Equatable {
        /// A file whose bytes go to CAS.
        case file(path: String)
        /// A `STRING` value, embedded in the attestation.
        case string(String)
        /// A `CONTAINER_IMAGE` pinned by digest: `repository[:tag]@sha256:<hex>`.
        case containerImage(repository: String, tag: String?, digest: String)
    }

    /// The help line of `--material`.
    static let optionHelp =
        "A material: NAME:TYPE=PATH uploads the file PATH to CAS; for STRING, PATH is the value itself; "
        + "for CONTAINER_IMAGE, the image reference pinned by digest (REPOSITORY[:TAG]@sha256:HEX)."

    /// Material types named in usage errors.
    static let exampleTypes: [MaterialType] = [.sbomCycloneDXJSON, .sbomSPDXJSON, .artifact, .junitXML, .string, .containerImage, .sarif]

    var name: String
    var type: MaterialType
    var source: Source

    init(name: String, type: MaterialType, source: Source) {
        self.name = name
        self.type = type
        self.source = source
    }

    /// Parses `NAME:TYPE=PATH`; throws when a part is missing, the type is unknown, or an image is not pinned by digest.
    init(parsing argument: String) throws(UsageError) {
        let colon = argument.firstIndex(of: ":")
        let equals = colon.flatMap { argument[$0...].firstIndex(of: "=") }
        guard let colon, let equals, colon > argument.startIndex, argument.index(after: colon) < equals,
            argument.index(after: equals) < argument.endIndex
        else {
            throw UsageError("Invalid value '\(argument)' for '--material'; expected NAME:TYPE=PATH, e.g. sbom:SBOM_CYCLONEDX_JSON=bom.json.")
        }
        let name = String(argument[..<colon])
        let typeName = String(argument[argument.index(after: colon)..<equals])
        let value = String(argument[argument.index(after: equals)...])
        guard let type = MaterialType(rawValue: typeName), type != .unspecified else {
            let examples = Self.exampleTypes.map(\.rawValue).joined(separator: ", ")
            throw UsageError("Unknown material type '\(typeName)' in '--material \(argument)'; use a Chainloop material type such as \(examples).")
        }
        self.name = name
        self.type = type
        switch type {
        case .string:
            source = .string(value)
        case .containerImage:
            source = try Self.containerImage(value, argument: argument)
        default:
            source = .file(path: value)
        }
    }

    /// Splits `repository[:tag]@sha256:<hex>`; the tag is what follows the last `:` after the last `/`.
    private static func containerImage(_ reference: String, argument: String) throws(UsageError) -> Source {
        let at = reference.lastIndex(of: "@") ?? reference.startIndex
        let name = reference[..<at]
        let digest = String(reference[reference.index(after: at)...])
        guard !name.isEmpty, FileDigest.isSHA256(digest) else {
            throw UsageError(
                "The image in '--material \(argument)' is not pinned by digest; give REPOSITORY[:TAG]@sha256:HEX, "
                    + "e.g. ghcr.io/acme/shop:1.2@sha256:<64 hex digits>.")
        }
        let lastSlash = name.lastIndex(of: "/") ?? name.startIndex
        guard let tagColon = name[lastSlash...].lastIndex(of: ":") else {
            return .containerImage(repository: String(name), tag: nil, digest: digest)
        }
        return .containerImage(repository: String(name[..<tagColon]), tag: String(name[name.index(after: tagColon)...]), digest: digest)
    }
}

/// The SHA-256 digest of a file, read in chunks so that large files never sit in memory.
struct FileDigest: Sendable, Equatable {
    /// `sha256:<hex>`.
    var digest: String

    private static let chunkSize = 1 << 20

    /// Hashes the file at `path`; throws a sentence naming it when it cannot be read.
    init(ofFileAt path: String) throws(CLIError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIError("Could not read the material file \(path); check that it exists and is readable.")
        }
        defer { try? handle.close() }
        var hasher = SHA256.Hasher()
        do {
            while let chunk = try handle.read(upToCount: Self.chunkSize), !chunk.isEmpty {
                hasher.update(chunk)
            }
        } catch {
            throw CLIError("Could not read the material file \(path) to the end (\(error.localizedDescription)).")
        }
        digest = "sha256:" + hasher.finalize().hexString
    }

    /// Whether `text` is `sha256:` followed by 64 lowercase hex digits.
    static func isSHA256(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.dropFirst("sha256:".count)
        return hex.count == 64 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
