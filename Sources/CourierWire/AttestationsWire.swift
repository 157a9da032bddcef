import Foundation

// The JSON shapes of the attestation and key routes. `POST /v1/attestations?project=P&workflow=W` takes the DSSE
// envelope or Sigstore bundle itself as its body.

/// One material of an attestation, as normalised on ingestion.
public struct MaterialDTO: Codable, Sendable, Equatable {
    public var name: String
    /// The material type, e.g. `SBOM_CYCLONEDX_JSON`.
    public var type: String
    public var filename: String?
    public var value: String?
    public var digest: String?
    public var uploadedToCAS: Bool
    public var embeddedInline: Bool

    public init(name: String, type: String, filename: String?, value: String?, digest: String?, uploadedToCAS: Bool, embeddedInline: Bool) {
        self.name = name
        self.type = type
        self.filename = filename
        self.value = value
        self.digest = digest
        self.uploadedToCAS = uploadedToCAS
        self.embeddedInline = embeddedInline
    }
}

/// An accepted attestation (one finished workflow run).
public struct AttestationDTO: Codable, Sendable, Equatable {
    /// Also the id of the workflow run.
    public var id: String
    /// `sha256:<hex>` of the DSSE envelope.
    public var digest: String
    public var project: String
    public var workflow: String
    public var runnerType: String
    public var runURL: String
    /// The organization key that verified it; absent when the organization has no keys.
    public var verifiedBy: String?
    public var annotations: [String: String]
    public var materials: [MaterialDTO]
    /// E.g. CAS content the push did not upload yet.
    public var warnings: [String]
    public var createdAt: Date

    public init(
        id: String,
        digest: String,
        project: String,
        workflow: String,
        runnerType: String,
        runURL: String,
        verifiedBy: String?,
        annotations: [String: String],
        materials: [MaterialDTO],
        warnings: [String],
        createdAt: Date
    ) {
        self.id = id
        self.digest = digest
        self.project = project
        self.workflow = workflow
        self.runnerType = runnerType
        self.runURL = runURL
        self.verifiedBy = verifiedBy
        self.annotations = annotations
        self.materials = materials
        self.warnings = warnings
        self.createdAt = createdAt
    }
}

/// The response of a push.
public struct PushedAttestationDTO: Codable, Sendable, Equatable {
    public var attestation: AttestationDTO
    /// Deliveries this push created (0 for a repeated push).
    public var deliveries: Int
    /// Whether the workflow already had this attestation (nothing new was created).
    public var duplicate: Bool

    public init(attestation: AttestationDTO, deliveries: Int, duplicate: Bool) {
        self.attestation = attestation
        self.deliveries = deliveries
        self.duplicate = duplicate
    }
}

/// `GET /v1/attestations`.
public struct AttestationListDTO: Codable, Sendable, Equatable {
    public var attestations: [AttestationDTO]
    public init(attestations: [AttestationDTO]) { self.attestations = attestations }
}

/// `GET /v1/attestations/{digest}`: the attestation, its envelope and its deliveries.
public struct AttestationDetailDTO: Codable, Sendable, Equatable {
    public var attestation: AttestationDTO
    /// The DSSE envelope as JSON text.
    public var envelope: String
    public var deliveries: [DeliveryDTO]

    public init(attestation: AttestationDTO, envelope: String, deliveries: [DeliveryDTO]) {
        self.attestation = attestation
        self.envelope = envelope
        self.deliveries = deliveries
    }
}

/// `POST /v1/keys`.
public struct AddKeyRequest: Codable, Sendable, Equatable {
    public var name: String
    /// The public key, PEM (`-----BEGIN PUBLIC KEY-----`): ECDSA P-256, Ed25519 or RSA ≥ 2048 bits.
    public var publicKey: String

    public init(name: String, publicKey: String) {
        self.name = name
        self.publicKey = publicKey
    }
}

/// A verification key of the organization.
public struct KeyDTO: Codable, Sendable, Equatable {
    public var name: String
    /// Hex SHA-256 of the key's DER form: the `keyid` signatures carry.
    public var keyID: String
    /// `ecdsa-p256`, `ed25519` or `rsa`.
    public var algorithm: String
    public var createdAt: Date

    public init(name: String, keyID: String, algorithm: String, createdAt: Date) {
        self.name = name
        self.keyID = keyID
        self.algorithm = algorithm
        self.createdAt = createdAt
    }
}

/// `GET /v1/keys`.
public struct KeyListDTO: Codable, Sendable, Equatable {
    public var keys: [KeyDTO]
    public init(keys: [KeyDTO]) { self.keys = keys }
}
