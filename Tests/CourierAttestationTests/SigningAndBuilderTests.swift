import CourierAttestation
import CourierCore
import CourierCrypto
import CourierIntegrationKit
import Foundation
import Testing

@Suite struct SigningAndBuilderTests {
    private let run = ChainloopStatementBuilder.Run(
        id: "run-1", startedAt: Date(timeIntervalSince1970: 1_700_000_000), finishedAt: Date(timeIntervalSince1970: 1_700_000_600.25))

    private var builder: ChainloopStatementBuilder {
        ChainloopStatementBuilder(
            workflow: .init(name: "build", project: "shop", team: "payments", organization: "acme"),
            run: run,
            annotations: ["branch": "main"],
            environment: ["CI": "true"],
            materials: [
                .casFile(
                    name: "sbom", type: .sbomCycloneDXJSON, filename: "sbom.cdx.json",
                    digest: "sha256:16159bb881eb4ab7eb5d8afc5350b0feeed1e31c0a268e355e74f9ccbe885e0c", annotations: ["component": "nginx"]),
                .casFile(
                    name: "spdx", type: .sbomSPDXJSON, filename: "sbom.spdx.json",
                    digest: "8fce0203a4efaac3b08ee3ad769233039faa762a3da0777c45b315f398f0c150"),
                .reference(
                    name: "image", type: .containerImage, value: "ghcr.io/acme/shop",
                    digest: "sha256:747ef335ea27a2faf08aa292a5bc5491aff50c6a94ee4ebcbbcd43cdeccccaf1", tag: "v2"),
                .string(name: "version", value: "2.0.1"),
            ]
        )
    }

    @Test(arguments: SigningKeyType.allCases)
    func signedEnvelopeVerifiesWithTheSignersKey(type: SigningKeyType) throws {
        let signingKey = try SigningKey.generate(type)
        let envelope = try builder.envelope(signedWith: DSSESigner(key: signingKey))
        #expect(envelope.signatures.map(\.keyID) == [signingKey.verificationKey.id])
        let verifier = DSSEVerifier(keys: [
            .init(name: "other", key: try SigningKey.generate().verificationKey),
            try .init(name: "ci", pem: signingKey.verificationKey.pemRepresentation),
        ])
        let verification = try verifier.verify(envelope)
        #expect(verification.keyName == "ci")
        #expect(verification.keyID == signingKey.verificationKey.id)
        #expect(verification.signatureIndex == 0)

        let reparsed = try AttestationDocument.parse(envelope.canonicalJSON)
        #expect(reparsed.envelope == envelope)
        #expect(try verifier.verify(reparsed.envelope).keyName == "ci")
    }

    @Test func signerLoadsThePEMThatKeyGenerateWrites() throws {
        let signingKey = try SigningKey.generate()
        let signer = try DSSESigner(privateKeyPEM: signingKey.pemRepresentation)
        let envelope = try signer.sign(payload: Data("{}".utf8))
        let verifier = DSSEVerifier(keys: [try .init(name: "ci", pem: signingKey.verificationKey.pemRepresentation)])
        #expect(try verifier.verify(envelope).keyName == "ci")
    }

    @Test func tamperedPayloadFailsVerification() throws {
        let signingKey = try SigningKey.generate()
        var envelope = try builder.envelope(signedWith: DSSESigner(key: signingKey))
        envelope.payload.append(contentsOf: Data(" ".utf8))
        let verifier = DSSEVerifier(keys: [.init(name: "ci", key: signingKey.verificationKey)])
        #expect(throws: CourierError.self) { try verifier.verify(envelope) }
    }

    @Test func wrongKeysAreNamedInTheError() throws {
        let envelope = try builder.envelope(signedWith: DSSESigner(key: SigningKey.generate()))
        let verifier = DSSEVerifier(keys: [
            .init(name: "release", key: try SigningKey.generate().verificationKey),
            .init(name: "nightly", key: try SigningKey.generate(.ed25519).verificationKey),
        ])
        let error = #expect(throws: CourierError.self) { try verifier.verify(envelope) }
        #expect(error?.code == .invalidArgument)
        #expect(
            error?.message
                == "The attestation's signature does not verify with any of the organization's keys (release, nightly); "
                + "sign it with one of them or add its public key with 'courier key add'.")
    }

    @Test func realChainloopSignatureDoesNotVerifyWithAnUnrelatedKey() throws {
        let attestation = try AttestationDocument.parse(ChainloopFixtures.data("dispatcher-attestation.envelope.json"))
        let verifier = DSSEVerifier(keys: [.init(name: "ci", key: try SigningKey.generate().verificationKey)])
        #expect(throws: CourierError.self) { try verifier.verify(attestation.envelope) }
    }

    @Test func unsignedEnvelopeAndMissingKeysAreRefused() throws {
        let unsigned = DSSEEnvelope(payloadType: DSSE.inTotoPayloadType, payload: Data("{}".utf8), signatures: [])
        let verifier = DSSEVerifier(keys: [.init(name: "ci", key: try SigningKey.generate().verificationKey)])
        let unsignedError = #expect(throws: CourierError.self) { try verifier.verify(unsigned) }
        #expect(unsignedError?.code == .invalidArgument)
        #expect(
            unsignedError?.message
                == "The attestation is not signed, but the organization requires a signature by one of its keys (ci); "
                + "sign it with 'courier attestation push --key'.")
        let noKeysError = #expect(throws: CourierError.self) { try DSSEVerifier(keys: []).verify(unsigned) }
        #expect(noKeysError?.code == .failedPrecondition)
    }

    @Test func builtStatementParsesBackWithTheSameMaterials() throws {
        let statement = try builder.statement()
        let envelope = try DSSESigner(key: SigningKey.generate()).sign(statement: statement)
        let attestation = try AttestationDocument.parse(envelope.canonicalJSON)
        #expect(attestation.statementType == .v1)
        #expect(attestation.statement == statement)

        let predicateJSON = try #require(statement.objectValue?["predicate"]).serialized()
        #expect(
            attestation.subjects == [AttestationSubject(name: "chainloop.workflow.build", digest: ["sha256": SHA256.hex(Data(predicateJSON.utf8))])])

        let predicate = attestation.predicate
        #expect(predicate.metadata.name == "build")
        #expect(predicate.metadata.project == "shop")
        #expect(predicate.metadata.team == "payments")
        #expect(predicate.metadata.organization == "acme")
        #expect(predicate.metadata.workflowRunID == "run-1")
        #expect(predicate.metadata.startedAt == "2023-11-14T22:13:20.000Z")
        #expect(predicate.metadata.finishedAt == "2023-11-14T22:23:20.250Z")
        #expect(predicate.runnerType == "RUNNER_TYPE_UNSPECIFIED")
        #expect(predicate.annotations == ["branch": "main"])
        #expect(predicate.environment == ["CI": "true"])

        let expected = [
            NormalizedMaterialFields(
                name: "sbom", typeName: "SBOM_CYCLONEDX_JSON", filename: "sbom.cdx.json", value: nil,
                digest: "sha256:16159bb881eb4ab7eb5d8afc5350b0feeed1e31c0a268e355e74f9ccbe885e0c", tag: nil, uploadedToCAS: true,
                annotations: [
                    "chainloop.material.name": "sbom", "chainloop.material.type": "SBOM_CYCLONEDX_JSON", "chainloop.material.cas": "true",
                    "component": "nginx",
                ]),
            NormalizedMaterialFields(
                name: "spdx", typeName: "SBOM_SPDX_JSON", filename: "sbom.spdx.json", value: nil,
                digest: "sha256:8fce0203a4efaac3b08ee3ad769233039faa762a3da0777c45b315f398f0c150", tag: nil, uploadedToCAS: true,
                annotations: ["chainloop.material.name": "spdx", "chainloop.material.type": "SBOM_SPDX_JSON", "chainloop.material.cas": "true"]),
            NormalizedMaterialFields(
                name: "image", typeName: "CONTAINER_IMAGE", filename: nil, value: "ghcr.io/acme/shop",
                digest: "sha256:747ef335ea27a2faf08aa292a5bc5491aff50c6a94ee4ebcbbcd43cdeccccaf1", tag: "v2", uploadedToCAS: false,
                annotations: [
                    "chainloop.material.name": "image", "chainloop.material.type": "CONTAINER_IMAGE", "chainloop.material.image.tag": "v2",
                ]),
            NormalizedMaterialFields(
                name: "version", typeName: "STRING", filename: nil, value: "2.0.1", digest: nil, tag: nil, uploadedToCAS: false,
                annotations: ["chainloop.material.name": "version", "chainloop.material.type": "STRING"]),
        ]
        #expect(predicate.materials.map(NormalizedMaterialFields.init) == expected)
        #expect(predicate.materials.allSatisfy { !$0.embeddedInline })
    }

    @Test func malformedDigestIsRefused() {
        var builder = self.builder
        builder.materials = [.casFile(name: "bin", type: .artifact, filename: "app", digest: "sha256:xyz")]
        let error = #expect(throws: CourierError.self) { try builder.statement() }
        #expect(error?.message == "The digest of material 'bin' is not 'sha256:' followed by 64 lowercase hex digits.")
    }

    @Test func runnerIsDetectedFromTheEnvironment() {
        let github = ChainloopStatementBuilder.Run.detected(
            in: ["GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "42"],
            startedAt: run.startedAt, finishedAt: run.finishedAt)
        #expect(github.runnerType == "GITHUB_ACTION")
        #expect(github.runURL == "https://github.com/acme/shop/actions/runs/42")
        let gitlab = ChainloopStatementBuilder.Run.detected(
            in: ["GITLAB_CI": "true", "CI_JOB_URL": "https://gitlab.com/acme/shop/-/jobs/7"], startedAt: run.startedAt, finishedAt: run.finishedAt)
        #expect(gitlab.runnerType == "GITLAB_PIPELINE")
        #expect(gitlab.runURL == "https://gitlab.com/acme/shop/-/jobs/7")
        let local = ChainloopStatementBuilder.Run.detected(in: [:], startedAt: run.startedAt, finishedAt: run.finishedAt)
        #expect(local.runnerType == "RUNNER_TYPE_UNSPECIFIED")
        #expect(local.runURL == "")
    }
}

/// The fields of a normalised material that a round trip must preserve.
private struct NormalizedMaterialFields: Equatable, CustomStringConvertible {
    var name: String
    var typeName: String
    var filename: String?
    var value: String?
    var digest: String?
    var tag: String?
    var uploadedToCAS: Bool
    var annotations: [String: String]

    init(
        name: String, typeName: String, filename: String?, value: String?, digest: String?, tag: String?, uploadedToCAS: Bool,
        annotations: [String: String]
    ) {
        self.name = name
        self.typeName = typeName
        self.filename = filename
        self.value = value
        self.digest = digest
        self.tag = tag
        self.uploadedToCAS = uploadedToCAS
        self.annotations = annotations
    }

    init(_ material: NormalizedMaterial) {
        self.init(
            name: material.name, typeName: material.typeName, filename: material.filename, value: material.value, digest: material.digest,
            tag: material.tag, uploadedToCAS: material.uploadedToCAS, annotations: material.annotations)
    }

    var description: String { "\(name) \(typeName) \(filename ?? "-") \(value ?? "-") \(digest ?? "-") \(tag ?? "-") \(annotations)" }
}
