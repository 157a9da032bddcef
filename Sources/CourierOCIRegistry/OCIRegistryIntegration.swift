import CourierCore
import CourierCrypto
import CourierIntegrationKit
import Foundation

/// Pushes every attestation to an OCI registry as an artifact (upstream `oci-registry` v1.0, removed upstream, kept
/// by Courier with Basic/Bearer auth and explicit opt-in to plain HTTP).
///
/// - Registration validates `host[:port]/path` (no scheme) and checks push permission by starting, then cancelling,
///   a blob upload to `<repository>/chainloop-test`. Configuration `{"repository"}` (plus `"insecure": true` when
///   set), credentials `{"Username","Password"}`.
/// - Attachment stores `{"prefix": <prefix or "">}`.
/// - Execution pushes the DSSE envelope JSON as the one uncompressed layer of an OCI image manifest to
///   `<repository>/<prefix>-<sha256 hex of the envelope>:latest` (prefix `chainloop` by default); the delivered
///   reference is the manifest digest.
///
/// Wire format: the distribution API (HEAD blob, POST upload then PUT `<Location>&digest=`, PUT manifest), Basic
/// auth or the Bearer token challenge flow, HTTPS unless the registry is on loopback or marked insecure.
/// Deliberate differences from upstream: the layer's media type is `application/vnd.dsse.envelope.v1+json` (what it
/// is, as cosign and the in-toto attestation spec name DSSE envelopes) instead of the content-sniffed
/// `text/plain; charset=utf-8`; the layer also carries the `org.opencontainers.image.title` annotation, so that
/// ORAS-style clients save it as `attestation.json`; no `created` timestamps, so pushing the same attestation again
/// gives the same manifest digest.
public struct OCIRegistryIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "oci-registry",
        version: "1.0",
        description: "Send attestations to a compatible OCI registry",
        registration: RegistrationInput.self,
        attachment: AttachmentInput.self
    )

    /// The manifest's media type.
    public static let manifestMediaType = "application/vnd.oci.image.manifest.v1+json"
    /// The config blob's media type.
    public static let configMediaType = "application/vnd.oci.image.config.v1+json"
    /// The attestation layer's media type.
    public static let layerMediaType = "application/vnd.dsse.envelope.v1+json"
    /// The value of the `org.opencontainers.image.authors` annotation.
    public static let authors = "courier"
    /// The value of the `org.opencontainers.image.title` annotation.
    public static let title = "attestation.json"
    /// The image name prefix when the attachment sets none.
    public static let defaultPrefix = "chainloop"
    /// The repository, under the registered one, where registration checks push permission.
    public static let permissionCheckRepository = "chainloop-test"
    /// The tag pushed.
    public static let tag = "latest"
    /// How long one registry request may take when the context does not say.
    public static let defaultRequestTimeout: Duration = .seconds(30)

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

    /// The non-secret registration state, as stored.
    struct Configuration: Codable, Hashable {
        var repository: String
        var insecure: Bool?
    }

    /// Validates the repository and checks that the credentials may push to it.
    ///
    /// - Throws: ``IntegrationValidationError``: `invalid repository …`, `the provided credentials are invalid`,
    ///   `the provided credentials don't have write permissions`, or `checking push permission: <cause>`.
    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        let reference = try RepositoryReference(parsing: input.repository)
        let insecure = input.insecure == true
        var client = Self.client(
            for: "\(reference.path)/\(Self.permissionCheckRepository)", of: reference, insecure: insecure, username: input.username,
            password: input.password, context: context
        )
        do throws(RegistryError) {
            try await client.checkPushPermission()
        } catch {
            switch error {
            case .invalidCredentials, .insufficientPermissions: throw IntegrationValidationError(error.description)
            default: throw IntegrationValidationError("checking push permission: \(error)")
            }
        }
        let configuration = Configuration(repository: reference.description, insecure: insecure ? true : nil)
        return Registration(
            configuration: try JSONValue(encoding: configuration),
            credentials: Credentials(username: input.username, password: input.password)
        )
    }

    /// Stores `{"prefix": <prefix or "">}`, as upstream; the prefix must be a valid repository name component.
    public func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        if let prefix = input.prefix, !RepositoryReference.isValidPathComponent(prefix) {
            throw IntegrationValidationError(
                "invalid prefix \"\(prefix)\": use lowercase letters and digits separated by '.', '_', '__' or '-'")
        }
        return ["prefix": .string(input.prefix ?? "")]
    }

    /// Pushes the attestation; the delivered reference is the manifest digest.
    public func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        let invalid = "running validation for workflow id \(request.workflow.id)"
        guard let configuration = try? request.registration.configuration.decode(as: Configuration.self),
            let reference = try? RepositoryReference(parsing: configuration.repository)
        else { return .rejected(reason: "\(invalid): the registration configuration is missing or malformed") }
        guard let credentials = request.registration.credentials, let username = credentials.username,
            let password = credentials.password, !password.isEmpty
        else { return .rejected(reason: "\(invalid): the registration credentials have no username or password") }
        var prefix = request.attachmentConfiguration.objectValue?["prefix"]?.stringValue ?? ""
        if prefix.isEmpty { prefix = Self.defaultPrefix }

        let envelope = request.attestation.envelope
        let artifact = OCIArtifact(envelope: envelope)
        var client = Self.client(
            for: "\(reference.path)/\(prefix)-\(artifact.layerDigest.dropFirst("sha256:".count))", of: reference,
            insecure: configuration.insecure == true, username: username, password: password, context: context
        )
        do throws(RegistryError) {
            try await client.uploadBlob(envelope, digest: artifact.layerDigest)
            try await client.uploadBlob(artifact.config, digest: artifact.configDigest)
            let digest = try await client.putManifest(artifact.manifest, mediaType: Self.manifestMediaType, tag: Self.tag)
            return .delivered(reference: digest)
        } catch {
            let reason = "pushing \(reference.registry)/\(client.name):\(Self.tag): \(error)"
                .replacingOccurrences(of: password, with: "<redacted>")
            guard error.isTransient else { return .rejected(reason: reason) }
            if case .unexpectedStatus(_, _, _, let retryAfter) = error { return .retryable(reason: reason, retryAfter: retryAfter) }
            return .retryable(reason: reason, retryAfter: nil)
        }
    }

    private static func client(
        for name: String, of reference: RepositoryReference, insecure: Bool, username: String, password: String,
        context: IntegrationContext
    ) -> RegistryClient {
        RegistryClient(
            name: name, baseURL: reference.baseURL(insecure: insecure), insecure: insecure, username: username, password: password,
            context: context, timeout: context.requestTimeout ?? defaultRequestTimeout
        )
    }
}

/// The blobs and manifest of one attestation artifact.
struct OCIArtifact {
    /// The config blob: a minimal image configuration whose only layer is the envelope.
    let config: Data
    /// `sha256:<hex>` of ``config``.
    let configDigest: String
    /// `sha256:<hex>` of the envelope, the layer.
    let layerDigest: String
    /// The image manifest.
    let manifest: Data

    init(envelope: Data) {
        layerDigest = "sha256:" + SHA256.hex(envelope)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let configuration = ImageConfiguration(
            architecture: "unknown", os: "unknown", rootfs: .init(type: "layers", diffIDs: [layerDigest]))
        config = (try? encoder.encode(configuration)) ?? Data("{}".utf8)
        configDigest = "sha256:" + SHA256.hex(config)
        let manifest = ImageManifest(
            schemaVersion: 2, mediaType: OCIRegistryIntegration.manifestMediaType,
            config: .init(mediaType: OCIRegistryIntegration.configMediaType, digest: configDigest, size: config.count, annotations: nil),
            layers: [
                .init(
                    mediaType: OCIRegistryIntegration.layerMediaType, digest: layerDigest, size: envelope.count,
                    annotations: ["org.opencontainers.image.title": OCIRegistryIntegration.title])
            ],
            annotations: [
                "org.opencontainers.image.authors": OCIRegistryIntegration.authors,
                "org.opencontainers.image.title": OCIRegistryIntegration.title,
            ]
        )
        self.manifest = (try? encoder.encode(manifest)) ?? Data()
    }

    private struct ImageConfiguration: Encodable {
        struct RootFS: Encodable {
            var type: String
            var diffIDs: [String]
            enum CodingKeys: String, CodingKey {
                case type
                case diffIDs = "diff_ids"
            }
        }
        var architecture: String
        var os: String
        var rootfs: RootFS
    }

    private struct ImageManifest: Encodable {
        struct Descriptor: Encodable {
            var mediaType: String
            var digest: String
            var size: Int
            var annotations: [String: String]?
        }
        var schemaVersion: Int
        var mediaType: String
        var config: Descriptor
        var layers: [Descriptor]
        var annotations: [String: String]
    }
}
