import CourierAWS
import CourierCore
import CourierCrypto
import CourierGCS
import CourierIntegrationKit
import Foundation

/// Exports attestations and SBOMs to a blob store that guacsec/guac ingests (upstream `guac` v1.0, with Courier's
/// S3-compatible provider).
///
/// - `gcs` (upstream's only provider): the JSON API, authenticated with the service-account JSON in `credentials`
///   (RS256 JWT exchanged for an OAuth2 token); with `endpoint` set, requests go there without OAuth, as Google's
///   libraries do for `STORAGE_EMULATOR_HOST`.
/// - `s3`: SigV4-signed requests to AWS (`region`), or to `endpoint` (MinIO, other S3-compatible stores), with
///   virtual-hosted or (`pathStyle`) path-style bucket addressing.
///
/// Registration checks the bucket as upstream does: it must exist, and a test object `chainloop-test-write` must be
/// writable (it is deleted again). Each delivery uploads the attestation's DSSE envelope as
/// `chainloop/attestation-<hash hex>.json` and each subscribed SBOM as `chainloop/<basename>-<sha256 hex><ext>`, one
/// part per object, with upstream's metadata; a retry uploads only the objects not yet stored.
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

        /// Creates the input; `nil` options take their defaults.
        public init(
            provider: String? = nil, bucket: String, credentials: String? = nil, region: String? = nil, accessKeyID: String? = nil,
            secretAccessKey: String? = nil, endpoint: String? = nil, pathStyle: Bool? = nil
        ) {
            self.provider = provider
            self.bucket = bucket
            self.credentials = credentials
            self.region = region
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.endpoint = endpoint
            self.pathStyle = pathStyle
        }

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
        let bucketName = input.bucket
        guard !bucketName.isEmpty else { throw IntegrationValidationError("no bucket provided") }
        let settings = try StoreSettings(input)
        let bucket = try settings.bucket(context: context)
        do {
            try await bucket.check()
        } catch .bucketNotFound {
            throw IntegrationValidationError("the bucket \(bucketName) does not exist")
        } catch .credentialsRefused(let cause) {
            throw IntegrationValidationError(settings.refusalMessage(cause))
        } catch .forbidden {
            // S3 answers HEAD without a body, so the test write below says why (bad signature, unknown key, no permission).
        } catch .transient(let reason, _), .permanent(let reason) {
            throw IntegrationValidationError("checking the bucket: \(settings.redacted(reason))")
        }
        do {
            try await bucket.upload(
                Self.testObjectName, content: BucketObject(Data()), contentType: "application/octet-stream", metadata: [:]
            )
        } catch .credentialsRefused(let cause) {
            throw IntegrationValidationError(settings.refusalMessage(cause))
        } catch .bucketNotFound {
            throw IntegrationValidationError("the bucket \(bucketName) does not exist")
        } catch .transient(let reason, _), .permanent(let reason), .forbidden(let reason) {
            throw IntegrationValidationError("we can't write to the bucket \(bucketName): \(settings.redacted(reason))")
        }
        try? await bucket.delete(Self.testObjectName)
        return Registration(configuration: settings.configuration, credentials: settings.credentials)
    }

    /// Uploads each object not yet delivered, one part per object, stopping at the first failure (the remaining parts
    /// are reported as not attempted, with the same classification).
    public func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        let settings: StoreSettings
        let bucket: any GUACBucket
        do {
            settings = try StoreSettings(configuration: request.registration.configuration, credentials: request.registration.credentials)
            bucket = try settings.bucket(context: context)
        } catch {
            return .rejected(reason: error.message)
        }
        let metadata = [
            "author": "chainloop", "workflowID": request.workflow.id, "workflowName": request.workflow.name,
            "workflowProject": request.workflow.project, "workflowRunID": request.run.id,
        ]
        var outcomes: [PartOutcome] = []
        var earlierFailure: ExecutionOutcome?

        func deliver(_ partID: String, payload: () -> Result<(name: String, content: BucketObject), PayloadFailure>) async {
            if let reference = request.progress.deliveredParts[partID] {
                outcomes.append(PartOutcome(partID: partID, outcome: .delivered(reference: reference.isEmpty ? nil : reference)))
                return
            }
            if let earlierFailure {
                outcomes.append(PartOutcome(partID: partID, outcome: Self.notAttempted(after: earlierFailure)))
                return
            }
            let outcome: ExecutionOutcome
            switch payload() {
            case .failure(let failure):
                outcome = failure.outcome
            case .success(let object):
                var objectMetadata = metadata
                objectMetadata["filename"] = object.name
                do {
                    try await bucket.upload(
                        object.name, content: object.content, contentType: Self.contentType(of: object.name), metadata: objectMetadata
                    )
                    outcome = .delivered(reference: bucket.reference(to: object.name))
                } catch {
                    outcome = settings.outcome(of: error, uploading: object.name)
                }
            }
            switch outcome {
            case .retryable, .rejected: earlierFailure = outcome
            default: break
            }
            outcomes.append(PartOutcome(partID: partID, outcome: outcome))
        }

        await deliver(Self.attestationPartID) {
            guard let name = Self.attestationObjectName(hash: request.attestation.hash) else {
                return .failure(.rejected("the attestation has no sha256 hash"))
            }
            return .success((name, BucketObject(request.attestation.envelope)))
        }
        for material in request.materials where Self.descriptor.subscribedMaterials.contains(material.type) {
            await deliver("material:\(material.name)") {
                Self.object(of: material)
            }
        }
        return .parts(outcomes)
    }

    /// The name of the object registration writes and deletes to prove it may write.
    public static let testObjectName = "chainloop-test-write"
    /// The folder objects go to.
    public static let objectPrefix = "chainloop"
    /// The part ID of the attestation.
    public static let attestationPartID = "attestation"

    /// `chainloop/attestation-<hex>.json` for an attestation hash `sha256:<hex>`, or `nil` when it is not one.
    public static func attestationObjectName(hash: String) -> String? {
        let hex = hash.hasPrefix("sha256:") ? String(hash.dropFirst("sha256:".count)) : hash
        guard !hex.isEmpty else { return nil }
        return uniqueFilename(prefix: objectPrefix, filename: "attestation.json", digest: hex)
    }

    /// `<prefix>/<basename without extension>-<digest><extension>`, upstream's `uniqueFilename`: `sbom.json` →
    /// `sbom-deadbeef.json`; the extension is what follows the base name's last dot.
    public static func uniqueFilename(prefix: String, filename: String, digest: String) -> String {
        let base = filename.split(separator: "/").last.map(String.init) ?? filename
        let extensionStart = base.lastIndex(of: ".") ?? base.endIndex
        let name = "\(base[..<extensionStart])-\(digest)\(base[extensionStart...])"
        return prefix.isEmpty ? name : "\(prefix)/\(name)"
    }

    /// The object name of a material: from its file name (its name when it has none) and its sha256 digest (of the
    /// content, `contentHex`, when it has none).
    static func materialObjectName(_ material: ExecutionMaterial, contentHex: String) -> String {
        let digest = material.digest.flatMap { $0.hasPrefix("sha256:") ? String($0.dropFirst("sha256:".count)) : nil } ?? contentHex
        let filename = material.filename.flatMap { $0.isEmpty ? nil : $0 } ?? material.name
        return uniqueFilename(prefix: objectPrefix, filename: filename, digest: digest)
    }

    /// `application/json` for `.json` objects, as upstream sets it; `application/octet-stream` otherwise.
    static func contentType(of objectName: String) -> String {
        objectName.hasSuffix(".json") ? "application/json" : "application/octet-stream"
    }

    /// A material's object, its bytes streamed from the store when uploaded; an empty material is skipped. The SHA-256
    /// of CAS content is its digest; other content is read once to compute it, and a failed read is retried later.
    private static func object(of material: ExecutionMaterial) -> Result<(name: String, content: BucketObject), PayloadFailure> {
        let content = material.content
        guard content.size > 0 else { return .failure(.skipped("material \(material.name) has no content")) }
        let contentHex: String
        if let digest = content.digest {
            contentHex = digest.hex
        } else {
            do {
                let reader = try content.open()
                defer { reader.close() }
                var hasher = SHA256.Hasher()
                while let chunk = try reader.nextChunk() { hasher.update(chunk) }
                contentHex = hasher.finalize().hexString
            } catch {
                return .failure(.retryable("reading material \(material.name) failed: \(error)"))
            }
        }
        let object = BucketObject(body: .stream(content.bodyStream), sha256Hex: contentHex)
        return .success((materialObjectName(material, contentHex: contentHex), object))
    }

    /// The outcome of a part left out because an earlier one failed.
    private static func notAttempted(after failure: ExecutionOutcome) -> ExecutionOutcome {
        switch failure {
        case .retryable(let reason, let retryAfter):
            .retryable(reason: "not attempted after an earlier upload failed: \(reason)", retryAfter: retryAfter)
        default: .rejected(reason: "not attempted after an earlier upload failed")
        }
    }
}

/// Why a part's object could not be produced, and what that means for the part.
enum PayloadFailure: Error {
    /// Nothing to send (an empty SBOM).
    case skipped(String)
    /// Worth trying again (the material store did not answer).
    case retryable(String)
    /// Will never work (an attestation without a hash).
    case rejected(String)

    var outcome: ExecutionOutcome {
        switch self {
        case .skipped(let reason): .skipped(reason: reason)
        case .retryable(let reason): .retryable(reason: reason, retryAfter: nil)
        case .rejected(let reason): .rejected(reason: reason)
        }
    }
}
