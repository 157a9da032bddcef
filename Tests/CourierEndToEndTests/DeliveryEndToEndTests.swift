import CourierAttestation
import CourierHTTP
import CourierTestSupport
import CourierWire
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Environment that makes retries quick enough for tests.
let fastRetries = ["COURIER_RETRY_INITIAL_DELAY_SECONDS": "0.2", "COURIER_RETRY_MAX_ATTEMPTS": "4", "COURIER_ATTEMPT_TIMEOUT_SECONDS": "10"]

/// Test data shipped with the specification.
enum TestData {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/testdata/chainloop")

    static func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// A server with workflow `demo/build` and the webhook integration `sink` attached to it.
struct DeliveryFixture {
    let server: ServerProcess
    let owner: String
    let signingSecret: String

    init(sink: RecordingSink, environment: [String: String] = fastRetries, sendSBOM: Bool = true, data: TemporaryDirectory? = nil) async throws {
        server = try await ServerProcess(environment: environment, dataDirectory: data)
        owner = try server.ownerToken()
        let registered = try await server.courier(
            "integration", "registered", "add", "webhook", "--name", "sink", "--opt", "url=\(sink.url)", "-o", "json", token: owner
        )
        #expect(registered.status == 0, "\(registered.stderr)")
        signingSecret =
            try Wire.decoder.decode(RegisteredIntegrationDTO.self, from: Data(registered.stdout.utf8)).revealedSecrets?["signingSecret"] ?? ""
        #expect(try await server.courier("workflow", "create", "--name", "build", "--project", "demo", token: owner).status == 0)
        let attached = try await server.courier(
            "integration", "attached", "add", "--integration", "sink", "--workflow", "build", "--project", "demo",
            "--opt", "send_sbom=\(sendSBOM)", token: owner
        )
        #expect(attached.status == 0, "\(attached.stderr)")
    }

    /// Deliveries as `courier delivery list -o json` shows them.
    func deliveries(state: String? = nil) async throws -> [DeliveryDTO] {
        var arguments = ["delivery", "list", "--limit", "1000", "-o", "json"]
        if let state { arguments += ["--state", state] }
        let result = try await runCourier(
            arguments, environment: ["HOME": server.home.url.path, "COURIER_SERVER": server.url, "COURIER_TOKEN": owner])
        #expect(result.status == 0, "\(result.stderr)")
        return try Wire.decoder.decode([DeliveryDTO].self, from: Data(result.stdout.utf8))
    }
}

extension DeliveryFixture {
    /// Waits until `count` deliveries exist and none is pending or retrying.
    func waitForFinalDeliveries(_ count: Int, timeout: Duration = .seconds(60)) async throws -> [DeliveryDTO] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let deliveries = try await deliveries()
            if deliveries.count >= count && deliveries.allSatisfy({ ["delivered", "failed", "skipped"].contains($0.state) }) {
                return deliveries
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PollTimeout(what: "\(count) final deliveries")
    }

    /// POSTs an attestation document to `demo/build` as the owner.
    func push(_ document: Data) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: server.url + "/v1/attestations?project=demo&workflow=build")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(owner)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = document
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}

/// An unsigned attestation of `demo/build` carrying one STRING material, distinct per `marker`.
func attestationDocument(marker: String) throws -> Data {
    let now = Date()
    let builder = ChainloopStatementBuilder(
        workflow: .init(name: "build", project: "demo"),
        run: .init(id: marker, startedAt: now, finishedAt: now),
        annotations: ["marker": marker],
        materials: [.string(name: "marker", value: marker)]
    )
    let statement = try builder.statement()
    return DSSEEnvelope(payloadType: DSSE.inTotoPayloadType, payload: Data(statement.serialized().utf8), signatures: []).canonicalJSON
}

@Suite(.timeLimit(.minutes(5))) struct DeliveryEndToEndTests {
    /// The quickstart's end: push an attestation with a CycloneDX SBOM through the CLI; the webhook receives the
    /// attestation and the SBOM, signed; `delivery list` shows it delivered and `delivery describe` its attempt.
    @Test func pushedSBOMReachesTheWebhook() async throws {
        let sink = try RecordingSink()
        try await sink.serving {
            let fixture = try await DeliveryFixture(sink: sink)
            let sbom = TestData.file("sbom.cyclonedx-1.5.json")
            let pushed = try await fixture.server.courier(
                "attestation", "push", "--workflow", "build", "--project", "demo", "--material", "sbom:SBOM_CYCLONEDX_JSON=\(sbom.path)",
                "--annotation", "branch=main", "-o", "json", token: fixture.owner
            )
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let result = try Wire.decoder.decode(PushedAttestationDTO.self, from: Data(pushed.stdout.utf8))
            #expect(result.deliveries == 1 && !result.duplicate && result.attestation.warnings.isEmpty)

            let deliveries = try await fixture.waitForFinalDeliveries(1)
            #expect(deliveries.map(\.state) == ["delivered"])
            // At least once: a part whose acknowledgement was lost may arrive again, under the same webhook-id.
            var kindsByID: [String: String] = [:]
            for request in sink.requests { kindsByID[request.webhookID ?? ""] = request.kind }
            #expect(kindsByID.values.sorted() == ["ATTESTATION", "SBOM_CYCLONEDX_JSON", "TEST_WEBHOOK"])
            #expect(sink.requests.last?.data == (try Data(contentsOf: sbom)), "the SBOM arrives byte for byte")
            #expect(try sink.unverifiedRequests(secret: fixture.signingSecret).isEmpty)

            let described = try await fixture.server.courier("delivery", "describe", deliveries[0].id, token: fixture.owner)
            #expect(described.status == 0 && described.stdout.contains("Attempts") && described.stdout.contains("delivered"))
            let attestationList = try await fixture.server.courier("attestation", "list", token: fixture.owner)
            #expect(attestationList.stdout.contains(result.attestation.digest))
            let metrics = try String(contentsOf: URL(string: fixture.server.url + "/metrics")!, encoding: .utf8)
            #expect(metrics.contains("courier_deliveries{integration=\"webhook\",state=\"delivered\"} 1"))
            #expect(metrics.contains("courier_delivery_attempt_duration_seconds_count{integration=\"webhook\",outcome=\"delivered\"} 1"))
            #expect(try await fixture.server.stop() == 0)
        }
    }

    /// Every file in the shared test data is accepted or refused as its README says; a repeated push creates nothing;
    /// a CAS material not uploaded yet makes the delivery wait, and uploading it completes the delivery.
    @Test func chainloopTestDataIsAcceptedOrRefused() async throws {
        let sink = try RecordingSink()
        try await sink.serving {
            let fixture = try await DeliveryFixture(sink: sink)
            for name in ["dispatcher-attestation.envelope.json", "attestation-dsse.json", "attestation.sigstore-bundle.json", "biz-bundle.json"] {
                let (status, body) = try await fixture.push(try Data(contentsOf: TestData.file(name)))
                #expect(status == 201, "\(name): \(String(decoding: body, as: UTF8.self))")
            }
            let (status, body) = try await fixture.push(try Data(contentsOf: TestData.file("valid.envelope.v2.json")))
            #expect(status == 201)
            let pushed = try Wire.decoder.decode(PushedAttestationDTO.self, from: body)
            let casDigests = pushed.attestation.materials.filter(\.uploadedToCAS).compactMap(\.digest)
            #expect(!casDigests.isEmpty)
            for digest in casDigests {
                #expect(pushed.attestation.warnings.contains { $0.contains(digest) }, "a warning names \(digest)")
            }

            let (again, againBody) = try await fixture.push(try Data(contentsOf: TestData.file("valid.envelope.v2.json")))
            #expect(again == 200)
            let repeated = try Wire.decoder.decode(PushedAttestationDTO.self, from: againBody)
            #expect(repeated.duplicate && repeated.deliveries == 0)

            let (unknown, unknownBody) = try await fixture.push(try Data(contentsOf: TestData.file("unknown-predicate.envelope.json")))
            #expect(unknown == 400)
            #expect(String(decoding: unknownBody, as: UTF8.self).contains("chainloop.dev/attestation/v0.2"))
            let (invalid, _) = try await fixture.push(try Data(contentsOf: TestData.file("invalid.json")))
            #expect(invalid == 400)
            let (notJSON, notJSONBody) = try await fixture.push(Data("not json".utf8))
            #expect(notJSON == 400 && String(decoding: notJSONBody, as: UTF8.self).contains("JSON"))
            #expect(try await fixture.deliveries().count == 5, "refused and repeated pushes create no deliveries")
            #expect(try await fixture.server.stop() == 0)
        }
    }

    /// 503 twice then 200: delivered after recovery with every attempt visible; 429 with Retry-After is honoured;
    /// 400 fails at once with the reason; a sink that hangs is cut off by the attempt timeout.
    @Test func failuresAreClassifiedAndRetried() async throws {
        let flaky = try RecordingSink { _, index in index == 1 || index == 2 ? (503, [:]) : (200, [:]) }
        let limited = try RecordingSink { _, index in index == 1 ? (429, ["Retry-After": "1"]) : (200, [:]) }
        let refusing = try RecordingSink { _, index in index >= 1 ? (400, [:]) : (200, [:]) }
        try await flaky.serving {
            try await limited.serving {
                try await refusing.serving {
                    let server = try await ServerProcess(environment: fastRetries)
                    let owner = try server.ownerToken()
                    #expect(try await server.courier("workflow", "create", "--name", "build", "--project", "demo", token: owner).status == 0)
                    for (name, sink) in [("flaky", flaky), ("limited", limited), ("refusing", refusing)] {
                        let added = try await server.courier(
                            "integration", "registered", "add", "webhook", "--name", name, "--opt", "url=\(sink.url)", token: owner
                        )
                        #expect(added.status == 0, "\(added.stderr)")
                        let attached = try await server.courier(
                            "integration", "attached", "add", "--integration", name, "--workflow", "build", "--project", "demo", token: owner
                        )
                        #expect(attached.status == 0, "\(attached.stderr)")
                    }
                    let fixture = PushHelper(server: server, owner: owner)
                    #expect(try await fixture.push(try attestationDocument(marker: "one")) == 201)
                    let deliveries = try await fixture.waitForFinal(3)
                    let byName = Dictionary(uniqueKeysWithValues: deliveries.map { ($0.integration, $0) })
                    #expect(byName["flaky"]?.state == "delivered" && byName["flaky"]?.attempts == 3)
                    #expect(byName["limited"]?.state == "delivered" && byName["limited"]?.attempts == 2)
                    #expect(byName["refusing"]?.state == "failed" && byName["refusing"]?.attempts == 1)
                    #expect(byName["refusing"]?.reason.contains("webhook responded with status code 400") == true)

                    let limitedDetail = try await fixture.describe(try #require(byName["limited"]).id)
                    #expect(limitedDetail.attempts.map(\.outcome) == ["retryable", "delivered"])
                    #expect(limitedDetail.attempts.first?.httpStatus == 429 && limitedDetail.attempts.first?.retryAfterMs == 1_000)
                    let gap = limitedDetail.attempts[1].startedAt.timeIntervalSince(limitedDetail.attempts[0].startedAt)
                    #expect(gap >= 0.99, "Retry-After: 1 was honoured (gap \(gap) s)")
                    let flakyDetail = try await fixture.describe(try #require(byName["flaky"]).id)
                    #expect(flakyDetail.attempts.map(\.httpStatus) == [503, 503, 200])
                    let ids = flaky.requests.dropFirst().compactMap(\.webhookID)
                    #expect(Set(ids).count == 1, "every retry carries the same webhook-id: \(ids)")

                    let retried = try await server.courier("delivery", "retry", try #require(byName["refusing"]).id, token: owner)
                    #expect(retried.status == 0, "\(retried.stderr)")
                    let again = try await fixture.waitForFinal(3)
                    #expect(again.first { $0.integration == "refusing" }?.attempts == 2, "a manual retry makes one more attempt")
                    #expect(try await server.stop() == 0)
                }
            }
        }
    }

    @Test func aHangingReceiverIsCutOffByTheAttemptTimeout() async throws {
        let hanging = try RecordingSink { _, index in
            if index >= 1 { try? await Task.sleep(for: .seconds(3)) }
            return (200, [:])
        }
        try await hanging.serving {
            let fixture = try await DeliveryFixture(
                sink: hanging,
                environment: ["COURIER_ATTEMPT_TIMEOUT_SECONDS": "0.5", "COURIER_RETRY_MAX_ATTEMPTS": "1"]
            )
            #expect(try await fixture.push(try attestationDocument(marker: "slow")).status == 201)
            let deliveries = try await fixture.waitForFinalDeliveries(1)
            #expect(deliveries.first?.state == "failed")
            #expect(deliveries.first?.reason.contains("timed out") == true, "\(deliveries.first?.reason ?? "")")
            #expect(try await fixture.server.stop() == 0)
        }
    }

    /// Replay backfills past attestations into a new attachment once each.
    @Test func replayDeliversPastAttestationsOnce() async throws {
        let first = try RecordingSink()
        let second = try RecordingSink()
        try await first.serving {
            try await second.serving {
                let fixture = try await DeliveryFixture(sink: first)
                for marker in ["a", "b", "c"] {
                    #expect(try await fixture.push(try attestationDocument(marker: marker)).status == 201)
                }
                _ = try await fixture.waitForFinalDeliveries(3)
                let owner = fixture.owner
                #expect(
                    try await fixture.server.courier(
                        "integration", "registered", "add", "webhook", "--name", "late", "--opt", "url=\(second.url)", token: owner
                    ).status == 0
                )
                let attached = try await fixture.server.courier(
                    "integration", "attached", "add", "--integration", "late", "--workflow", "build", "--project", "demo", "-o", "json",
                    token: owner
                )
                let attachment = try #require(try Wire.decoder.decode([AttachmentDTO].self, from: Data(attached.stdout.utf8)).first)
                let replay = try await fixture.server.courier("integration", "attached", "replay", "--id", attachment.id, token: owner)
                #expect(replay.status == 0 && replay.stdout.contains("3"), "\(replay.stdout)\(replay.stderr)")
                _ = try await fixture.waitForFinalDeliveries(6)
                let again = try await fixture.server.courier("integration", "attached", "replay", "--id", attachment.id, token: owner)
                #expect(again.status == 0 && again.stdout.contains("0"))
                let markers = second.requests.filter { $0.kind == "ATTESTATION" }.count
                #expect(markers == 3, "each past attestation once")
                #expect(try await fixture.server.stop() == 0)
            }
        }
    }

    /// A burst of 200 pushes with the server SIGKILLed twice mid-burst: every accepted attestation is delivered at least
    /// once and every delivery record ends delivered.
    @Test func nothingIsLostAcrossKills() async throws {
        let sink = try RecordingSink()
        try await sink.serving {
            let data = try TemporaryDirectory()
            var fixture = try await DeliveryFixture(sink: sink, sendSBOM: false, data: data)
            let total = 200
            var accepted: Set<String> = []
            for index in 0..<total {
                if index == 70 || index == 140 {
                    let port = String(fixture.server.url.split(separator: ":").last!)
                    #expect(try await fixture.server.stop(signal: SIGKILL) == SIGKILL)
                    let restarted = try await ServerProcess(listen: "127.0.0.1:\(port)", environment: fastRetries, dataDirectory: data)
                    fixture = DeliveryFixture(server: restarted, owner: fixture.owner, signingSecret: fixture.signingSecret)
                }
                let (status, body) = try await fixture.push(try attestationDocument(marker: "burst-\(index)"))
                #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
                accepted.insert(try Wire.decoder.decode(PushedAttestationDTO.self, from: body).attestation.digest)
            }
            let deliveries = try await fixture.waitForFinalDeliveries(total, timeout: .seconds(120))
            #expect(deliveries.count == total)
            #expect(deliveries.allSatisfy { $0.state == "delivered" })
            let deliveredAttestations = Set(sink.requests.filter { $0.kind == "ATTESTATION" }.compactMap(\.webhookID))
            #expect(deliveredAttestations.count == total, "every delivery reached the sink at least once")
            #expect(Set(deliveries.map(\.attestationDigest)) == accepted)
            #expect(try await fixture.server.stop() == 0)
        }
    }
}

extension DeliveryFixture {
    init(server: ServerProcess, owner: String, signingSecret: String) {
        self.server = server
        self.owner = owner
        self.signingSecret = signingSecret
    }
}

/// Pushes and inspects deliveries over HTTP as one token.
struct PushHelper {
    let server: ServerProcess
    let owner: String

    func push(_ document: Data) async throws -> Int {
        try await DeliveryFixture(server: server, owner: owner, signingSecret: "").push(document).status
    }

    func waitForFinal(_ count: Int) async throws -> [DeliveryDTO] {
        try await DeliveryFixture(server: server, owner: owner, signingSecret: "").waitForFinalDeliveries(count)
    }

    func describe(_ id: String) async throws -> DeliveryDetailDTO {
        let result = try await server.courier("delivery", "describe", id, "-o", "json", token: owner)
        return try Wire.decoder.decode(DeliveryDetailDTO.self, from: Data(result.stdout.utf8))
    }
}
