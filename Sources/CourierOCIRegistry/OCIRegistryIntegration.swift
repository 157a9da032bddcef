import CourierCore
import CourierIntegrationKit

/// Pushes every attestation to an OCI registry as an artifact (upstream `oci-registry` v1.0, removed upstream, kept
/// by Courier with Basic/Bearer auth and explicit opt-in to plain HTTP).
///
/// Registration, attachment and delivery logic land with a later issue; until then registering fails with
/// `failed_precondition`.
public struct OCIRegistryIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "oci-registry",
        version: "1.0",
        description: "Send attestations to a compatible OCI registry",
        registration: RegistrationInput.self,
        attachment: AttachmentInput.self
    )

    /// Creates the integration.
    public init() {}

    /// The repository and the account that pushes to it.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The repository, e.g. `ghcr.io/org/repo` (no scheme).
        public var repository: String
        /// The registry user name.
        public var username: String
        /// The registry password or token; a secret.
        public var password: String
        /// Whether plain HTTP is allowed (always allowed for loopback).
        public var insecure: Bool?

        public static let inputSchema = InputSchema(properties: [
            .string("repository", minLength: 1, required: true, description: "OCI repository uri and path"),
            .string("username", minLength: 1, required: true, description: "OCI repository username"),
            .string("password", minLength: 1, required: true, description: "OCI repository password"),
            .boolean("insecure", default: false, description: "Allow plain HTTP to this registry; always allowed for loopback"),
        ])
    }

    /// The image name prefix per workflow.
    public struct AttachmentInput: IntegrationInput, Hashable {
        /// The prefix of pushed image names; `chainloop` when absent.
        public var prefix: String?

        public static let inputSchema = InputSchema(properties: [
            .string("prefix", minLength: 1, description: "OCI images name prefix (default chainloop)")
        ])
    }

    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        throw Self.registrationNotImplemented
    }

    public func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        throw Self.registrationNotImplemented
    }
}
