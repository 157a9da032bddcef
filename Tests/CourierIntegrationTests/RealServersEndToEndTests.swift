import CourierAWS
import CourierCrypto
import CourierGCS
import CourierIntegrationKit
import CourierTestSupport
import CourierWire
import Foundation
import Testing

/// Issue 8's "Done when" with the built `courier` binary and real servers on loopback: one attestation with a
/// CycloneDX and an SPDX SBOM, pushed to a workflow with smtp (aiosmtpd, STARTTLS and AUTH), oci-registry
/// (docker-registry, htpasswd) and guac twice (s3 on moto with signature checking, gcs on gcp-storage-emulator)
/// attached, reaches every server, and every delivery is listed as delivered.
@Suite(.serialized, .timeLimit(.minutes(5))) struct RealServersEndToEndTests {
    static let bucket = "guac-bucket"

    @Test func oneAttestationReachesSMTPTheRegistryAndBothGUACBuckets() async throws {
        try await SMTPPeer.run { mail in
            try await RegistryPeer.run(.basic) { registry in
                let moto = try await MotoS3.start()
                let gcs: GCSEmulator
                do {
                    gcs = try await GCSEmulator.start()
                } catch {
                    await moto.emulator.stop()
                    throw error
                }
                do {
                    try await walkThrough(mail: mail, registry: registry, moto: moto, gcs: gcs)
                } catch {
                    await moto.emulator.stop()
                    await gcs.emulator.stop()
                    throw error
                }
                await moto.emulator.stop()
                await gcs.emulator.stop()
            }
        }
    }

    private func walkThrough(mail: SMTPPeer, registry: RegistryPeer, moto: MotoS3, gcs: GCSEmulator) async throws {
        let s3 = moto.client()
        try await s3.createBucket(Self.bucket)
        let server = try await ServerProcess()
        do {
            try await deliver(through: server, mail: mail, registry: registry, moto: moto, s3: s3, gcs: gcs)
        } catch {
            _ = try? await server.stop()
            throw error
        }
        #expect(try await server.stop() == 0)
    }

    private func deliver(
        through server: ServerProcess, mail: SMTPPeer, registry: RegistryPeer, moto: MotoS3, s3: S3Client, gcs: GCSEmulator
    ) async throws {
        let owner = try server.ownerToken()
        func courier(_ arguments: [String]) async throws -> CommandResult {
            try await runCourier(arguments, environment: ["HOME": server.home.url.path, "COURIER_SERVER": server.url, "COURIER_TOKEN": owner])
        }
        @discardableResult func succeed(_ arguments: String...) async throws -> CommandResult {
            let result = try await courier(arguments)
            try #require(result.status == 0, "courier \(arguments.joined(separator: " ")): \(result.stderr)")
            return result
        }

        let directory = try TemporaryDirectory()
        let caFile = directory.url.appendingPathComponent("ca.pem")
        try Data(mail.certificatePEM.utf8).write(to: caFile)
        try await succeed(
            "integration", "registered", "add", "smtp", "--name", "mail", "--opt", "to=ops@example.com", "--opt", "from=courier@example.org",
            "--opt", "user=\(SMTPPeer.user)", "--opt", "password=\(SMTPPeer.password)", "--opt", "host=127.0.0.1", "--opt",
            "port=\(mail.port)", "--opt", "caCertificate=@\(caFile.path)"
        )
        try await succeed(
            "integration", "registered", "add", "oci-registry", "--name", "registry", "--opt", "repository=\(registry.host)/team/attestations",
            "--opt", "username=\(RegistryPeer.pusher.0)", "--opt", "password=\(RegistryPeer.pusher.1)"
        )
        try await succeed(
            "integration", "registered", "add", "guac", "--name", "guac-s3", "--opt", "provider=s3", "--opt", "bucket=\(Self.bucket)",
            "--opt", "region=\(MotoS3.region)", "--opt", "accessKeyID=\(moto.credentials.accessKeyID)", "--opt",
            "secretAccessKey=\(moto.credentials.secretAccessKey)", "--opt", "endpoint=\(moto.emulator.baseURL.absoluteString)", "--opt",
            "pathStyle=true"
        )
        try await succeed(
            "integration", "registered", "add", "guac", "--name", "guac-gcs", "--opt", "provider=gcs", "--opt", "bucket=\(GCSEmulator.bucket)",
            "--opt", "endpoint=\(gcs.emulator.baseURL.absoluteString)"
        )
        #expect(mail.messageCount == 1, "the welcome mail at registration")

        try await succeed("workflow", "create", "--name", "build", "--project", "demo")
        try await succeed(
            "integration", "attached", "add", "--integration", "mail", "--workflow", "build", "--project", "demo", "--opt",
            "cc=audit@example.net")
        for name in ["registry", "guac-s3", "guac-gcs"] {
            try await succeed("integration", "attached", "add", "--integration", name, "--workflow", "build", "--project", "demo")
        }

        let cycloneDX = Data(
            #"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"metadata":{"component":{"type":"application","name":"app"}}}"#.utf8)
        let spdx = Data(
            #"{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"app","documentNamespace":"https://example.com/app"}"#
                .utf8)
        let cycloneDXFile = directory.url.appendingPathComponent("sbom.cyclonedx.json")
        let spdxFile = directory.url.appendingPathComponent("sbom.spdx.json")
        try cycloneDX.write(to: cycloneDXFile)
        try spdx.write(to: spdxFile)
        let pushed = try await succeed(
            "attestation", "push", "--workflow", "build", "--project", "demo", "--material", "cdx:SBOM_CYCLONEDX_JSON=\(cycloneDXFile.path)",
            "--material", "spdx:SBOM_SPDX_JSON=\(spdxFile.path)"
        )
        let digest = try #require(
            pushed.stdout.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("sha256:") }.map(String.init), "\(pushed.stdout)")
        let attestationHex = String(digest.dropFirst("sha256:".count))

        let deadline = ContinuousClock.now + .seconds(90)
        var deliveries: [DeliveryDTO] = []
        repeat {
            try await Task.sleep(for: .milliseconds(200))
            let listed = try await courier(["delivery", "list", "-o", "json"])
            deliveries = try Wire.decoder.decode([DeliveryDTO].self, from: Data(listed.stdout.utf8))
        } while !(deliveries.count == 4 && deliveries.allSatisfy { $0.state == "delivered" }) && ContinuousClock.now < deadline
        #expect(deliveries.count == 4, "one delivery per attached integration")
        #expect(
            deliveries.allSatisfy { $0.state == "delivered" && $0.attestationDigest == digest },
            "\(deliveries.map { "\($0.integration): \($0.state) \($0.reason)" })")
        #expect(deliveries.map(\.integrationKind).sorted() == ["guac", "guac", "oci-registry", "smtp"])

        // SMTP: the run-finished mail, to To and CC, over STARTTLS.
        let finished = try await mail.message(2)
        #expect(finished.envelope == ["mailFrom": "courier@example.org", "recipients": ["ops@example.com", "audit@example.net"], "tls": true])
        let message = try ReceivedMail(finished.raw)
        #expect(message.headers["to"] == "ops@example.com")
        #expect(message.headers["cc"] == "audit@example.net")
        #expect(message.headers["subject"] == "[courier] New workflow run finished successfully!")
        #expect(message.body.contains(digest))
        #expect(mail.messageCount == 2)

        // GUAC: the attestation and both SBOMs in each bucket, under upstream's names.
        let attestationName = "chainloop/attestation-\(attestationHex).json"
        let sbomNames = [
            "chainloop/sbom.cyclonedx-\(SHA256.hex(cycloneDX)).json": cycloneDX, "chainloop/sbom.spdx-\(SHA256.hex(spdx)).json": spdx,
        ]
        let envelope = try await s3.getObject(bucket: Self.bucket, key: attestationName).body
        #expect(try await gcs.client().download(bucket: GCSEmulator.bucket, name: attestationName) == envelope)
        for (name, content) in sbomNames {
            #expect(try await s3.getObject(bucket: Self.bucket, key: name).body == content, "s3 \(name)")
            #expect(try await gcs.client().download(bucket: GCSEmulator.bucket, name: name) == content, "gcs \(name)")
        }

        // Each GUAC delivery kept one reference per uploaded object.
        for delivery in deliveries where delivery.integrationKind == "guac" {
            let described = try await succeed("delivery", "describe", delivery.id, "-o", "json")
            let parts = try Wire.decoder.decode(DeliveryDetailDTO.self, from: Data(described.stdout.utf8)).parts
            let scheme = delivery.integration.contains("guac-s3") ? "s3" : "gs"
            #expect(
                Set(parts.compactMap(\.reference)) == Set(([attestationName] + sbomNames.keys).map { "\(scheme)://\(Self.bucket)/\($0)" }),
                "\(delivery.integration): \(parts)")
        }

        // OCI: skopeo reads the artifact, whose one layer is the envelope.
        let envelopeHex = SHA256.hex(envelope)
        let repository = "team/attestations/chainloop-\(envelopeHex)"
        let manifest = try JSONValue(parsing: try await registry.inspect(repository, tag: "latest"))
        #expect(manifest.objectValue?["mediaType"] == "application/vnd.oci.image.manifest.v1+json")
        guard case .array(let layers) = manifest.objectValue?["layers"] else {
            Issue.record("no layers: \(manifest)")
            return
        }
        #expect(layers.count == 1 && layers.first?.objectValue?["digest"]?.stringValue == "sha256:\(envelopeHex)", "\(manifest)")
        #expect(try await registry.blob("sha256:\(envelopeHex)", in: repository) == envelope)
    }
}
