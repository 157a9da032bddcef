import CourierCore
import CourierIntegrationKit

/// Exports attestations and SBOMs to a blob store that guacsec/guac ingests (upstream `guac` v1.0, with Courier's
/// S3-compatible provider).
///
/// Registration and delivery logic land with a later issue (including the provider-specific checks: GCS needs
/// `credentials`, S3 needs `region` and keys); until then registering fails with `failed_precondition`.
public struct GUACIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "guac",
        version: "1.0",
        description: "Export Attestation and SBOMs metadata to a blob storage backend so guacsec/guac can consume it",
        subscribedMaterials: [.sbomCycloneDXJSON, .sbomSPDXJSON],
        registration: RegistrationInput.self
    )

    /// Creates the integration.
    public init() {}

    /// The bucket and how to reach it.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// `gcs` (default) or `s3`.
        public var provider: String?
        /// The bucket name.
        public var bucket: String
        /// The GCS service-account JSON; a secret.
        public var credentials: String?
        /// The S3 region.
        public var region: String?
        /// The S3 access key ID.
        public var accessKeyID: String?
        /// The S3 secret access key; a secret.
        public var secretAccessKey: String?
        /// Overrides the storage endpoint.
        public var endpoint: String?
        /// Whether to address S3 buckets in the path rather than the host name.
        public var pathStyle: Bool?

        public static let inputSchema = InputSchema(properties: [
            .string(
                "provider", minLength: 1, allowedValues: ["gcs", "s3"], default: "gcs",
                description: "Blob storage provider: default gcs"
            ),
            .string("bucket", minLength: 1, required: true, description: "Bucket name where to store the artifacts"),
            .string("credentials", minLength: 2, description: "Credentials to access the bucket (GCS service-account JSON)"),
            .string("region", minLength: 1, description: "Region of the bucket (s3)"),
            .string("accessKeyID", minLength: 1, description: "Access key ID (s3)"),
            .string("secretAccessKey", format: .password, description: "Secret access key (s3)"),
            .string(
                "endpoint", format: .uri,
                description: "Override the storage endpoint (emulators, MinIO, other S3-compatible stores)"
            ),
            .boolean("pathStyle", default: false, description: "Use path-style bucket addressing (s3)"),
        ])
    }

    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        throw Self.registrationNotImplemented
    }
}
