import CourierCore
import CourierIntegrationKit
import CourierSummary
import Foundation

/// Posts a summary of every attestation to a Slack channel through an incoming webhook (upstream `slack-webhook` v1.1).
///
/// - **register** sends upstream's test message; stores `{"webhook": <masked URL>}` and keeps the URL, a secret, as
///   the credentials' password.
/// - **execute** POSTs `{"text": …}` (JSON), the text summary cut to 4000 characters inside a code block. Any 2xx is
///   success; 408, 425, 429 and 5xx are retried (honouring `Retry-After`), as are transport failures. Reasons never
///   contain the webhook URL.
public struct SlackWebhookIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "slack-webhook",
        version: "1.1",
        description: "Send attestations to Slack",
        registration: RegistrationInput.self
    )

    /// The text of the message registration sends.
    public static let testMessage = "This is a test message. Welcome to Chainloop!"
    /// The summary's size limit, in characters.
    public static let summaryMaxSize = 4000
    /// How long one request may take when the context does not say.
    public static let defaultRequestTimeout: Duration = .seconds(10)
    /// How much of a failing response's body goes into a reason.
    static let bodyExcerptLength = 200

    /// Creates the integration.
    public init() {}

    /// The incoming webhook.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The webhook URL; a secret.
        public var webhook: String

        /// Creates the input.
        public init(webhook: String) {
            self.webhook = webhook
        }

        public static let inputSchema = InputSchema(properties: [
            .string("webhook", format: .uri, required: true, description: "URL of the slack webhook")
        ])
    }

    /// Sends the test message, which must be accepted.
    ///
    /// - Throws: ``IntegrationValidationError``: `error validating a webhook: non-OK HTTP status while calling the
    ///   webhook: <code>, body: <body>`, or `error validating a webhook: <why>` when it cannot be reached.
    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        switch await post(text: Self.testMessage, to: input.webhook, context: context) {
        case .retryable(let reason, _), .rejected(let reason):
            throw IntegrationValidationError("error validating a webhook: \(reason)")
        default:
            return Registration(configuration: ["webhook": .string(maskURL(input.webhook))], credentials: Credentials(password: input.webhook))
        }
    }

    /// Posts the summary; one part, so nothing to resume.
    public func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        guard let webhook = request.registration.credentials?.password else { return .rejected(reason: "missing credentials") }
        let summary: String
        do {
            summary = try SummaryTable.render(
                request, format: .text, maxSize: Self.summaryMaxSize,
                fullAttestationCommand: SummaryTable.courierCommand(digest: request.run.attestationDigest))
        } catch {
            return .rejected(reason: "execution input invalid: \(error)")
        }
        return await post(text: Self.messageText(summary: summary), to: webhook, context: context)
    }

    /// Upstream's message: a heading and the summary in a code block.
    static func messageText(summary: String) -> String {
        "\nNew attestation received!\n```\n\(summary)\n```\n"
    }

    /// POSTs `{"text": text}` and classifies the answer.
    private func post(text: String, to webhook: String, context: IntegrationContext) async -> ExecutionOutcome {
        guard let url = URL(string: webhook) else { return .rejected(reason: "invalid webhook URL: invalid URL format") }
        let body: JSONValue = ["text": .string(text)]
        let request = OutboundHTTPRequest(
            method: "POST", url: url, headers: [HTTPHeaderField("Content-Type", "application/json")],
            body: Data(body.serialized().utf8), timeout: context.requestTimeout ?? Self.defaultRequestTimeout
        )
        let response: OutboundHTTPResponse
        do {
            response = try await context.http.send(request)
        } catch {
            let reason = redactingURL(webhook, in: "sending the message: \(error)")
            return error.isTransient ? .retryable(reason: reason, retryAfter: nil) : .rejected(reason: reason)
        }
        if response.isSuccess { return .delivered(reference: nil) }
        let excerpt = String(decoding: response.body.prefix(Self.bodyExcerptLength * 4), as: UTF8.self).prefix(Self.bodyExcerptLength)
        let reason = redactingURL(webhook, in: "non-OK HTTP status while calling the webhook: \(response.status), body: \(excerpt)")
        guard response.isTransientFailure else { return .rejected(reason: reason) }
        return .retryable(reason: reason, retryAfter: response.retryAfter(now: context.now()))
    }
}
