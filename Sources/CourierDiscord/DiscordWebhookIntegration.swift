import CourierCore
import CourierIntegrationKit

/// Posts a summary of every attestation to a Discord channel through a webhook (upstream `discord-webhook` v1.1).
///
/// Registration and delivery logic land with a later issue; until then registering fails with `failed_precondition`.
public struct DiscordWebhookIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "discord-webhook",
        version: "1.1",
        description: "Send attestations to Discord",
        registration: RegistrationInput.self
    )

    /// Creates the integration.
    public init() {}

    /// The webhook and an optional display name.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The webhook URL; a secret.
        public var webhook: String
        /// Overrides the webhook's default user name.
        public var username: String?

        public static let inputSchema = InputSchema(properties: [
            .string("webhook", format: .uri, required: true, description: "URL of the discord webhook"),
            .string("username", minLength: 1, description: "Override the default username of the webhook"),
        ])
    }

    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        throw Self.registrationNotImplemented
    }
}
