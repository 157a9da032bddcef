import CourierAttestation
import CourierCore
import CourierIntegrationKit
import Foundation
import Testing

@Suite struct AttestationDocumentTests {
    @Test(arguments: [
        "dispatcher-attestation.envelope.json", "valid.envelope.v2.json", "attestation-dsse.json", "attestation.sigstore-bundle.json",
        "biz-bundle.json", "summary-full.json",
    ])
    func realChainloopAttestationIsAccepted(file: String) throws {
        let attestation = try AttestationDocument.parse(ChainloopFixtures.data(file))
        #expect(attestation.envelope.payloadType == DSSE.inTotoPayloadType)
        #expect(attestation.isSigned)
        #expect(!attestation.subjects.isEmpty)
        #expect(!attestation.predicate.metadata.name.isEmpty)
        #expect(attestation.hash.hasPrefix("sha256:"))
    }

    @Test func unknownPredicateTypeIsRefusedNamingBothTypes() throws {
        let error = #expect(throws: CourierError.self) {
            try AttestationDocument.parse(ChainloopFixtures.data("unknown-predicate.envelope.json"))
        }
        #expect(error?.code == .invalidArgument)
        #expect(
            error?.message
                == "The predicate type 'unknown.company/attestation/v0.1' is not supported; Courier accepts Chainloop attestations "
                + "with predicate type 'chainloop.dev/attestation/v0.2'.")
    }

    @Test func emptyObjectIsRefusedSayingWhatWasExpected() throws {
        let error = #expect(throws: CourierError.self) { try AttestationDocument.parse(ChainloopFixtures.data("invalid.json")) }
        #expect(error?.code == .invalidArgument)
        #expect(
            error?.message
                == "The document is neither a DSSE envelope (with 'payloadType', 'payload' and 'signatures') nor a Sigstore bundle "
                + "(with 'mediaType' and 'dsseEnvelope'); push an attestation made by Chainloop or by 'courier attestation push'.")
    }

    @Test(arguments: ["sbom.cyclonedx-1.5.json", "sbom-spdx.json", "summary-full.md"])
    func otherFilesAreNotAttestations(file: String) throws {
        let error = #expect(throws: CourierError.self) { try AttestationDocument.parse(ChainloopFixtures.data(file)) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func attestationHashMatchesUpstream() throws {
        let attestation = try AttestationDocument.parse(ChainloopFixtures.data("dispatcher-attestation.envelope.json"))
        #expect(attestation.hash == "sha256:33683275ee73f7f019d57b7522dfdfa1eb737b6a7c61e9c4dc2a03a48ef6e1ef")
        let canonical = String(decoding: attestation.canonicalEnvelope, as: UTF8.self)
        #expect(canonical.hasPrefix(#"{"payloadType":"application/vnd.in-toto+json","payload":"eyJ"#))
        let signature = "MEQCIAFytdWto+Bi5Tht+7haXnjiHBfwLwgf6ks0mxeeSadEAiBoLKhy+UKsdDH3ukHJPuiHvWOGhEP19kZ9aipmaT4TlQ=="
        #expect(canonical.hasSuffix(#"","signatures":[{"keyid":"","sig":""# + signature + #""}]}"#))
    }

    @Test func statementV01PredicateView() throws {
        let attestation = try AttestationDocument.parse(ChainloopFixtures.data("valid.envelope.v2.json"))
        #expect(attestation.container == .envelope)
        #expect(attestation.statementType == .v0_1)
        #expect(attestation.subjects.map(\.name) == ["chainloop.dev/workflow/old", "index.docker.io/bitnami/nginx"])
        #expect(attestation.subjects[1].digest == ["sha256": "747ef335ea27a2faf08aa292a5bc5491aff50c6a94ee4ebcbbcd43cdeccccaf1"])
        let predicate = attestation.predicate
        #expect(predicate.metadata.name == "old")
        #expect(predicate.metadata.project == "old")
        #expect(predicate.metadata.team == "")
        #expect(predicate.metadata.workflowRunID == "003c6d4f-1907-45a7-a596-57c38ef1fdc3")
        #expect(predicate.metadata.workflowID == "f2fb5338-f79b-44b8-9a61-616f510c019b")
        #expect(predicate.metadata.startedAt == "2023-05-09T11:51:40.277567484Z")
        #expect(predicate.metadata.finishedAt == "2023-05-09T13:52:14.337768087+02:00")
        #expect(predicate.runnerType == "RUNNER_TYPE_UNSPECIFIED")
        #expect(predicate.environment == ["CUSTOM_VAR": "foobar"])
        #expect(attestation.statement.objectValue?["predicateType"] == "chainloop.dev/attestation/v0.2")
    }

    @Test func attestationAnnotationsAreRead() throws {
        let attestation = try AttestationDocument.parse(ChainloopFixtures.data("summary-full.json"))
        #expect(attestation.predicate.annotations == ["toplevel": "true", "branch": "stable"])
        #expect(attestation.predicate.environment == ["owner": "john-c@chainloop.dev", "project": "chatgpt"])
    }

    @Test func normalisedMaterialsOfEveryKind() throws {
        let materials = try AttestationDocument.parse(ChainloopFixtures.data("valid.envelope.v2.json")).predicate.materials
        try #require(materials.count == 5)

        let artifact = materials[0]
        #expect(artifact.name == "binary")
        #expect(artifact.typeName == "ARTIFACT")
        #expect(artifact.type == .artifact)
        #expect(artifact.filename == "main.go")
        #expect(artifact.value == nil)
        #expect(artifact.digest == "sha256:8fce0203a4efaac3b08ee3ad769233039faa762a3da0777c45b315f398f0c150")
        #expect(artifact.tag == nil)
        #expect(artifact.uploadedToCAS)
        #expect(!artifact.embeddedInline)
        #expect(artifact.inlineContent == nil)
        #expect(
            artifact.annotations == [
                "chainloop.material.name": "binary", "chainloop.material.type": "ARTIFACT", "chainloop.material.cas": "true",
                "annotation": "baz",
            ])

        let image = materials[1]
        #expect(image.name == "image")
        #expect(image.type == .containerImage)
        #expect(image.filename == nil)
        #expect(image.value == "index.docker.io/bitnami/nginx")
        #expect(image.digest == "sha256:747ef335ea27a2faf08aa292a5bc5491aff50c6a94ee4ebcbbcd43cdeccccaf1")
        #expect(image.tag == nil)
        #expect(!image.uploadedToCAS)
        #expect(!image.embeddedInline)
        #expect(image.annotations["another_annotation"] == "foo")

        let sbom = materials[2]
        #expect(sbom.name == "sbom")
        #expect(sbom.type == .sbomCycloneDXJSON)
        #expect(sbom.filename == "sbom.cyclonedx.json")
        #expect(sbom.value == nil)
        #expect(sbom.digest == "sha256:16159bb881eb4ab7eb5d8afc5350b0feeed1e31c0a268e355e74f9ccbe885e0c")
        #expect(sbom.uploadedToCAS)
        #expect(!sbom.embeddedInline)

        let inlineSBOM = materials[3]
        #expect(inlineSBOM.name == "sbom")
        #expect(inlineSBOM.type == .sbomCycloneDXJSON)
        #expect(inlineSBOM.filename == "inline-sbom.json")
        #expect(inlineSBOM.value == "hello inline!")
        #expect(inlineSBOM.inlineContent == Data("hello inline!".utf8))
        #expect(inlineSBOM.digest == "sha256:16159bb881eb4ab7eb5d8afc5350b0feeed1e31c0a268e355e74f9ccbe885e0c")
        #expect(!inlineSBOM.uploadedToCAS)
        #expect(inlineSBOM.embeddedInline)
        #expect(inlineSBOM.annotations["chainloop.material.cas.inline"] == "true")

        let string = materials[4]
        #expect(string.name == "stringvar")
        #expect(string.type == .string)
        #expect(string.value == "helloworld")
        #expect(string.inlineContent == Data("helloworld".utf8))
        #expect(string.filename == nil)
        #expect(string.digest == nil)
        #expect(!string.uploadedToCAS)
        #expect(!string.embeddedInline)
    }

    @Test func containerImageTagAndSBOMMainComponent() throws {
        let image: JSONValue = [
            "name": "ghcr.io/acme/app", "digest": ["sha256": "aa"],
            "annotations": [
                "chainloop.material.name": "image", "chainloop.material.type": "CONTAINER_IMAGE", "chainloop.material.image.tag": "v1.2",
            ],
        ]
        let sbom: JSONValue = [
            "name": "sbom.json", "digest": ["sha256": "bb"],
            "annotations": [
                "chainloop.material.name": "sbom", "chainloop.material.type": "SBOM_SPDX_JSON", "chainloop.material.cas": true,
                "chainloop.material.sbom.main_component.name": "app", "chainloop.material.sbom.main_component.type": "container",
                "chainloop.material.sbom.main_component.version": "1.2",
            ],
        ]
        let materials = try AttestationDocument.parse(envelopeData(statement: chainloopStatement(materials: [image, sbom]))).predicate.materials
        #expect(materials.map(\.tag) == ["v1.2", nil])
        #expect(materials[0].value == "ghcr.io/acme/app")
        #expect(materials[1].referencedSourceComponent?.name == "app")
        #expect(materials[1].referencedSourceComponent?.type == "container")
        #expect(materials[1].referencedSourceComponent?.version == "1.2")
    }

    @Test func materialsUpstreamWouldDropAreDroppedAndUnknownTypesKept() throws {
        let materials: [JSONValue] = [
            ["name": "a", "digest": ["sha256": "aa"], "annotations": ["chainloop.material.type": "ARTIFACT"]],
            ["name": "b", "digest": ["sha256": "bb"], "annotations": ["chainloop.material.name": "no-type"]],
            ["name": "c", "annotations": ["chainloop.material.name": "no-digest", "chainloop.material.type": "ARTIFACT"]],
            ["digest": ["sha256": "dd"], "annotations": ["chainloop.material.name": "no-name", "chainloop.material.type": "ARTIFACT"]],
            ["name": "e", "digest": ["sha1": "ee"], "annotations": ["chainloop.material.name": "sha1-only", "chainloop.material.type": "ARTIFACT"]],
            [
                "name": "f", "digest": ["sha256": "ff"],
                "annotations": ["chainloop.material.name": "future", "chainloop.material.type": "FUTURE_TYPE"],
            ],
        ]
        let normalised = try AttestationDocument.parse(envelopeData(statement: chainloopStatement(materials: materials))).predicate.materials
        #expect(normalised.map(\.name) == ["future"])
        #expect(normalised[0].typeName == "FUTURE_TYPE")
        #expect(normalised[0].type == nil)
        #expect(normalised[0].value == "f")
    }

    @Test func annotationValuesAreStringifiedLikeGo() throws {
        let annotations: JSONValue = [
            "chainloop.material.name": "n", "chainloop.material.type": "STRING", "flag": false, "integer": 3, "half": 0.5,
            "million": 1_234_567, "large": 100_000, "tiny": 0.00001, "huge": 1e21, "negative": -2.5, "list": ["a"],
        ]
        let material: JSONValue = ["content": "", "annotations": annotations]
        let normalised = try AttestationDocument.parse(envelopeData(statement: chainloopStatement(materials: [material]))).predicate.materials
        let stringified = try #require(normalised.first).annotations
        #expect(stringified["flag"] == "false")
        #expect(stringified["integer"] == "3")
        #expect(stringified["half"] == "0.5")
        #expect(stringified["million"] == "1.234567e+06")
        #expect(stringified["large"] == "100000")
        #expect(stringified["tiny"] == "1e-05")
        #expect(stringified["huge"] == "1e+21")
        #expect(stringified["negative"] == "-2.5")
        #expect(stringified["list"] == #"["a"]"#)
    }

    @Test func statementV1() throws {
        let attestation = try AttestationDocument.parse(ChainloopFixtures.data("attestation-dsse.json"))
        #expect(attestation.statementType == .v1)
        #expect(attestation.subjects.map(\.name) == ["chainloop.workflow.chainloop-codeql", "git.head", "go.sarif"])
        #expect(attestation.subjects[1].digest == ["sha1": "ed7a67d9060c23ac1f61faac06c21c8a9a03c357"])
        #expect(attestation.subjects[1].annotations["author.email"] == "javier@chainloop.dev")
        let predicate = attestation.predicate
        #expect(predicate.runnerType == "GITHUB_ACTION")
        #expect(predicate.runnerURL == "https://github.com/chainloop-dev/chainloop/actions/runs/8875934071")
        #expect(predicate.metadata.organization == "read-only-demo")
        #expect(predicate.metadata.team == "core")
        #expect(predicate.environment["GITHUB_RUN_ID"] == "8875934071")
        #expect(predicate.materials.map(\.name) == ["sarif-results"])
        #expect(predicate.materials.first?.type == .sarif)
    }

    @Test func sigstoreBundles() throws {
        let bundle = try AttestationDocument.parse(ChainloopFixtures.data("attestation.sigstore-bundle.json"))
        #expect(bundle.container == .sigstoreBundle(mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.3"))
        #expect(bundle.statementType == .v1)
        #expect(bundle.envelope.signatures.map(\.keyID) == [""])
        #expect(bundle.predicate.metadata.contractName == "demo-spring-petclinic")
        #expect(bundle.predicate.metadata.contractVersion == "12")
        #expect(bundle.predicate.metadata.projectVersion == "latest")
        #expect(bundle.predicate.materials.map(\.name) == ["sbom", "vex", "vulnerability-report"])
        #expect(bundle.predicate.materials[0].referencedSourceComponent?.name == "ghcr.io/chainloop-dev/chainloop/control-plane")

        let biz = try AttestationDocument.parse(ChainloopFixtures.data("biz-bundle.json"))
        #expect(biz.predicate.metadata.name == "test")
        #expect(biz.predicate.metadata.organization == "chainloop")
        #expect(biz.predicate.materials.isEmpty)
    }

    @Test func bundleWithoutEnvelopeIsRefused() {
        let bundle = Data(#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{}}"#.utf8)
        let error = #expect(throws: CourierError.self) { try AttestationDocument.parse(bundle) }
        #expect(error?.message == "The Sigstore bundle has no 'dsseEnvelope'; only bundles that wrap a DSSE attestation envelope are accepted.")
    }

    @Test func notJSONIsRefused() {
        let error = #expect(throws: CourierError.self) { try AttestationDocument.parse(Data("payload: yes".utf8)) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "The attestation is not valid JSON; push a DSSE envelope or a Sigstore bundle in JSON form.")
    }

    @Test func badBase64PayloadIsRefused() {
        let envelope = Data(#"{"payloadType":"application/vnd.in-toto+json","payload":"not base64!","signatures":[]}"#.utf8)
        let error = #expect(throws: CourierError.self) { try AttestationDocument.parse(envelope) }
        #expect(error?.message == "The envelope's payload is not valid base64; it must be the base64-encoded in-toto statement.")
    }

    @Test func wrongPayloadTypeIsRefused() {
        let envelope = Data(#"{"payloadType":"text/plain","payload":"e30=","signatures":[]}"#.utf8)
        let error = #expect(throws: CourierError.self) { try AttestationDocument.parse(envelope) }
        #expect(error?.message == "The envelope's payloadType is 'text/plain'; expected 'application/vnd.in-toto+json'.")
    }

    @Test func payloadThatIsNotAStatementIsRefused() {
        let envelope = Data(#"{"payloadType":"application/vnd.in-toto+json","payload":"WzFd","signatures":[]}"#.utf8)
        let error = #expect(throws: CourierError.self) { try AttestationDocument.parse(envelope) }
        #expect(
            error?.message
                == "The envelope's payload is not an in-toto statement; expected a JSON object with '_type', 'subject', "
                + "'predicateType' and 'predicate'.")
    }

    @Test func unknownStatementTypeIsRefused() {
        var statement = chainloopStatement(materials: [])
        if case .object(var object) = statement {
            object["_type"] = "https://in-toto.io/Statement/v2"
            statement = .object(object)
        }
        let error = #expect(throws: CourierError.self) { try AttestationDocument.parse(envelopeData(statement: statement)) }
        #expect(
            error?.message
                == "The statement type 'https://in-toto.io/Statement/v2' is not supported; expected "
                + "'https://in-toto.io/Statement/v0.1' or 'https://in-toto.io/Statement/v1'.")
    }

    @Test func unsignedEnvelopeAndURLSafeUnpaddedPayloadAreAccepted() throws {
        let statement = chainloopStatement(materials: [])
        let urlSafe = envelopeData(statement: statement) { data in
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let attestation = try AttestationDocument.parse(urlSafe)
        #expect(!attestation.isSigned)
        #expect(attestation.envelope.payload == Data(statement.serialized().utf8))
        #expect(String(decoding: attestation.canonicalEnvelope, as: UTF8.self).hasSuffix(#","signatures":[]}"#))
    }

    @Test func preAuthenticationEncoding() {
        let encoding = DSSE.preAuthenticationEncoding(payloadType: "http://example.com/HelloWorld", payload: Data("hello world".utf8))
        #expect(String(decoding: encoding, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }
}
