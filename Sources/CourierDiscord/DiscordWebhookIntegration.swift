import CourierCore
import CourierIntegrationKit
import CourierSummary
import Foundation

/// Posts a summary of every attestation to a Discord channel through a webhook (upstream `discord-webhook` v1.1).
///
/// - **register** reads the webhook with `GET <webhook>` (Discord answers its name and owner), stores
///   `{"name", "owner", "username"?}` and keeps the URL, a secret, as the credentials' password.
/// - **execute** POSTs `multipart/form-data` as Discord documents it: `payload_json` =
///   `{"content": "New Attestation Received", "username"?, "attachments": [{"id": 0, "filename": "statement.txt"}]}`
///   and the file part `files[0]` (`statement.txt`) holding the text summary. Any 2xx is success; 429 is retried
///   when `Retry-After` or `X-RateLimit-Reset-After` says, as are 408, 425, 5xx and transport failures. Reasons never
///   contain the webhook URL.
public struct DiscordWebhookIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "discord-webhook",
        version: "1.1",
        description: "Send attestations to Discord",
        registration: RegistrationInput.self
    )

    /// The message's text.
    public static let messageContent = "New Attestation Received"
    /// The name of the attached summary file.
    public static let attachmentFilename = "statement.txt"
    /// How long one request may take when the context does not say.
    public static let defaultRequestTimeout: Duration = .seconds(10)
    /// How much of a failing response's body goes into a reason.
    static let bodyExcerptLength = 200

    /// Creates the integration.
    public init() {}

    /// The webhook and an optional display name.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The webhook URL; a secret.
        public var webhook: String
        /// Overrides the webhook's default user name.
        public var username: String?

        /// Creates the input.
        public init(webhook: String, username: String? = nil) {
            self.webhook = webhook
            self.username = username
        }

        public static let inputSchema = InputSchema(properties: [
            .string("webhook", format: .uri, required: true, description: "URL of the discord webhook"),
            .string("username", minLength: 1, description: "Override the default username of the webhook"),
        ])
    }

    /// Reads the webhook's name and owner with `GET <webhook>`.
    ///
    /// - Throws: ``IntegrationValidationError``: `invalid webhook URL, status: <status>` for a non-2xx answer,
    ///   `invalid webhook URL: <why>` when it cannot be reached or does not describe a webhook.
    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        guard let url = URL(string: input.webhook) else { throw IntegrationValidationError("invalid webhook URL: invalid URL format") }
        let response: OutboundHTTPResponse
        do {
            response = try await context.http.send(
                OutboundHTTPRequest(method: "GET", url: url, timeout: context.requestTimeout ?? Self.defaultRequestTimeout))
        } catch {
            throw IntegrationValidationError(redactingURL(input.webhook, in: "invalid webhook URL: \(error)"))
        }
        guard response.isSuccess else { throw IntegrationValidationError("invalid webhook URL, status: \(response.status)") }
        struct WebhookDescription: Decodable {
            struct User: Decodable { var username: String? }
            var name: String?
            var user: User?
        }
        guard let description = try? JSONDecoder().decode(WebhookDescription.self, from: response.body) else {
            throw IntegrationValidationError("invalid webhook URL: the answer does not describe a Discord webhook")
        }
        var configuration: JSONObject = ["name": .string(description.name ?? ""), "owner": .string(description.user?.username ?? "")]
        configuration["username"] = input.username.map(JSONValue.string)
        return Registration(configuration: .object(configuration), credentials: Credentials(password: input.webhook))
    }

    /// Posts the summary; one part, so nothing to resume.
    public func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        guard let webhook = request.registration.credentials?.password, let url = URL(string: webhook) else {
            return .rejected(reason: "missing credentials")
        }
        let summary: String
        do {
            summary = try SummaryTable.render(
                request, format: .text, fullAttestationCommand: SummaryTable.courierCommand(digest: request.run.attestationDigest))
        } catch {
            return .rejected(reason: "execution input invalid: \(error)")
        }
        let username = request.registration.configuration.objectValue?["username"]?.stringValue
        var form = MultipartFormData()
        form.addField("payload_json", data: Self.payloadJSON(username: username))
        form.addFile("files[0]", filename: Self.attachmentFilename, contentType: "text/plain; charset=utf-8", data: Data(summary.utf8))
        let post = OutboundHTTPRequest(
            method: "POST", url: url, headers: [form.contentTypeHeader], body: form.body,
            timeout: context.requestTimeout ?? Self.defaultRequestTimeout
        )
        let response: OutboundHTTPResponse
        do {
            response = try await context.http.send(post)
        } catch {
            let reason = redactingURL(webhook, in: "sending the message: \(error)")
            return error.isTransient ? .retryable(reason: reason, retryAfter: nil) : .rejected(reason: reason)
        }
        if response.isSuccess { return .delivered(reference: nil) }
        let excerpt = String(decoding: response.body.prefix(Self.bodyExcerptLength * 4), as: UTF8.self).prefix(Self.bodyExcerptLength)
        let reason = redactingURL(webhook, in: "non-OK HTTP status while calling the webhook: \(response.status), body: \(excerpt)")
        guard response.isTransientFailure else { return .rejected(reason: reason) }
        return .retryable(reason: reason, retryAfter: Self.retryDelay(of: response, now: context.now()))
    }

    /// `{"content": …, "username"?: …, "attachments": [{"id": 0, "filename": "statement.txt"}]}`.
    static func payloadJSON(username: String?) -> Data {
        var payload: JSONObject = ["content": .string(messageContent)]
        payload["username"] = username.map(JSONValue.string)
        payload["attachments"] = [["id": 0, "filename": .string(attachmentFilename)]]
        return Data(JSONValue.object(payload).serialized().utf8)
    }

    /// The longer of `Retry-After` and Discord's `X-RateLimit-Reset-After` (fractional seconds, rounded up).
    static func retryDelay(of response: OutboundHTTPResponse, now: Date) -> Duration? {
        let resetAfter = response.header("X-RateLimit-Reset-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            .flatMap { $0 >= 0 ? Duration.seconds(Int64($0.rounded(.up))) : nil }
        switch (response.retryAfter(now: now), resetAfter) {
        case (let retryAfter?, let resetAfter?): return max(retryAfter, resetAfter)
        case (let retryAfter, let resetAfter): return retryAfter ?? resetAfter
        }
    }
}
