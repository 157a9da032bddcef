import CourierCore
import CourierIntegrationKit

/// POSTs the attestation and, optionally, SBOMs to a generic webhook URL as JSON (upstream `webhook` v1.2).
///
/// Registration, attachment and delivery logic land with the next issue; until then registering fails with
/// `failed_precondition`.
public struct WebhookIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "webhook",
        version: "1.2",
        description: "Send Attestation and SBOMs to a generic POST webhook URL",
        subscribedMaterials: [.sbomCycloneDXJSON, .sbomSPDXJSON],
        registration: RegistrationInput.self,
        attachment: AttachmentInput.self
    )

    /// Creates the integration.
    public init() {}

    /// Where to send deliveries.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The absolute `http`/`https` URL; a secret.
        public var url: String

        public static let inputSchema = InputSchema(properties: [
            .string("url", format: .uri, minLength: 1, required: true, description: "Webhook URL to send payloads to")
        ])
    }

    /// What each workflow's deliveries contain.
    public struct AttachmentInput: IntegrationInput, Hashable {
        /// Whether to send the attestation; `true` when absent.
        public var sendAttestation: Bool?
        /// Whether to send CycloneDX and SPDX SBOMs; `false` when absent.
        public var sendSBOM: Bool?

        enum CodingKeys: String, CodingKey {
            case sendAttestation = "send_attestation"
            case sendSBOM = "send_sbom"
        }

        public static let inputSchema = InputSchema(properties: [
            .boolean("send_attestation", default: true, description: "Send attestation"),
            .boolean(
                "send_sbom", default: false,
                description: "Additionally send CycloneDX or SPDX Software Bill Of Materials (SBOM)"
            ),
        ])
    }

    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        throw Self.registrationNotImplemented
    }

    public func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        throw Self.registrationNotImplemented
    }
}
