import CourierTestSupport
import CourierWire
import Foundation
import Testing

/// The seed's integration walk-through with `courier` in place of `chainloop`, against a live server and a local
/// webhook sink.
@Suite(.timeLimit(.minutes(5))) struct IntegrationWalkthroughTests {
    @Test func discoverRegisterAttachDetachDelete() async throws {
        let server = try await ServerProcess()
        let sink = try RecordingSink()
        let owner = try server.ownerToken()
        try await sink.serving {
            let available = try await server.courier("integration", "available", "list", token: owner)
            #expect(available.status == 0)
            for id in ["dependency-track", "discord-webhook", "guac", "oci-registry", "slack-webhook", "smtp", "webhook"] {
                #expect(available.stdout.contains("│ \(id) "), "\(id) is listed")
            }
            #expect(available.stdout.contains("│ ID ") && available.stdout.contains("MATERIAL REQUIREMENT"))

            let describe = try await server.courier("integration", "available", "describe", "--id", "oci-registry", token: owner)
            #expect(describe.status == 0, "\(describe.stderr)")
            #expect(describe.stdout.contains("Registration inputs") && describe.stdout.contains("Attachment inputs"))
            #expect(describe.stdout.contains("│ repository ") && describe.stdout.contains("│ prefix "))

            let registered = try await server.courier(
                "integration", "registered", "add", "webhook", "--name", "sink", "--opt", "url=\(sink.url)", "-o", "json", token: owner
            )
            #expect(registered.status == 0, "\(registered.stderr)")
            let registration = try Wire.decoder.decode(RegisteredIntegrationDTO.self, from: Data(registered.stdout.utf8))
            let secret = try #require(registration.revealedSecrets?["signingSecret"])
            #expect(sink.requests.count == 1 && sink.requests.first?.kind == "TEST_WEBHOOK")
            #expect(try sink.unverifiedRequests(secret: secret).isEmpty, "the test event is signed with the revealed secret")

            let list = try await server.courier("integration", "registered", "list", token: owner)
            #expect(list.stdout.contains("│ sink ") && list.stdout.contains("webhook"))
            #expect(!list.stdout.contains(secret) && !list.stdout.contains(sink.url), "neither the secret nor the full URL is shown")
            let listJSON = try await server.courier("integration", "registered", "list", "-o", "json", token: owner)
            #expect(!listJSON.stdout.contains(secret) && !listJSON.stdout.contains(sink.url))

            #expect(try await server.courier("workflow", "create", "--name", "build", "--project", "demo", token: owner).status == 0)
            let attached = try await server.courier(
                "integration", "attached", "add", "--workflow", "build", "--project", "demo", "--integration", "sink",
                "--opt", "send_sbom=true", "-o", "json", token: owner
            )
            #expect(attached.status == 0, "\(attached.stderr)")
            let attachment = try #require(try Wire.decoder.decode([AttachmentDTO].self, from: Data(attached.stdout.utf8)).first)
            #expect(attachment.config == ["send_attestation": true, "send_sbom": true])

            let attachedList = try await server.courier("integration", "attached", "list", token: owner)
            #expect(attachedList.stdout.contains(attachment.id) && attachedList.stdout.contains("demo/build"))

            let refused = try await server.courier("integration", "registered", "delete", "--name", "sink", token: owner)
            #expect(refused.status == 1 && refused.stderr.contains("still attached to demo/build"))

            let detached = try await server.courier("integration", "attached", "delete", "--id", attachment.id, token: owner)
            #expect(detached.status == 0, "\(detached.stderr)")
            let deleted = try await server.courier("integration", "registered", "delete", "--name", "sink", token: owner)
            #expect(deleted.status == 0, "\(deleted.stderr)")
            let empty = try await server.courier("integration", "registered", "list", token: owner)
            #expect(empty.stdout.contains("There are no third party integrations configured"))

            let database = try Data(contentsOf: server.dataDirectory.url.appendingPathComponent("courier.db"))
            let wal = (try? Data(contentsOf: server.dataDirectory.url.appendingPathComponent("courier.db-wal"))) ?? Data()
            for bytes in [database, wal] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "the signing secret is not stored in clear")
                #expect(bytes.range(of: Data(sink.url.utf8)) == nil, "the webhook URL (a credential) is not stored in clear")
            }
            #expect(!server.standardError.contains(secret) && !server.standardError.contains(sink.url))
        }
        #expect(try await server.stop() == 0)
    }

    @Test func badOptionsPrintTheAvailableOptions() async throws {
        let server = try await ServerProcess()
        let owner = try server.ownerToken()
        let missing = try await server.courier("integration", "registered", "add", "webhook", "--name", "x", token: owner)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("Available options") && missing.stderr.contains("validation error: missing properties: 'url'"))
        let unknown = try await server.courier("integration", "registered", "add", "nope", "--name", "x", token: owner)
        #expect(unknown.status == 1 && unknown.stderr.contains("integration \"nope\" not found"))
        #expect(try await server.stop() == 0)
    }
}

/// `courier serve --rotate-master-key` re-seals every credential under a new key: the key file changes, and the
/// registration's credentials still open (a test delivery reaches the sink, signed with the same secret).
@Suite(.timeLimit(.minutes(5))) struct MasterKeyRotationTests {
    @Test func rotationResealsCredentials() async throws {
        let sink = try RecordingSink()
        try await sink.serving {
            let data = try TemporaryDirectory()
            let first = try await ServerProcess(dataDirectory: data)
            let owner = try first.ownerToken()
            let registered = try await first.courier(
                "integration", "registered", "add", "webhook", "--name", "sink", "--opt", "url=\(sink.url)", "-o", "json", token: owner
            )
            #expect(registered.status == 0, "\(registered.stderr)")
            let secret = try #require(
                try Wire.decoder.decode(RegisteredIntegrationDTO.self, from: Data(registered.stdout.utf8)).revealedSecrets?["signingSecret"]
            )
            #expect(try await first.stop() == 0)
            let keyFile = data.url.appendingPathComponent("master.key")
            let before = try String(contentsOf: keyFile, encoding: .utf8)

            let rotated = try await ServerProcess(extraArguments: ["--rotate-master-key"], dataDirectory: data)
            let after = try String(contentsOf: keyFile, encoding: .utf8)
            #expect(after != before, "a new key replaced the old one")
            #expect(after.split(separator: "\n").count == 1, "the old key is gone once everything is re-sealed")
            let attributes = try FileManager.default.attributesOfItem(atPath: keyFile.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(rotated.standardError.contains("Master key rotated"))

            let tested = try await rotated.courier("integration", "registered", "test", "--name", "sink", token: owner)
            #expect(tested.status == 0, "\(tested.stdout)\(tested.stderr)")
            #expect(sink.requests.count == 2, "the registration's test event, then the test delivery")
            #expect(try sink.unverifiedRequests(secret: secret).isEmpty, "the re-sealed signing secret still signs")
            #expect(try await rotated.stop() == 0)
        }
    }
}
