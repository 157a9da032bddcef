import CourierCore
import CourierDiscord
import CourierHTTP
import CourierHTTPClient
import CourierIntegrationKit
import CourierSlack
import CourierSummary
import Foundation
import Testing

@Suite struct DiscordWebhookIntegrationTests {
    static let secretPath = "/api/webhooks/123/T0KEN-discord-secret"
    let integration = DiscordWebhookIntegration()
    let context = IntegrationContext(http: LiveHTTPClient(), requestTimeout: .seconds(30))

    func register(_ payload: JSONValue) async -> Result<Registration, CourierError> {
        do {
            return .success(try await IntegrationCatalog(allIntegrations).register("discord-webhook", payload: payload, context: context))
        } catch {
            return .failure(error)
        }
    }

    @Test func registrationReadsTheWebhookAndKeepsTheURLSecret() async throws {
        let (result, url) = try await withFakeServer(FakeDiscordWebhook()) { base in
            (await register(["webhook": .string(base + Self.secretPath), "username": "courier"]), base + Self.secretPath)
        }
        let registration = try result.get()
        #expect(registration.configuration == ["name": "releases", "owner": "alice", "username": "courier"])
        #expect(registration.credentials?.password == url)
    }

    @Test func anUnknownWebhookIsRefused() async throws {
        let result = try await withFakeServer(FakeDiscordWebhook()) { base in await register(["webhook": .string(base + "/nope/T0KEN")]) }
        guard case .failure(let error) = result else {
            Issue.record("registered an unknown webhook")
            return
        }
        #expect(error.message == "validation error: invalid webhook URL, status: 404")
    }

    @Test func executionPostsPayloadJSONAndTheSummaryFile() async throws {
        let fake = FakeDiscordWebhook()
        let (outcome, request) = try await withFakeServer(fake) { base in
            let request = try ChainloopTestData.goldenRequest(
                registration: Registration(
                    configuration: ["name": "releases", "username": "courier"], credentials: Credentials(password: base + Self.secretPath)))
            return (await integration.execute(request, context: context), request)
        }
        #expect(outcome == .delivered(reference: nil))
        let message = try #require(fake.received.first)
        #expect(fake.received.count == 1)
        #expect(
            message.payload
                == ["content": "New Attestation Received", "username": "courier", "attachments": [["id": 0, "filename": "statement.txt"]]])
        #expect(message.files.map(\.name) == ["files[0]"])
        #expect(message.files.first?.filename == "statement.txt")
        let summary = try SummaryTable.render(request, format: .text, fullAttestationCommand: "$ courier attestation describe sha256:deadbeef")
        #expect(message.files.first?.text == summary)
    }

    @Test func rateLimitsAreRetriedWhenDiscordSays() async throws {
        let fake = FakeDiscordWebhook()
        let outcome = try await withFakeServer(fake) { base in
            fake.scripted.enqueue(
                HTTPResponse(
                    status: 429, headers: ["Retry-After": "2", "X-RateLimit-Reset-After": "4.2"],
                    body: Data(#"{"message": "You are being rate limited."}"#.utf8)))
            let request = try ChainloopTestData.goldenRequest(
                registration: Registration(configuration: [:], credentials: Credentials(password: base + Self.secretPath)))
            return await integration.execute(request, context: context)
        }
        guard case .retryable(let reason, let retryAfter) = outcome else {
            Issue.record("expected a retry, got \(outcome)")
            return
        }
        #expect(retryAfter == .seconds(5))
        #expect(reason.hasPrefix("non-OK HTTP status while calling the webhook: 429"))
        #expect(!reason.contains("T0KEN"))
    }

    @Test func anyTwoHundredIsSuccessAndOtherClientErrorsAreRejected() async throws {
        let fake = FakeDiscordWebhook()
        let (accepted, refused) = try await withFakeServer(fake) { base in
            fake.scripted.enqueue(HTTPResponse(status: 204), HTTPResponse(status: 403, body: Data("\(base + Self.secretPath) is forbidden".utf8)))
            let request = try ChainloopTestData.goldenRequest(
                registration: Registration(configuration: [:], credentials: Credentials(password: base + Self.secretPath)))
            return (await integration.execute(request, context: context), await integration.execute(request, context: context))
        }
        #expect(accepted == .delivered(reference: nil))
        guard case .rejected(let reason) = refused else {
            Issue.record("expected a rejection")
            return
        }
        #expect(!reason.contains("T0KEN") && reason.contains("****"))
    }
}

@Suite struct SlackWebhookIntegrationTests {
    static let secretPath = "/services/T000/B000/S3cretSlackToken"
    let integration = SlackWebhookIntegration()
    let context = IntegrationContext(http: LiveHTTPClient(), requestTimeout: .seconds(30), now: { Date(timeIntervalSince1970: 1_767_261_600) })

    @Test func registrationSendsTheTestMessageAndStoresTheMaskedURL() async throws {
        let fake = FakeSlackWebhook()
        let (registration, url) = try await withFakeServer(fake) { base in
            (
                try await IntegrationCatalog(allIntegrations).register(
                    "slack-webhook", payload: ["webhook": .string(base + Self.secretPath)], context: context),
                base + Self.secretPath
            )
        }
        #expect(fake.received == ["This is a test message. Welcome to Chainloop!"])
        #expect(registration.configuration == ["webhook": .string(maskURL(url))])
        #expect(registration.configuration.serialized().contains("oken"))
        #expect(!registration.configuration.serialized().contains("S3cret"))
        #expect(registration.credentials?.password == url)
    }

    @Test func aRefusedTestMessageFailsRegistration() async throws {
        let fake = FakeSlackWebhook()
        let failure: CourierError? = try await withFakeServer(fake) { base in
            fake.scripted.enqueue(HTTPResponse(status: 404, body: Data("no_service".utf8)))
            do {
                _ = try await IntegrationCatalog(allIntegrations).register(
                    "slack-webhook", payload: ["webhook": .string(base + Self.secretPath)], context: context)
                return nil
            } catch {
                return error as? CourierError
            }
        }
        #expect(
            failure?.message == "validation error: error validating a webhook: non-OK HTTP status while calling the webhook: 404, body: no_service")
    }

    @Test func executionPostsTheTruncatedSummaryAsText() async throws {
        let fake = FakeSlackWebhook()
        let (outcome, request) = try await withFakeServer(fake) { base in
            let request = try ChainloopTestData.goldenRequest(
                registration: Registration(configuration: [:], credentials: Credentials(password: base + Self.secretPath)))
            return (await integration.execute(request, context: context), request)
        }
        #expect(outcome == .delivered(reference: nil))
        let summary = try SummaryTable.render(
            request, format: .text, maxSize: 4000, fullAttestationCommand: "$ courier attestation describe sha256:deadbeef")
        #expect(fake.received == ["\nNew attestation received!\n```\n" + summary + "\n```\n"])
        #expect(summary.unicodeScalars.count <= 4000)
        #expect(summary.hasSuffix("$ courier attestation describe sha256:deadbeef"))
    }

    @Test func rateLimitsHonourRetryAfterDates() async throws {
        let fake = FakeSlackWebhook()
        let outcome = try await withFakeServer(fake) { base in
            fake.scripted.enqueue(HTTPResponse(status: 429, headers: ["Retry-After": "Thu, 01 Jan 2026 10:01:00 GMT"]))
            let request = try ChainloopTestData.goldenRequest(
                registration: Registration(configuration: [:], credentials: Credentials(password: base + Self.secretPath)))
            return await integration.execute(request, context: context)
        }
        guard case .retryable(let reason, let retryAfter) = outcome else {
            Issue.record("expected a retry, got \(outcome)")
            return
        }
        #expect(retryAfter == .seconds(60))
        #expect(!reason.contains("S3cret"))
    }
}
