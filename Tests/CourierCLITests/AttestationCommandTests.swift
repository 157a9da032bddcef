import CourierAttestation
import CourierCrypto
import CourierWire
import Foundation
import Testing

@testable import CourierCLI

@Suite("Attestation commands")
struct AttestationCommandTests {
    private static let imageDigest = "sha256:" + String(repeating: "ab", count: 32)

    private let attestation = AttestationDTO(
        id: "run-1", digest: "sha256:feed", project: "shop", workflow: "build", runnerType: "GITHUB_ACTION",
        runURL: "https://github.com/acme/shop/actions/runs/7", verifiedBy: "ci", annotations: ["team": "payments"],
        materials: [
            MaterialDTO(
                name: "sbom", type: "SBOM_CYCLONEDX_JSON", filename: "bom.json", value: nil, digest: "sha256:b0b", uploadedToCAS: true,
                embeddedInline: false),
            MaterialDTO(name: "version", type: "STRING", filename: nil, value: "1.2.3", digest: nil, uploadedToCAS: false, embeddedInline: false),
        ],
        warnings: [], createdAt: sampleDate
    )

    private struct CASObject: Encodable {
        var digest: String
        var size: Int
    }

    private func write(_ contents: String, to name: String, in harness: Harness) throws -> URL {
        let url = harness.home.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url
    }

    private func digest(_ contents: String) -> String {
        "sha256:" + SHA256.hex(Data(contents.utf8))
    }

    private func requestLines(_ harness: Harness) -> [String] {
        harness.transport.requests.map { request in
            "\(request.method) \(request.url.path)" + (request.url.query.map { "?\($0)" } ?? "")
        }
    }

    /// A harness answering pushes with `attestation`, CAS uploads with 201 and CAS checks of `known` with 200.
    private func pushHarness(known: [String] = [], warnings: [String] = [], duplicate: Bool = false) -> Harness {
        let harness = Harness()
        var pushed = attestation
        pushed.warnings = warnings
        harness.transport.respond(
            "POST", "/v1/attestations", status: duplicate ? 200 : 201,
            json: PushedAttestationDTO(attestation: pushed, deliveries: 2, duplicate: duplicate))
        for digest in known {
            harness.transport.respond("HEAD", "/v1/cas/\(digest)", with: .success(TransportResponse(status: 200)))
        }
        return harness
    }

    private func pushedDocument(_ harness: Harness) throws -> ParsedAttestation {
        let post = try #require(harness.transport.requests.last { $0.method == "POST" })
        return try AttestationDocument.parse(try #require(post.body))
    }

    // MARK: - push --material

    @Test func pushUploadsNewFilesSkipsKnownOnesAndPushesTheCraftedStatement() async throws {
        let bom = #"{"bomFormat":"CycloneDX"}"#
        let junit = "<testsuite/>"
        let harness = pushHarness(known: [digest(junit)], warnings: ["Material 'x' is not in CAS."])
        harness.transport.respond("PUT", "/v1/cas/\(digest(bom))", status: 201, json: CASObject(digest: digest(bom), size: bom.utf8.count))
        let bomFile = try write(bom, to: "bom.json", in: harness)
        let junitFile = try write(junit, to: "junit.xml", in: harness)
        let result = await harness.runAuthenticated([
            "attestation", "push", "--workflow", "build", "--project", "shop",
            "--material", "sbom:SBOM_CYCLONEDX_JSON=\(bomFile.path)", "--material", "tests:JUNIT_XML=\(junitFile.path)",
            "--material", "version:STRING=1.2.3=rc", "--material", "image:CONTAINER_IMAGE=ghcr.io/acme/shop:1.2@\(Self.imageDigest)",
            "--annotation", "team=payments", "--annotation", "ticket=OPS-1=2",
        ])
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌─────────────┬────────────┬────────────┐
                │ DIGEST      │ WORKFLOW   │ DELIVERIES │
                ├─────────────┼────────────┼────────────┤
                │ sha256:feed │ shop/build │ 2          │
                └─────────────┴────────────┴────────────┘

                """)
        #expect(result.standardError == "Warning: Material 'x' is not in CAS.\n")
        #expect(
            requestLines(harness) == [
                "HEAD /v1/cas/\(digest(bom))", "PUT /v1/cas/\(digest(bom))", "HEAD /v1/cas/\(digest(junit))",
                "POST /v1/attestations?project=shop&workflow=build",
            ])
        let put = harness.transport.requests[1]
        #expect(put.url.absoluteString.hasSuffix("/v1/cas/sha256%3A" + SHA256.hex(Data(bom.utf8))))
        #expect(put.bodyFile == bomFile && put.body == nil)
        #expect(put.headers["Content-Type"] == "application/octet-stream")
        #expect(harness.transport.requests.last?.headers["Content-Type"] == "application/json")

        let document = try pushedDocument(harness)
        #expect(!document.isSigned)
        #expect(document.predicate.metadata.name == "build" && document.predicate.metadata.project == "shop")
        #expect(document.predicate.annotations == ["team": "payments", "ticket": "OPS-1=2"])
        let materials = document.predicate.materials
        #expect(materials.map(\.name) == ["sbom", "tests", "version", "image"])
        #expect(materials.map(\.typeName) == ["SBOM_CYCLONEDX_JSON", "JUNIT_XML", "STRING", "CONTAINER_IMAGE"])
        #expect(materials.map(\.digest) == [digest(bom), digest(junit), nil, Self.imageDigest])
        #expect(materials.map(\.filename) == ["bom.json", "junit.xml", nil, nil])
        #expect(materials.map(\.uploadedToCAS) == [true, true, false, false])
        #expect(materials[2].value == "1.2.3=rc")
        #expect(materials[3].value == "ghcr.io/acme/shop" && materials[3].tag == "1.2")
    }

    @Test func pushUploadsAFileNamedTwiceOnce() async throws {
        let harness = pushHarness()
        harness.transport.respond("PUT", "/v1/cas/\(digest("x"))", status: 201, json: CASObject(digest: digest("x"), size: 1))
        let file = try write("x", to: "x.bin", in: harness)
        let result = await harness.runAuthenticated([
            "attestation", "push", "--workflow", "build", "--project", "shop",
            "--material", "one:ARTIFACT=\(file.path)", "--material", "two:ARTIFACT=\(file.path)",
        ])
        #expect(result.status == 0)
        #expect(requestLines(harness).filter { $0.hasPrefix("PUT") }.count == 1)
        #expect(try pushedDocument(harness).predicate.materials.map(\.digest) == [digest("x"), digest("x")])
    }

    @Test func pushSignsWithTheKeyAndPrintsJSON() async throws {
        let harness = pushHarness()
        let key = try SigningKey.generate()
        let keyFile = try write(key.pemRepresentation, to: "ci.key", in: harness)
        let result = await harness.runAuthenticated([
            "attestation", "push", "--workflow", "build", "--project", "shop", "--material", "version:STRING=1.2.3", "--key", keyFile.path,
            "-o", "json",
        ])
        #expect(result.status == 0)
        #expect(
            try decodeJSON(PushedAttestationDTO.self, result.standardOutput)
                == PushedAttestationDTO(attestation: attestation, deliveries: 2, duplicate: false))
        let envelope = try pushedDocument(harness).envelope
        let signature = try #require(envelope.signatures.first)
        #expect(envelope.signatures.count == 1 && signature.keyID == key.verificationKey.id)
        let publicKey = try VerificationKey(pem: key.verificationKey.pemRepresentation)
        #expect(publicKey.isValidSignature(signature.signature, for: envelope.signedBytes))
    }

    @Test func pushSaysWhenTheAttestationWasAlreadyPushed() async {
        let harness = pushHarness(duplicate: true)
        let result = await harness.runAuthenticated(["attestation", "push", "--workflow", "build", "--project", "shop", "--material", "v:STRING=1"])
        #expect(result.status == 0)
        #expect(result.standardError == "The workflow already had this attestation; nothing new was delivered.\n")
    }

    @Test func pushFailsOnAnUnusableKeyBeforeUploading() async throws {
        let harness = pushHarness()
        let file = try write("x", to: "x.bin", in: harness)
        let notAKey = try write("not a key", to: "bad.key", in: harness)
        let material = "x:ARTIFACT=\(file.path)"
        let missing = await harness.runAuthenticated([
            "attestation", "push", "--workflow", "build", "--project", "shop", "--material", material, "--key", "/nonexistent/ci.key",
        ])
        #expect(missing.status == 1)
        #expect(missing.standardError == "Error: Could not read the private key file /nonexistent/ci.key; check that it exists and is readable.\n")
        let unreadable = await harness.runAuthenticated([
            "attestation", "push", "--workflow", "build", "--project", "shop", "--material", material, "--key", notAKey.path,
        ])
        #expect(unreadable.status == 1)
        #expect(
            unreadable.standardError
                == "Error: The private key is not a readable unencrypted PEM private key; expected a '-----BEGIN PRIVATE KEY-----' block.\n")
        #expect(harness.transport.requests.isEmpty)
    }

    @Test func pushFailsOnAMissingMaterialFile() async {
        let harness = pushHarness()
        let result = await harness.runAuthenticated([
            "attestation", "push", "--workflow", "build", "--project", "shop", "--material", "x:ARTIFACT=/nonexistent/x.bin",
        ])
        #expect(result.status == 1)
        #expect(result.standardError == "Error: Could not read the material file /nonexistent/x.bin; check that it exists and is readable.\n")
        #expect(harness.transport.requests.isEmpty)
    }

    @Test func pushReportsTheServersError() async {
        let harness = Harness()
        harness.transport.respond(
            "POST", "/v1/attestations", status: 400, json: ErrorBody(code: "invalid_argument", message: "The envelope is not signed by any key."))
        let result = await harness.runAuthenticated(["attestation", "push", "--workflow", "build", "--project", "shop", "--material", "v:STRING=1"])
        #expect(result.status == 1)
        #expect(result.standardError == "Error: The envelope is not signed by any key.\n")
    }

    // MARK: - push --envelope

    @Test func pushOfAnEnvelopeUploadsItsMaterialFilesAndSendsTheFileUnchanged() async throws {
        let bom = #"{"bomFormat":"CycloneDX"}"#
        let harness = pushHarness()
        harness.transport.respond("PUT", "/v1/cas/\(digest(bom))", status: 201, json: CASObject(digest: digest(bom), size: bom.utf8.count))
        let bomFile = try write(bom, to: "bom.json", in: harness)
        let builder = ChainloopStatementBuilder(
            workflow: .init(name: "build", project: "shop"),
            run: .init(startedAt: sampleDate, finishedAt: sampleDate),
            materials: [.casFile(name: "sbom", type: .sbomCycloneDXJSON, filename: "bom.json", digest: digest(bom))]
        )
        let envelope = try builder.envelope(signedWith: DSSESigner(key: SigningKey.generate()))
        let bundle = """
            {
              "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
              "dsseEnvelope": \(String(decoding: envelope.canonicalJSON, as: UTF8.self))
            }
            """
        let bundleFile = try write(bundle, to: "attestation.json", in: harness)
        let result = await harness.runAuthenticated([
            "attestation", "push", "--workflow", "build", "--project", "shop", "--envelope", bundleFile.path, "--material-file", bomFile.path,
        ])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("│ sha256:feed │ shop/build │ 2          │"))
        #expect(
            requestLines(harness) == [
                "HEAD /v1/cas/\(digest(bom))", "PUT /v1/cas/\(digest(bom))", "POST /v1/attestations?project=shop&workflow=build",
            ])
        #expect(harness.transport.requests[1].bodyFile == bomFile)
        #expect(harness.transport.requests.last?.body == Data(bundle.utf8))
    }

    @Test func pushOfAnEnvelopeRefusesAFileItDoesNotReference() async throws {
        let harness = pushHarness()
        let builder = ChainloopStatementBuilder(
            workflow: .init(name: "build", project: "shop"),
            run: .init(startedAt: sampleDate, finishedAt: sampleDate),
            materials: [.casFile(name: "sbom", type: .sbomCycloneDXJSON, filename: "bom.json", digest: digest("the sbom"))]
        )
        let envelope = DSSEEnvelope(payloadType: DSSE.inTotoPayloadType, payload: Data(try builder.statement().serialized().utf8), signatures: [])
        let envelopeFile = harness.home.appendingPathComponent("envelope.json")
        try envelope.canonicalJSON.write(to: envelopeFile)
        let other = try write("something else", to: "other.txt", in: harness)
        let result = await harness.runAuthenticated([
            "attestation", "push", "--workflow", "build", "--project", "shop", "--envelope", envelopeFile.path, "--material-file", other.path,
        ])
        #expect(result.status == 1)
        #expect(
            result.standardError
                == "Error: The material file \(other.path) (\(digest("something else"))) is none of the CAS materials of the attestation in "
                + "\(envelopeFile.path).\n")
        #expect(harness.transport.requests.isEmpty)
    }

    @Test func pushOfAnEnvelopeFailsOnAFileThatIsNoAttestation() async throws {
        let harness = pushHarness()
        let file = try write(#"{"hello":"world"}"#, to: "hello.json", in: harness)
        let result = await harness.runAuthenticated(["attestation", "push", "--workflow", "build", "--project", "shop", "--envelope", file.path])
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix("Error: \(file.path): The document is neither a DSSE envelope"))
        #expect(harness.transport.requests.isEmpty)
    }

    // MARK: - push usage errors

    @Test(arguments: [
        (["--material", "v:STRING=1", "--envelope", "e.json"], "Pass '--material <name:type=path>' or '--envelope <file>', not both."),
        ([], "Missing required option '--material <name:type=path>' or '--envelope <file>'."),
        (
            ["--material", "sbom:SBOM=bom.json"],
            "Unknown material type 'SBOM' in '--material sbom:SBOM=bom.json'; use a Chainloop material type such as "
                + "SBOM_CYCLONEDX_JSON, SBOM_SPDX_JSON, ARTIFACT, JUNIT_XML, STRING, CONTAINER_IMAGE, SARIF."
        ),
        (
            ["--material", "sbom=bom.json"],
            "Invalid value 'sbom=bom.json' for '--material'; expected NAME:TYPE=PATH, e.g. sbom:SBOM_CYCLONEDX_JSON=bom.json."
        ),
        (
            ["--material", ":ARTIFACT=a"],
            "Invalid value ':ARTIFACT=a' for '--material'; expected NAME:TYPE=PATH, e.g. sbom:SBOM_CYCLONEDX_JSON=bom.json."
        ),
        (
            ["--material", "a:ARTIFACT="],
            "Invalid value 'a:ARTIFACT=' for '--material'; expected NAME:TYPE=PATH, e.g. sbom:SBOM_CYCLONEDX_JSON=bom.json."
        ),
        (
            ["--material", "img:CONTAINER_IMAGE=alpine:3"],
            "The image in '--material img:CONTAINER_IMAGE=alpine:3' is not pinned by digest; give REPOSITORY[:TAG]@sha256:HEX, "
                + "e.g. ghcr.io/acme/shop:1.2@sha256:<64 hex digits>."
        ),
        (["--material", "v:STRING=1", "--annotation", "novalue"], "Invalid value 'novalue' for '--annotation'; expected key=value."),
        (
            ["--material", "v:STRING=1", "--material-file", "bom.json"],
            "'--material-file <path>' goes with '--envelope <file>'; with '--material', each material names its file."
        ),
        (["--envelope", "e.json", "--key", "ci.key"], "'--annotation' and '--key' go with '--material'; an '--envelope' is pushed unchanged."),
    ])
    func pushUsageErrors(arguments: [String], message: String) async {
        let harness = Harness()
        let result = await harness.runAuthenticated(["attestation", "push", "--workflow", "build", "--project", "shop"] + arguments)
        #expect(result.status == 2)
        #expect(result.standardError.hasPrefix("Error: \(message)\nUsage: courier attestation push --workflow <workflow> --project <project> ("))
        #expect(harness.transport.requests.isEmpty)
    }

    @Test func materialArgumentsSplitImageReferences() throws {
        let digest = Self.imageDigest
        #expect(
            try MaterialArgument(parsing: "img:CONTAINER_IMAGE=localhost:5000/shop@\(digest)").source
                == .containerImage(repository: "localhost:5000/shop", tag: nil, digest: digest))
        #expect(
            try MaterialArgument(parsing: "img:CONTAINER_IMAGE=localhost:5000/shop:v1@\(digest)").source
                == .containerImage(repository: "localhost:5000/shop", tag: "v1", digest: digest))
        #expect(
            try MaterialArgument(parsing: "sbom:SBOM_SPDX_JSON=a=b.json")
                == MaterialArgument(name: "sbom", type: .sbomSPDXJSON, source: .file(path: "a=b.json")))
    }

    // MARK: - list and describe

    @Test func listSendsTheFiltersAndPrintsTheAttestations() async throws {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/attestations", json: AttestationListDTO(attestations: [attestation]))
        let result = await harness.runAuthenticated(["attestation", "list", "--project", "shop", "--workflow", "build", "--limit", "5"])
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌─────────────┬────────────┬───────────┬─────────────┬─────────────────────────┐
                │ DIGEST      │ WORKFLOW   │ MATERIALS │ VERIFIED BY │ CREATED AT              │
                ├─────────────┼────────────┼───────────┼─────────────┼─────────────────────────┤
                │ sha256:feed │ shop/build │ 2         │ ci          │ 2026-12-04 15:24:42 UTC │
                └─────────────┴────────────┴───────────┴─────────────┴─────────────────────────┘

                """)
        #expect(requestLines(harness) == ["GET /v1/attestations?project=shop&workflow=build&limit=5"])

        let json = await harness.runAuthenticated(["attestation", "ls", "-o", "json"])
        #expect(try decodeJSON([AttestationDTO].self, json.standardOutput) == [attestation])
        #expect(requestLines(harness).last == "GET /v1/attestations")

        harness.transport.respond("GET", "/v1/attestations", json: AttestationListDTO(attestations: []))
        let empty = await harness.runAuthenticated(["attestation", "list"])
        #expect(empty.standardOutput == "There are no attestations yet; push one with 'courier attestation push'.\n")

        let badLimit = await harness.runAuthenticated(["attestation", "list", "--limit", "0"])
        #expect(badLimit.status == 2)
        #expect(badLimit.standardError.hasPrefix("Error: Invalid value '0' for '--limit <n>'; expected a positive integer.\n"))
    }

    @Test func describePrintsTheSummaryMaterialsAndDeliveries() async throws {
        let harness = Harness()
        let delivery = DeliveryDTO(
            id: "del-1", state: "delivered", kind: "attestation", integration: "dt-prod", integrationKind: "dependency-track",
            workflow: "shop/build", attestationDigest: "sha256:feed", attempts: 1, nextAttemptAt: nil, reason: "", createdAt: sampleDate,
            updatedAt: sampleDate
        )
        let detail = AttestationDetailDTO(attestation: attestation, envelope: "{}", deliveries: [delivery])
        harness.transport.respond("GET", "/v1/attestations/sha256:feed", json: detail)
        let result = await harness.runAuthenticated(["attestation", "describe", "sha256:feed"])
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌───────────────────────────────────────────────────────────┐
                │ Attestation                                               │
                ├─────────────┬─────────────────────────────────────────────┤
                │ Digest      │ sha256:feed                                 │
                │ Workflow    │ shop/build                                  │
                │ Run ID      │ run-1                                       │
                │ Runner      │ GITHUB_ACTION                               │
                │             │ https://github.com/acme/shop/actions/runs/7 │
                │ Verified by │ ci                                          │
                │ Annotations │ team: payments                              │
                │ Created at  │ 2026-12-04 15:24:42 UTC                     │
                └─────────────┴─────────────────────────────────────────────┘
                ┌──────────────────────────────────────────────────┐
                │ Materials                                        │
                ├─────────┬─────────────────────┬────────────┬─────┤
                │ NAME    │ TYPE                │ DIGEST     │ CAS │
                ├─────────┼─────────────────────┼────────────┼─────┤
                │ sbom    │ SBOM_CYCLONEDX_JSON │ sha256:b0b │ Yes │
                │ version │ STRING              │            │ No  │
                └─────────┴─────────────────────┴────────────┴─────┘
                ┌────────────────────────────────────────────────────────────────────────────────────────────┐
                │ Deliveries                                                                                 │
                ├───────┬───────────┬─────────────┬────────────┬──────────┬────────┬─────────────────────────┤
                │ ID    │ STATE     │ INTEGRATION │ WORKFLOW   │ ATTEMPTS │ REASON │ UPDATED AT              │
                ├───────┼───────────┼─────────────┼────────────┼──────────┼────────┼─────────────────────────┤
                │ del-1 │ delivered │ dt-prod     │ shop/build │ 1        │        │ 2026-12-04 15:24:42 UTC │
                └───────┴───────────┴─────────────┴────────────┴──────────┴────────┴─────────────────────────┘

                """)
        let request = try #require(harness.transport.requests.first)
        #expect(request.url.absoluteString.hasSuffix("/v1/attestations/sha256%3Afeed"))

        let json = await harness.runAuthenticated(["attestation", "describe", "sha256:feed", "-o", "json"])
        #expect(try decodeJSON(AttestationDetailDTO.self, json.standardOutput) == detail)
    }
}
