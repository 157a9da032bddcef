import CourierCore
import CourierIntegrationKit

/// Sends CycloneDX SBOMs to a Dependency-Track instance (upstream `dependency-track` v1.7).
///
/// Registration, attachment and delivery logic land with a later issue; until then registering fails with
/// `failed_precondition`.
public struct DependencyTrackIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "dependency-track",
        version: "1.7",
        description: "Send CycloneDX SBOMs to your Dependency-Track instance",
        subscribedMaterials: [.sbomCycloneDXJSON],
        registration: RegistrationInput.self,
        attachment: AttachmentInput.self
    )

    /// Creates the integration.
    public init() {}

    /// The Dependency-Track instance and how to authenticate.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The instance URL; a base path such as `/dtrack` is kept.
        public var instanceURI: String
        /// The API key, sent as `X-Api-Key`.
        public var apiKey: String
        /// Whether attachments may create projects on demand.
        public var allowAutoCreate: Bool?

        public static let inputSchema = InputSchema(properties: [
            .string("instanceURI", format: .uri, required: true, description: "The URL of the Dependency-Track instance"),
            .string("apiKey", format: .password, required: true, description: "The API key to use for authentication"),
            .boolean("allowAutoCreate", description: "Support of creating projects on demand"),
        ])
    }

    /// Which project receives a workflow's SBOMs: an existing one by ID, or one created by (templated) name.
    public struct AttachmentInput: IntegrationInput, Hashable {
        /// The existing project's UUID.
        public var projectID: String?
        /// The project to create; may reference `{{.Material.Annotations.x}}` and `{{.Attestation.Annotations.x}}`.
        public var projectName: String?
        /// The parent of a created project.
        public var parentID: String?
        /// Comma-separated `key=value` annotation filters.
        public var filter: String?

        public static let inputSchema = InputSchema(
            properties: [
                .string("projectID", minLength: 1, description: "The ID of the existing project to send the SBOMs to"),
                .string("projectName", minLength: 1, description: "The name of the project to create and send the SBOMs to"),
                .string("parentID", minLength: 1, description: "ID of parent project to create a new project under"),
                .string(
                    "filter", minLength: 1,
                    description: "Comma-separated annotation filters where material annotations take precedence over attestation when keys match"
                ),
            ],
            oneOf: [.requiring("projectID"), .requiring("projectName")],
            dependentRequired: [DependentRequirement("parentID", requires: ["projectName"])]
        )
    }

    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        throw Self.registrationNotImplemented
    }

    public func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        throw Self.registrationNotImplemented
    }
}
