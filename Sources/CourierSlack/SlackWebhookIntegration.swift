import CourierCore
import CourierIntegrationKit

/// Posts a summary of every attestation to a Slack channel through an incoming webhook (upstream `slack-webhook` v1.1).
///
/// Registration and delivery logic land with a later issue; until then registering fails with `failed_precondition`.
public struct SlackWebhookIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "slack-webhook",
        version: "1.1",
        description: "Send attestations to Slack",
        registration: RegistrationInput.self
    )

    /// Creates the integration.
    public init() {}

    /// The incoming webhook.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The webhook URL; a secret.
        public var webhook: String

        public static let inputSchema = InputSchema(properties: [
            .string("webhook", format: .uri, required: true, description: "URL of the slack webhook")
        ])
    }

    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        throw Self.registrationNotImplemented
    }
}
