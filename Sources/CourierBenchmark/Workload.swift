import CourierAttestation
import CourierCrypto
import CourierIntegrationKit
import Foundation

/// One attestation push, prepared before the clock starts: the envelope and, optionally, the SBOM it names in CAS.
public struct PreparedPush: Sendable {
    /// The DSSE envelope to `POST /v1/attestations`.
    public var envelope: Data
    /// The SBOM to `PUT /v1/cas/{digest}` first, when the attestation carries one.
    public var sbom: (digest: String, content: Data)?
}

/// The documents the benchmark pushes: unsigned Chainloop attestations, distinct per marker, and CycloneDX SBOMs.
public enum Workload {
    /// The project every benchmark workflow belongs to.
    public static let project = "bench"

    /// An unsigned attestation of `workflow` whose only material is the string `marker`.
    public static func envelopeOnly(workflow: String, marker: String) throws -> PreparedPush {
        PreparedPush(envelope: try envelope(workflow: workflow, marker: marker, materials: [.string(name: "marker", value: marker)]))
    }

    /// An unsigned attestation of `workflow` naming a fresh random CycloneDX SBOM of about `sbomBytes` bytes in CAS.
    public static func withSBOM(workflow: String, marker: String, sbomBytes: Int) throws -> PreparedPush {
        let content = cycloneDX(components: randomComponents(bytes: sbomBytes))
        let digest = "sha256:" + SHA256.hex(content)
        let material = ChainloopStatementBuilder.Material.casFile(
            name: "sbom", type: .sbomCycloneDXJSON, filename: "sbom.cyclonedx.json", digest: digest
        )
        return PreparedPush(envelope: try envelope(workflow: workflow, marker: marker, materials: [material]), sbom: (digest, content))
    }

    /// An unsigned attestation of `workflow` naming the CAS content `digest` as its CycloneDX SBOM.
    public static func naming(sbomDigest digest: String, workflow: String, marker: String) throws -> Data {
        try envelope(
            workflow: workflow, marker: marker,
            materials: [.casFile(name: "sbom", type: .sbomCycloneDXJSON, filename: "large.cyclonedx.json", digest: digest)]
        )
    }

    /// Writes a CycloneDX SBOM of at least `bytes` bytes to `file`, 1 MiB of components at a time; returns its digest.
    public static func writeLargeSBOM(bytes: Int, to file: URL) throws -> String {
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var hasher = SHA256.Hasher()
        let header = Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":["#.utf8)
        hasher.update(header)
        try handle.write(contentsOf: header)
        let block = randomComponents(bytes: 1 << 20)
        var written = 0
        var index = 0
        while written < bytes {
            // Each block differs by its first component, so the file is not one block repeated.
            var chunk = Data((index == 0 ? "" : ",").utf8)
            chunk.append(Data(#"{"type":"library","name":"block-\#(index)","version":"1"},"#.utf8))
            chunk.append(block)
            hasher.update(chunk)
            try handle.write(contentsOf: chunk)
            written += chunk.count
            index += 1
        }
        let footer = Data("]}".utf8)
        hasher.update(footer)
        try handle.write(contentsOf: footer)
        return "sha256:" + hasher.finalize().hexString
    }

    /// A CycloneDX document around a comma-separated list of components.
    static func cycloneDX(components: Data) -> Data {
        var document = Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:\#(UUID())","version":1,"components":["#.utf8)
        document.append(components)
        document.append(Data("]}".utf8))
        return document
    }

    /// Comma-separated CycloneDX components with random names, about `bytes` bytes in all.
    static func randomComponents(bytes: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        var components = Data(capacity: bytes + 256)
        while components.count < bytes {
            let name = String(generator.next() as UInt64, radix: 16) + String(generator.next() as UInt64, radix: 16)
            let version = "\(generator.next() as UInt8).\(generator.next() as UInt8).\(generator.next() as UInt8)"
            if !components.isEmpty { components.append(UInt8(ascii: ",")) }
            components.append(
                Data(#"{"type":"library","name":"pkg-\#(name)","version":"\#(version)","purl":"pkg:generic/pkg-\#(name)@\#(version)"}"#.utf8)
            )
        }
        return components
    }

    private static func envelope(workflow: String, marker: String, materials: [ChainloopStatementBuilder.Material]) throws -> Data {
        let now = Date()
        let builder = ChainloopStatementBuilder(
            workflow: .init(name: workflow, project: project),
            run: .init(id: marker, startedAt: now, finishedAt: now),
            annotations: ["marker": marker],
            materials: materials
        )
        let statement = try builder.statement()
        return DSSEEnvelope(payloadType: DSSE.inTotoPayloadType, payload: Data(statement.serialized().utf8), signatures: []).canonicalJSON
    }
}
