import CourierWire
import Foundation
import Testing

@testable import CourierCLI

@Suite("Delivery commands")
struct DeliveryCommandTests {
    private let failed = DeliveryDTO(
        id: "del-2", state: "failed", kind: "attestation", integration: "dt-prod", integrationKind: "dependency-track",
        workflow: "shop/build", attestationDigest: "sha256:feed", attempts: 2, nextAttemptAt: nil, reason: "HTTP 500",
        createdAt: sampleDate, updatedAt: sampleDate.addingTimeInterval(65)
    )
    private let delivered = DeliveryDTO(
        id: "del-1", state: "delivered", kind: "attestation", integration: "hook", integrationKind: "webhook", workflow: "shop/build",
        attestationDigest: "sha256:feed", attempts: 1, nextAttemptAt: nil, reason: "", createdAt: sampleDate, updatedAt: sampleDate
    )
    private let attempts = [
        DeliveryAttemptDTO(
            number: 1, startedAt: sampleDate, durationMs: 850, outcome: "retryable", httpStatus: 503, error: "HTTP 503", retryAfterMs: nil),
        DeliveryAttemptDTO(
            number: 2, startedAt: sampleDate.addingTimeInterval(60), durationMs: 30_000, outcome: "rejected", httpStatus: nil, error: "timed out",
            retryAfterMs: nil),
    ]

    private func requestLines(_ harness: Harness) -> [String] {
        harness.transport.requests.map { request in
            "\(request.method) \(request.url.path)" + (request.url.query.map { "?\($0)" } ?? "")
        }
    }

    // MARK: - list

    @Test func listSendsTheFiltersAndKeepsTheServersOrder() async throws {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/deliveries", json: DeliveryListDTO(deliveries: [failed, delivered]))
        let result = await harness.runAuthenticated([
            "delivery", "list", "--state", "failed", "--integration", "dt-prod", "--project", "shop", "--workflow", "build", "--limit", "10",
        ])
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌───────┬───────────┬─────────────┬────────────┬──────────┬──────────┬─────────────────────────┐
                │ ID    │ STATE     │ INTEGRATION │ WORKFLOW   │ ATTEMPTS │ REASON   │ UPDATED AT              │
                ├───────┼───────────┼─────────────┼────────────┼──────────┼──────────┼─────────────────────────┤
                │ del-2 │ failed    │ dt-prod     │ shop/build │ 2        │ HTTP 500 │ 2026-12-04 15:25:47 UTC │
                │ del-1 │ delivered │ hook        │ shop/build │ 1        │          │ 2026-12-04 15:24:42 UTC │
                └───────┴───────────┴─────────────┴────────────┴──────────┴──────────┴─────────────────────────┘

                """)
        #expect(requestLines(harness) == ["GET /v1/deliveries?state=failed&integration=dt-prod&project=shop&workflow=build&limit=10"])

        let json = await harness.runAuthenticated(["delivery", "ls", "-o", "json"])
        #expect(try decodeJSON([DeliveryDTO].self, json.standardOutput) == [failed, delivered])
        #expect(requestLines(harness).last == "GET /v1/deliveries")
    }

    @Test func listSaysWhenThereAreNone() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/deliveries", json: DeliveryListDTO(deliveries: []))
        #expect(await harness.runAuthenticated(["delivery", "list"]).standardOutput == "There are no deliveries yet.\n")
        #expect(await harness.runAuthenticated(["delivery", "list", "--state", "failed"]).standardOutput == "No delivery matches these filters.\n")
    }

    @Test func listRejectsAnUnknownState() async {
        let result = await Harness().runAuthenticated(["delivery", "list", "--state", "lost"])
        #expect(result.status == 2)
        #expect(result.standardError.hasPrefix("Error: Invalid value 'lost' for '--state <state>'"))
    }

    // MARK: - describe

    @Test func describePrintsTheDeliveryEveryAttemptAndTheParts() async throws {
        let harness = Harness()
        let detail = DeliveryDetailDTO(
            delivery: failed, attempts: attempts,
            parts: [
                DeliveryPartDTO(id: "sbom", outcome: "delivered", reference: "token-1"),
                DeliveryPartDTO(id: "vex", outcome: "pending", reference: nil),
            ]
        )
        harness.transport.respond("GET", "/v1/deliveries/del-2", json: detail)
        let result = await harness.runAuthenticated(["delivery", "describe", "del-2"])
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌──────────────────────────────────────────┐
                │ Delivery                                 │
                ├─────────────┬────────────────────────────┤
                │ ID          │ del-2                      │
                │ State       │ failed                     │
                │ Kind        │ attestation                │
                │ Integration │ dt-prod (dependency-track) │
                │ Workflow    │ shop/build                 │
                │ Attestation │ sha256:feed                │
                │ Attempts    │ 2                          │
                │ Reason      │ HTTP 500                   │
                │ Created at  │ 2026-12-04 15:24:42 UTC    │
                │ Updated at  │ 2026-12-04 15:25:47 UTC    │
                └─────────────┴────────────────────────────┘
                ┌─────────────────────────────────────────────────────────────────────────┐
                │ Attempts                                                                │
                ├───┬─────────────────────────┬──────────┬───────────┬────────┬───────────┤
                │ # │ STARTED AT              │ DURATION │ OUTCOME   │ STATUS │ ERROR     │
                ├───┼─────────────────────────┼──────────┼───────────┼────────┼───────────┤
                │ 1 │ 2026-12-04 15:24:42 UTC │ 850 ms   │ retryable │ 503    │ HTTP 503  │
                │ 2 │ 2026-12-04 15:25:42 UTC │ 30.0 s   │ rejected  │        │ timed out │
                └───┴─────────────────────────┴──────────┴───────────┴────────┴───────────┘
                ┌──────────────────────────────┐
                │ Parts                        │
                ├──────┬───────────┬───────────┤
                │ PART │ OUTCOME   │ REFERENCE │
                ├──────┼───────────┼───────────┤
                │ sbom │ delivered │ token-1   │
                │ vex  │ pending   │           │
                └──────┴───────────┴───────────┘

                """)
        #expect(requestLines(harness) == ["GET /v1/deliveries/del-2"])

        let json = await harness.runAuthenticated(["delivery", "describe", "del-2", "-o", "json"])
        #expect(try decodeJSON(DeliveryDetailDTO.self, json.standardOutput) == detail)
    }

    @Test func describeOfADeliveryWithoutAttemptsSaysSo() async {
        let harness = Harness()
        var pending = delivered
        pending.state = "pending"
        pending.attempts = 0
        harness.transport.respond("GET", "/v1/deliveries/del-1", json: DeliveryDetailDTO(delivery: pending, attempts: [], parts: []))
        let result = await harness.runAuthenticated(["delivery", "describe", "del-1"])
        #expect(result.standardOutput.hasSuffix("└─────────────┴─────────────────────────┘\nNo attempt has been made yet.\n"))
        #expect(!result.standardOutput.contains("Parts"))
    }

    @Test func describeReportsAnUnknownDelivery() async {
        let result = await Harness().runAuthenticated(["delivery", "describe", "nope"])
        #expect(result.status == 1)
        #expect(result.standardError == "Error: No route.\n")
    }

    @Test(arguments: [(850, "850 ms"), (2_449, "2.4 s"), (59_960, "60.0 s"), (185_000, "3 min 5 s")] as [(Int64, String)])
    func durationsReadNaturally(milliseconds: Int64, text: String) {
        #expect(CourierCommand.DeliveryCommands.duration(milliseconds: milliseconds) == text)
    }

    // MARK: - retry

    @Test func retryOfOneDeliveryPrintsIt() async throws {
        let harness = Harness()
        var retrying = failed
        retrying.state = "pending"
        harness.transport.respond("POST", "/v1/deliveries/del-2/retry", json: retrying)
        let result = await harness.runAuthenticated(["delivery", "retry", "del-2"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("│ del-2 │ pending │ dt-prod     │ shop/build │ 2        │ HTTP 500 │"))
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "POST" && request.url.path == "/v1/deliveries/del-2/retry" && request.body == nil)

        let json = await harness.runAuthenticated(["delivery", "retry", "del-2", "-o", "json"])
        #expect(try decodeJSON(DeliveryDTO.self, json.standardOutput) == retrying)
    }

    @Test func retryOfAllFailedDeliveriesSaysHowMany() async throws {
        let harness = Harness()
        harness.transport.respond("POST", "/v1/deliveries/retry-failed", json: RetriedDTO(retried: 3))
        let result = await harness.runAuthenticated(["delivery", "retry", "--all-failed"])
        #expect(result.standardOutput == "3 failed deliveries will be retried.\n")
        #expect(requestLines(harness) == ["POST /v1/deliveries/retry-failed"])
        let json = await harness.runAuthenticated(["delivery", "retry", "--all-failed", "-o", "json"])
        #expect(try decodeJSON(RetriedDTO.self, json.standardOutput) == RetriedDTO(retried: 3))

        harness.transport.respond("POST", "/v1/deliveries/retry-failed", json: RetriedDTO(retried: 0))
        #expect(
            await harness.runAuthenticated(["delivery", "retry", "--all-failed"]).standardOutput == "There were no failed deliveries to retry.\n")
    }

    @Test(arguments: [
        (["del-2", "--all-failed"], "Pass '<id>' or '--all-failed', not both."),
        ([], "Missing required argument '<id>' or option '--all-failed'."),
    ])
    func retryTakesExactlyOneOfIDAndAllFailed(arguments: [String], message: String) async {
        let harness = Harness()
        let result = await harness.runAuthenticated(["delivery", "retry"] + arguments)
        #expect(result.status == 2)
        #expect(
            result.standardError == "Error: \(message)\nUsage: courier delivery retry (<id> | --all-failed)\nSee 'courier delivery retry --help'.\n")
        #expect(harness.transport.requests.isEmpty)
    }

    // MARK: - integration registered test

    @Test func registeredTestPrintsTheAttemptsAndSucceedsWhenDelivered() async throws {
        let harness = Harness()
        var test = delivered
        test.kind = "test"
        test.workflow = ""
        test.attestationDigest = ""
        let attempt = DeliveryAttemptDTO(
            number: 1, startedAt: sampleDate, durationMs: 120, outcome: "delivered", httpStatus: 204, error: "", retryAfterMs: nil)
        let detail = DeliveryDetailDTO(delivery: test, attempts: [attempt], parts: [])
        harness.transport.respond("POST", "/v1/integrations/registered/hook/test", status: 201, json: detail)
        let result = await harness.runAuthenticated(["integration", "registered", "test", "--name", "hook"])
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌─────────────────────────────────────────────────────────────────────┐
                │ Attempts                                                            │
                ├───┬─────────────────────────┬──────────┬───────────┬────────┬───────┤
                │ # │ STARTED AT              │ DURATION │ OUTCOME   │ STATUS │ ERROR │
                ├───┼─────────────────────────┼──────────┼───────────┼────────┼───────┤
                │ 1 │ 2026-12-04 15:24:42 UTC │ 120 ms   │ delivered │ 204    │       │
                └───┴─────────────────────────┴──────────┴───────────┴────────┴───────┘

                """)
        #expect(result.standardError.isEmpty)
        #expect(requestLines(harness) == ["POST /v1/integrations/registered/hook/test"])

        let json = await harness.runAuthenticated(["integration", "registered", "test", "--name", "hook", "-o", "json"])
        #expect(json.status == 0)
        #expect(try decodeJSON(DeliveryDetailDTO.self, json.standardOutput) == detail)
    }

    @Test func registeredTestExitsOneWhenTheAttemptFailed() async throws {
        let harness = Harness()
        var test = failed
        test.kind = "test"
        test.state = "retrying"
        let detail = DeliveryDetailDTO(delivery: test, attempts: [attempts[0]], parts: [])
        harness.transport.respond("POST", "/v1/integrations/registered/dt-prod/test", status: 201, json: detail)
        let result = await harness.runAuthenticated(["integration", "registered", "test", "--name", "dt-prod"])
        #expect(result.status == 1)
        #expect(result.standardOutput.contains("│ 1 │ 2026-12-04 15:24:42 UTC │ 850 ms   │ retryable │ 503    │ HTTP 503 │"))
        #expect(result.standardError == "The test delivery to 'dt-prod' failed: HTTP 503\n")

        let json = await harness.runAuthenticated(["integration", "registered", "test", "--name", "dt-prod", "-o", "json"])
        #expect(json.status == 1)
        #expect(try decodeJSON(DeliveryDetailDTO.self, json.standardOutput) == detail)
    }

    // MARK: - integration attached replay

    @Test func attachedReplaySendsSinceAndSaysHowManyDeliveriesWereCreated() async throws {
        let harness = Harness()
        harness.transport.respond("POST", "/v1/integrations/attached/att-1/replay", status: 201, json: ReplayedDTO(created: 4))
        let result = await harness.runAuthenticated(["integration", "attached", "replay", "--id", "att-1", "--since", "2026-12-04T15:24:42Z"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "Created 4 deliveries.\n")
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "POST" && request.url.path == "/v1/integrations/attached/att-1/replay")
        #expect(try Wire.decoder.decode(ReplayRequest.self, from: try #require(request.body)) == ReplayRequest(since: sampleDate))

        let json = await harness.runAuthenticated(["integration", "attached", "replay", "--id", "att-1", "-o", "json"])
        #expect(try decodeJSON(ReplayedDTO.self, json.standardOutput) == ReplayedDTO(created: 4))
        #expect(String(decoding: try #require(harness.transport.requests.last?.body), as: UTF8.self) == "{}")
    }

    @Test func attachedReplayAcceptsFractionalSecondsAndOffsets() async throws {
        let harness = Harness()
        harness.transport.respond("POST", "/v1/integrations/attached/att-1/replay", status: 201, json: ReplayedDTO(created: 1))
        let result = await harness.runAuthenticated([
            "integration", "attached", "replay", "--id", "att-1", "--since", "2026-12-04T16:24:42.000+01:00",
        ])
        #expect(result.standardOutput == "Created 1 delivery.\n")
        let body = try #require(harness.transport.requests.first?.body)
        #expect(try Wire.decoder.decode(ReplayRequest.self, from: body) == ReplayRequest(since: sampleDate))
    }

    @Test func attachedReplayRejectsATimeThatIsNotRFC3339() async {
        let result = await Harness().runAuthenticated(["integration", "attached", "replay", "--id", "att-1", "--since", "yesterday"])
        #expect(result.status == 2)
        #expect(
            result.standardError.hasPrefix(
                "Error: Invalid value 'yesterday' for '--since <time>'; expected an RFC 3339 time such as 2026-12-01T00:00:00Z.\n"))
    }
}
