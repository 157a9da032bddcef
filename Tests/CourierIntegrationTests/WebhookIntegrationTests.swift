import CourierCore
import CourierHTTP
import CourierHTTPClient
import CourierIntegrationKit
import CourierLogging
import CourierTestSupport
import CourierWebhook
import Foundation
import Synchronization
import Testing

/// One request the sink received.
private struct ReceivedWebhook: Sendable {
    var path: String
    var query: [String: String]
    var headers: HTTPHeaders
    var body: Data
    /// Whether the Standard Webhooks signature verified (`nil` when the sink did not know the secret yet).
    var signatureVerified: Bool?

    var webhookID: String { headers["webhook-id"] ?? "" }
    var json: JSONValue { (try? JSONValue(parsing: body)) ?? .null }
    var kind: String? { json.objectValue?["Kind"]?.stringValue }
    var data: Data? { json.objectValue?["Data"]?.stringValue.flatMap { Data(base64Encoded: $0) } }
}

/// A live webhook receiver on 127.0.0.1: verifies each request's signature when it knows the secret (answering 401
/// when it does not verify), records it, and answers what `answer` says, given how often that webhook-id came before.
private final class RecordingSink: HTTPResponder {
    let secret: Mutex<String?>
    let received = Mutex<[ReceivedWebhook]>([])
    let now: Date
    let answer: @Sendable (ReceivedWebhook, _ previousDeliveries: Int) async -> HTTPResponse

    init(
        secret: String?, now: Date,
        answer: @escaping @Sendable (ReceivedWebhook, Int) async -> HTTPResponse = { _, _ in HTTPResponse(status: 204) }
    ) {
        self.secret = Mutex(secret)
        self.now = now
        self.answer = answer
    }

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        var webhook = ReceivedWebhook(path: request.rawPath, query: request.query, headers: request.headers, body: request.body)
        if let secret = secret.withLock({ $0 }) {
            let verifier = try? StandardWebhookVerifier(secret: secret)
            webhook.signatureVerified =
                (try? verifier?.verify(
                    id: request.headers["webhook-id"], timestamp: request.headers["webhook-timestamp"],
                    signatures: request.headers["webhook-signature"], body: request.body, now: now
                )) != nil
        }
        let previous = received.withLock { received in
            defer { received.append(webhook) }
            return received.count { $0.webhookID == webhook.webhookID }
        }
        if webhook.signatureVerified == false { return HTTPResponse(status: 401) }
        return await answer(webhook, previous)
    }

    var requests: [ReceivedWebhook] { received.withLock { $0 } }
}

/// Runs `body` with a sink listening on 127.0.0.1 and a free port; the server runs in a child task, cancelled at the end.
private func withSink<Result: Sendable>(
    _ sink: RecordingSink, _ body: @Sendable (_ baseURL: String) async throws -> Result
) async throws -> Result {
    let server = try HTTPServer(
        configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), responder: sink, logger: .disabled
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        return try await body("http://127.0.0.1:\(server.port)")
    }
}

@Suite struct WebhookIntegrationTests {
    static let now = Date(timeIntervalSince1970: 1_767_261_600)  // 2026-01-01T10:00:00Z
    static let secretPath = "/hooks/T0KEN-s3cret-path"
    static let statement =
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[],"#
        + #""predicateType":"chainloop.dev/attestation/v0.2","predicate":{"metadata":{"name":"build"}}}"#
    static let envelope = Data(
        #"{"payloadType":"application/vnd.in-toto+json","payload":"\#(Data(statement.utf8).base64EncodedString())","#
            .appending(#""signatures":[{"keyid":"k","sig":"c2ln"}]}"#).utf8
    )
    static let cycloneDX = Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5"}"#.utf8)
    static let spdx = Data(#"{"spdxVersion":"SPDX-2.3"}"#.utf8)

    let integration = WebhookIntegration()

    func context(timeout: Duration = .seconds(30)) -> IntegrationContext {
        IntegrationContext(http: LiveHTTPClient(), requestTimeout: timeout, now: { Self.now })
    }

    func request(url: String, secret: String, sendSBOM: Bool = true, delivered: [String: String] = [:]) -> ExecutionRequest {
        ExecutionRequest(
            workflow: WorkflowMetadata(id: "wf-1", name: "build", team: "core", project: "foo"),
            run: RunMetadata(
                id: "run-1", state: "success", startedAt: Self.now, finishedAt: Self.now.addingTimeInterval(300.5),
                runnerType: "GITHUB_ACTION", runURL: "https://ci.example/1", attestationDigest: "sha256:abc"
            ),
            attestation: AttestationInput(envelope: Self.envelope, hash: "sha256:" + String(repeating: "1", count: 64)),
            materials: [
                ExecutionMaterial(name: "cdx", type: .sbomCycloneDXJSON, content: .inline(Self.cycloneDX)),
                ExecutionMaterial(name: "image", type: .containerImage, value: "ghcr.io/x:1", content: .inline(Data("ghcr.io/x:1".utf8))),
                ExecutionMaterial(name: "spdx", type: .sbomSPDXJSON, content: .inline(Self.spdx)),
            ],
            registration: Registration(
                configuration: ["url": .string(maskURL(url))],
                credentials: Credentials(["URL": url, WebhookIntegration.signingSecretField: secret])
            ),
            attachmentConfiguration: ["send_attestation": true, "send_sbom": .bool(sendSBOM)],
            progress: DeliveryProgress(deliveryID: "del-1", attempt: delivered.isEmpty ? 1 : 2, deliveredParts: delivered)
        )
    }

    /// A delivery of `material` alone (no attestation).
    func sbomOnly(url: String, secret: String, _ material: ExecutionMaterial) -> ExecutionRequest {
        var request = request(url: url, secret: secret)
        request.attachmentConfiguration = ["send_attestation": false, "send_sbom": true]
        request.materials = [material]
        return request
    }

    /// Asserts that no outcome reason mentions the secret path or the signing secret.
    func expectNoSecrets(in outcome: ExecutionOutcome, secret: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = String(describing: outcome)
        #expect(!text.contains("T0KEN") && !text.contains(secret) && !text.contains(Self.secretPath), sourceLocation: sourceLocation)
    }

    @Test func registrationSendsExactlyOneSignedTestWebhook() async throws {
        let sink = RecordingSink(secret: nil, now: Self.now)
        let (registration, url) = try await withSink(sink) { base in
            let url = base + Self.secretPath + "?token=qs-secret"
            return (try await integration.register(.init(url: url), context: context()), url)
        }
        let secret = try #require(registration.revealOnce[WebhookIntegration.revealedSecretKey])
        #expect(secret.hasPrefix("whsec_"))
        #expect(registration.credentials?.url == url)
        #expect(registration.credentials?[WebhookIntegration.signingSecretField] == secret)
        #expect(registration.configuration == ["url": .string(maskURL(url))])
        #expect(registration.configuration.objectValue?["url"]?.stringValue?.hasSuffix("****path") == true)

        let requests = sink.requests
        try #require(requests.count == 1)
        let test = requests[0]
        #expect(test.path == Self.secretPath)
        #expect(test.query == ["token": "qs-secret"])
        #expect(test.headers["Content-Type"] == "application/json")
        #expect(test.headers["webhook-timestamp"] == "1767261600")
        #expect(test.webhookID.hasPrefix("test-"))
        try StandardWebhookVerifier(secret: secret).verify(
            id: test.headers["webhook-id"], timestamp: test.headers["webhook-timestamp"],
            signatures: test.headers["webhook-signature"], body: test.body, now: Self.now
        )
        #expect(String(decoding: test.body, as: UTF8.self).hasPrefix(#"{"Metadata":{"Workflow":"#))
        #expect(
            test.json == [
                "Metadata": [
                    "Workflow": ["ID": "", "Name": "test-webhook-workflow", "Team": "", "Project": ""],
                    "WorkflowRun": [
                        "ID": "test-webhook-run", "State": "", "StartedAt": "0001-01-01T00:00:00Z",
                        "FinishedAt": "0001-01-01T00:00:00Z", "RunnerType": "", "RunURL": "", "AttestationDigest": "",
                    ],
                ],
                "Data": "e30=", "Kind": "TEST_WEBHOOK",
            ])
    }

    @Test func registrationRefusesBadURLsWithUpstreamMessages() async throws {
        await #expect(throws: IntegrationValidationError("invalid webhook URL: invalid URL format")) {
            try await integration.register(.init(url: "not a url"), context: context())
        }
        await #expect(throws: IntegrationValidationError("unsupported URL scheme: ftp")) {
            try await integration.register(.init(url: "ftp://files.example.com/x"), context: context())
        }
    }

    @Test func registrationReportsAnUnreachableURLWithoutItsSecrets() async throws {
        let refusing = try RefusingPort()
        let closedBase = "http://127.0.0.1:\(refusing.port)"
        do {
            _ = try await integration.register(.init(url: closedBase + Self.secretPath), context: context())
            Issue.record("registration succeeded")
        } catch let error as IntegrationValidationError {
            #expect(error.message.hasPrefix("unable to reach webhook URL: test webhook failed: sending HTTP request: "))
            #expect(error.message.contains("connection refused"))
            #expect(!error.message.contains("T0KEN"))
        }
        withExtendedLifetime(refusing) {}

        let rejecting = RecordingSink(secret: nil, now: Self.now) { _, _ in HTTPResponse(status: 403, body: Data("no".utf8)) }
        await #expect(
            throws: IntegrationValidationError(
                "unable to reach webhook URL: test webhook failed: webhook responded with status code 403: no"
            )
        ) {
            try await withSink(rejecting) { base in try await integration.register(.init(url: base + Self.secretPath), context: context()) }
        }
    }

    @Test func registrationRefusesMetadataAddresses() async throws {
        await #expect(
            throws: IntegrationValidationError(
                "unable to reach webhook URL: test webhook failed: sending HTTP request: Refusing to connect to 169.254.169.254: "
                    + "link-local and cloud-metadata addresses are blocked; allow it with an egress allow-list entry (COURIER_EGRESS_ALLOW) such as 169.254.169.254/32"
            )
        ) {
            try await integration.register(.init(url: "http://169.254.169.254/latest/meta-data"), context: context())
        }
    }

    @Test func attachAppliesDefaults() async throws {
        let registration = Registration(configuration: [:])
        #expect(
            try await integration.attach(.init(), registration: registration, context: context())
                == ["send_attestation": true, "send_sbom": false])
        #expect(
            try await integration.attach(.init(sendAttestation: false, sendSBOM: true), registration: registration, context: context())
                == ["send_attestation": false, "send_sbom": true])
    }

    @Test func executeSendsTheAttestationAndEachSBOMSigned() async throws {
        let secret = StandardWebhookSigner.generateSecret()
        let sink = RecordingSink(secret: secret, now: Self.now)
        let outcome = try await withSink(sink) { base in
            await integration.execute(request(url: base + Self.secretPath, secret: secret), context: context())
        }
        #expect(
            outcome
                == .parts([
                    PartOutcome(partID: "attestation", outcome: .delivered(reference: "del-1:attestation")),
                    PartOutcome(partID: "material:cdx", outcome: .delivered(reference: "del-1:material:cdx")),
                    PartOutcome(partID: "material:spdx", outcome: .delivered(reference: "del-1:material:spdx")),
                ]))
        let requests = sink.requests
        try #require(requests.count == 3)
        #expect(requests.allSatisfy { $0.signatureVerified == true })
        #expect(requests.map(\.webhookID) == ["del-1:attestation", "del-1:material:cdx", "del-1:material:spdx"])
        #expect(requests.map(\.kind) == ["ATTESTATION", "SBOM_CYCLONEDX_JSON", "SBOM_SPDX_JSON"])
        #expect(requests.allSatisfy { $0.headers["Content-Type"] == "application/json" && $0.path == Self.secretPath })
        #expect(requests[1].data == Self.cycloneDX)
        #expect(requests[2].data == Self.spdx)
        let expectedMetadata: JSONValue = [
            "Workflow": ["ID": "wf-1", "Name": "build", "Team": "core", "Project": "foo"],
            "WorkflowRun": [
                "ID": "run-1", "State": "success", "StartedAt": "2026-01-01T10:00:00Z", "FinishedAt": "2026-01-01T10:05:00.5Z",
                "RunnerType": "GITHUB_ACTION", "RunURL": "https://ci.example/1", "AttestationDigest": "sha256:abc",
            ],
        ]
        #expect(requests.allSatisfy { $0.json.objectValue?["Metadata"] == expectedMetadata })

        let attestation = try JSONValue(parsing: try #require(requests[0].data))
        let attestationText = String(decoding: try #require(requests[0].data), as: UTF8.self)
        #expect(attestationText.hasPrefix(#"{"Envelope":"# + String(decoding: Self.envelope, as: UTF8.self) + #","Hash":""#))
        let statementAt = try #require(attestationText.range(of: #","Statement":"#))
        #expect(attestationText[statementAt.upperBound...].hasPrefix(Self.statement + #","Predicate":"#))
        #expect(attestation.objectValue?["Envelope"] == (try JSONValue(parsing: Self.envelope)))
        #expect(attestation.objectValue?["Hash"] == .string("sha256:" + String(repeating: "1", count: 64)))
        #expect(attestation.objectValue?["Statement"] == (try JSONValue(parsing: Data(Self.statement.utf8))))
        #expect(attestation.objectValue?["Predicate"] == ["metadata": ["name": "build"]])
    }

    @Test func aStreamedSBOMIsSignedAndSentExactlyAsTheInMemoryBody() async throws {
        let secret = StandardWebhookSigner.generateSecret()
        let sink = RecordingSink(secret: secret, now: Self.now)
        let sbom = patternedBytes(200_001)
        // Read from a store in chunks whose size is not a multiple of 3, as CAS content is.
        let material = ExecutionMaterial(
            name: "big", type: .sbomCycloneDXJSON, content: MaterialContent(size: Int64(sbom.count)) { ChunkedReader(sbom, chunkSize: 65_537) }
        )
        let outcome = try await withSink(sink) { base in
            await integration.execute(sbomOnly(url: base + Self.secretPath, secret: secret, material), context: context())
        }
        #expect(outcome == .parts([PartOutcome(partID: "material:big", outcome: .delivered(reference: "del-1:material:big"))]))
        let received = try #require(sink.requests.first)
        #expect(received.signatureVerified == true)
        let metadata: JSONValue = [
            "Workflow": ["ID": "wf-1", "Name": "build", "Team": "core", "Project": "foo"],
            "WorkflowRun": [
                "ID": "run-1", "State": "success", "StartedAt": "2026-01-01T10:00:00Z", "FinishedAt": "2026-01-01T10:05:00.5Z",
                "RunnerType": "GITHUB_ACTION", "RunURL": "https://ci.example/1", "AttestationDigest": "sha256:abc",
            ],
        ]
        let inMemoryBody =
            #"{"Metadata":"# + metadata.serialized() + #","Data":""# + sbom.base64EncodedString() + #"","Kind":"SBOM_CYCLONEDX_JSON"}"#
        #expect(received.body == Data(inMemoryBody.utf8))
    }

    @Test func anSBOMWhoseContentVanishedIsRetryableNamingIt() async throws {
        struct VanishedContent: Error, CustomStringConvertible {
            var description: String { "Content sha256:\(String(repeating: "ab", count: 32)) is not in CAS." }
        }
        let secret = StandardWebhookSigner.generateSecret()
        let sink = RecordingSink(secret: secret, now: Self.now)
        let material = ExecutionMaterial(name: "gone", type: .sbomSPDXJSON, content: MaterialContent(size: 10) { throw VanishedContent() })
        let outcome = try await withSink(sink) { base in
            await integration.execute(sbomOnly(url: base + Self.secretPath, secret: secret, material), context: context())
        }
        let reason = "reading the payload failed: Content sha256:\(String(repeating: "ab", count: 32)) is not in CAS."
        #expect(outcome == .parts([PartOutcome(partID: "material:gone", outcome: .retryable(reason: reason, retryAfter: nil))]))
        #expect(sink.requests.isEmpty)
    }

    @Test func aRetrySendsOnlyTheFailedPartUnderTheSameID() async throws {
        let secret = StandardWebhookSigner.generateSecret()
        let sink = RecordingSink(secret: secret, now: Self.now) { webhook, previous in
            webhook.webhookID == "del-1:material:cdx" && previous == 0
                ? HTTPResponse(status: 503, body: Data("busy".utf8)) : HTTPResponse(status: 200)
        }
        let (first, second) = try await withSink(sink) { base in
            let url = base + Self.secretPath
            let first = await integration.execute(request(url: url, secret: secret), context: context())
            guard case .parts(let parts) = first else { return (first, first) }
            let delivered = Dictionary(
                uniqueKeysWithValues: parts.compactMap { part -> (String, String)? in
                    guard case .delivered(let reference) = part.outcome else { return nil }
                    return (part.partID, reference ?? "")
                })
            return (first, await integration.execute(request(url: url, secret: secret, delivered: delivered), context: context()))
        }
        #expect(
            first
                == .parts([
                    PartOutcome(partID: "attestation", outcome: .delivered(reference: "del-1:attestation")),
                    PartOutcome(
                        partID: "material:cdx", outcome: .retryable(reason: "webhook responded with status code 503: busy", retryAfter: nil)
                    ),
                    PartOutcome(partID: "material:spdx", outcome: .delivered(reference: "del-1:material:spdx")),
                ]))
        #expect(second.overall == .delivered(reference: nil))
        let ids = sink.requests.map(\.webhookID)
        #expect(ids == ["del-1:attestation", "del-1:material:cdx", "del-1:material:spdx", "del-1:material:cdx"])
        #expect(sink.requests.allSatisfy { $0.signatureVerified == true })
        #expect(sink.requests[3].data == Self.cycloneDX)
    }

    @Test func tooManyRequestsIsRetryableAfterTheAskedDelay() async throws {
        let secret = StandardWebhookSigner.generateSecret()
        let sink = RecordingSink(secret: secret, now: Self.now) { _, _ in HTTPResponse(status: 429, headers: ["Retry-After": "7"]) }
        let outcome = try await withSink(sink) { base in
            await integration.execute(request(url: base + Self.secretPath, secret: secret, sendSBOM: false), context: context())
        }
        #expect(
            outcome
                == .parts([
                    PartOutcome(
                        partID: "attestation",
                        outcome: .retryable(reason: "webhook responded with status code 429: ", retryAfter: .seconds(7))
                    )
                ]))
    }

    @Test func badRequestIsRejectedWithTheReasonAndNoSecrets() async throws {
        let secret = StandardWebhookSigner.generateSecret()
        let longBody = "invalid payload for /hooks/T0KEN-s3cret-path " + String(repeating: "x", count: 400)
        let sink = RecordingSink(secret: secret, now: Self.now) { _, _ in HTTPResponse(status: 400, body: Data(longBody.utf8)) }
        let (outcome, url) = try await withSink(sink) { base in
            let url = base + Self.secretPath
            return (await integration.execute(request(url: url, secret: secret, sendSBOM: false), context: context()), url)
        }
        guard case .parts(let parts) = outcome, case .rejected(let reason) = parts.first?.outcome else {
            Issue.record("unexpected \(outcome)")
            return
        }
        #expect(reason.hasPrefix("webhook responded with status code 400: invalid payload for \(maskURL(url)) xxx"))
        expectNoSecrets(in: outcome, secret: secret)
    }

    @Test func aSinkThatNeverAnswersIsARetryableTimeout() async throws {
        let secret = StandardWebhookSigner.generateSecret()
        // The sink holds each request until the client has given up; one that reaches the handler only after that
        // (the suite shares two cores) is answered at once, so that the sink can stop.
        let held = Mutex<(released: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
        let sink = RecordingSink(secret: secret, now: Self.now) { _, _ in
            await withCheckedContinuation { continuation in
                let answerNow = held.withLock { held in
                    if !held.released { held.waiters.append(continuation) }
                    return held.released
                }
                if answerNow { continuation.resume() }
            }
            return HTTPResponse(status: 200)
        }
        let clock = ContinuousClock()
        let (outcome, elapsed) = try await withSink(sink) { base in
            let start = clock.now
            let outcome = await integration.execute(
                request(url: base + Self.secretPath, secret: secret, sendSBOM: false), context: context(timeout: .milliseconds(500))
            )
            let elapsed = clock.now - start
            for waiter in held.withLock({ held in
                held.released = true
                defer { held.waiters.removeAll() }
                return held.waiters
            }) { waiter.resume() }
            return (outcome, elapsed)
        }
        #expect(
            outcome
                == .parts([
                    PartOutcome(partID: "attestation", outcome: .retryable(reason: "sending HTTP request: the request timed out", retryAfter: nil))
                ]))
        #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(25), "below the 30 s a missing timeout would take, even on a loaded machine")
    }

    @Test func executeWithoutCredentialsOrPartsSaysWhy() async throws {
        var noURL = request(url: "", secret: "")
        noURL.registration.credentials = nil
        #expect(await integration.execute(noURL, context: context()) == .rejected(reason: "missing webhook URL in credentials"))

        var nothing = request(url: "http://127.0.0.1:1/x", secret: StandardWebhookSigner.generateSecret(), sendSBOM: false)
        nothing.attachmentConfiguration = ["send_attestation": false, "send_sbom": false]
        #expect(
            await integration.execute(nothing, context: context())
                == .skipped(reason: "nothing to send: send_attestation is off and send_sbom found no SBOM"))
    }
}

@Suite struct LiveHTTPClientRedirectTests {
    @Test func postGetsTheRedirectBackAndGetRedirectsAreGuarded() async throws {
        let sink = RecordingSink(secret: nil, now: Date()) { webhook, _ in
            let target = webhook.path == "/to-metadata" ? "http://169.254.169.254/latest" : "/final"
            return webhook.path == "/final"
                ? HTTPResponse(status: 200, body: Data("done".utf8))
                : HTTPResponse(status: 307, headers: ["Location": target])
        }
        try await withSink(sink) { base in
            let client = LiveHTTPClient()
            // Generous timeouts: the suite shares two cores with the servers it starts.
            let post = try await client.send(
                OutboundHTTPRequest(method: "POST", url: URL(string: base + "/start")!, body: Data("x".utf8), timeout: .seconds(30)))
            #expect(post.status == 307)
            let get = try await client.send(OutboundHTTPRequest(method: "GET", url: URL(string: base + "/start")!, timeout: .seconds(30)))
            #expect(get.status == 200 && get.body == Data("done".utf8))
            await #expect(throws: HTTPClientError.self) {
                try await client.send(OutboundHTTPRequest(method: "GET", url: URL(string: base + "/to-metadata")!, timeout: .seconds(30)))
            }
        }
        #expect(sink.requests.map(\.path) == ["/start", "/start", "/final", "/to-metadata"])
    }
}
