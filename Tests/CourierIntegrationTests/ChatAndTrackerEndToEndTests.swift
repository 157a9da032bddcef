import CourierTestSupport
import CourierWire
import Foundation
import Testing

/// Issue 5's walk-through with the built `courier` binary against the Dependency-Track, Discord and Slack fakes:
/// a key without BOM_UPLOAD is refused, the right key registers, a templated project receives both SBOMs of one push,
/// and Discord and Slack receive its summary.
@Suite(.timeLimit(.minutes(5))) struct ChatAndTrackerEndToEndTests {
    @Test func oneAttestationReachesDependencyTrackDiscordAndSlack() async throws {
        let tracker = FakeDependencyTrack(apiKey: "dt-key", permissions: ["VIEW_PORTFOLIO"])
        let discord = FakeDiscordWebhook()
        let slack = FakeSlackWebhook()
        try await withFakeServer(tracker) { trackerBase in
            try await withFakeServer(discord) { discordBase in
                try await withFakeServer(slack) { slackBase in
                    let server = try await ServerProcess()
                    let owner = try server.ownerToken()
                    func courier(_ arguments: String...) async throws -> CommandResult {
                        try await runCourier(
                            arguments, environment: ["HOME": server.home.url.path, "COURIER_SERVER": server.url, "COURIER_TOKEN": owner])
                    }
                    let dtOptions = ["--opt", "instanceURI=\(trackerBase)/dtrack", "--opt", "apiKey=dt-key", "--opt", "allowAutoCreate=true"]
                    let refused = try await runCourier(
                        ["integration", "registered", "add", "dependency-track", "--name", "dt"] + dtOptions,
                        environment: ["HOME": server.home.url.path, "COURIER_SERVER": server.url, "COURIER_TOKEN": owner]
                    )
                    #expect(refused.status == 1 && refused.stderr.contains("permission: BOM_UPLOAD"), "\(refused.stderr)")

                    tracker.permissions.withLock { $0 = ["BOM_UPLOAD", "VIEW_PORTFOLIO", "PROJECT_CREATION_UPLOAD"] }
                    let registered = try await runCourier(
                        ["integration", "registered", "add", "dependency-track", "--name", "dt"] + dtOptions,
                        environment: ["HOME": server.home.url.path, "COURIER_SERVER": server.url, "COURIER_TOKEN": owner]
                    )
                    #expect(registered.status == 0, "\(registered.stderr)")
                    #expect(!registered.stdout.contains("dt-key"))
                    #expect(
                        try await courier(
                            "integration", "registered", "add", "discord-webhook", "--name", "chat", "--opt",
                            "webhook=\(discordBase)/api/webhooks/1/T0KEN"
                        ).status == 0)
                    #expect(
                        try await courier(
                            "integration", "registered", "add", "slack-webhook", "--name", "team", "--opt",
                            "webhook=\(slackBase)/services/T/B/S3CRET"
                        ).status == 0)
                    #expect(try await courier("workflow", "create", "--name", "build", "--project", "demo").status == 0)
                    let attachDT = try await courier(
                        "integration", "attached", "add", "--integration", "dt", "--workflow", "build", "--project", "demo",
                        "--opt", "projectName=app-{{.Attestation.Annotations.env}}"
                    )
                    #expect(attachDT.status == 0, "\(attachDT.stderr)")
                    for name in ["chat", "team"] {
                        #expect(
                            try await courier("integration", "attached", "add", "--integration", name, "--workflow", "build", "--project", "demo")
                                .status == 0)
                    }

                    let directory = try TemporaryDirectory()
                    let first = directory.url.appendingPathComponent("frontend.cdx.json")
                    let second = directory.url.appendingPathComponent("backend.cdx.json")
                    try Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"name":"frontend"}}}"#.utf8).write(to: first)
                    try Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"name":"backend"}}}"#.utf8).write(to: second)
                    let pushed = try await courier(
                        "attestation", "push", "--workflow", "build", "--project", "demo", "--annotation", "env=prod",
                        "--material", "frontend:SBOM_CYCLONEDX_JSON=\(first.path)", "--material", "backend:SBOM_CYCLONEDX_JSON=\(second.path)"
                    )
                    #expect(pushed.status == 0, "\(pushed.stderr)")

                    let deadline = ContinuousClock.now + .seconds(60)
                    var deliveries: [DeliveryDTO] = []
                    repeat {
                        try await Task.sleep(for: .milliseconds(100))
                        let listed = try await courier("delivery", "list", "-o", "json")
                        deliveries = try Wire.decoder.decode([DeliveryDTO].self, from: Data(listed.stdout.utf8))
                    } while !(deliveries.count == 3 && deliveries.allSatisfy { $0.state == "delivered" }) && ContinuousClock.now < deadline
                    #expect(deliveries.map(\.state) == ["delivered", "delivered", "delivered"], "\(deliveries.map(\.reason))")

                    let uploads = tracker.receivedUploads
                    #expect(uploads.count == 2)
                    #expect(Set(uploads.compactMap { $0.field("projectName") }) == ["app-prod"], "the templated project receives both")
                    #expect(Set(uploads.compactMap { $0.field("autoCreate") }) == ["true"])
                    #expect(
                        Set(uploads.compactMap { $0.field("bom") }) == [
                            try String(contentsOf: first, encoding: .utf8), try String(contentsOf: second, encoding: .utf8),
                        ])
                    let dtDelivery = try #require(deliveries.first { $0.integrationKind == "dependency-track" })
                    let detail = try await courier("delivery", "describe", dtDelivery.id, "-o", "json")
                    let parts = try Wire.decoder.decode(DeliveryDetailDTO.self, from: Data(detail.stdout.utf8)).parts
                    #expect(parts.count == 2 && parts.allSatisfy { $0.reference?.isEmpty == false }, "each upload's processing token is kept")

                    let summary = try #require(discord.received.first?.files.first?.text)
                    #expect(summary.contains("demo") && summary.contains("frontend") && summary.contains("backend"))
                    #expect(slack.received.contains { $0.contains("New attestation received!") && $0.contains("frontend") })
                    #expect(try await server.stop() == 0)
                }
            }
        }
    }
}
