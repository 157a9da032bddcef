import Foundation

/// A public key of an organization; once an organization has any, every pushed attestation must verify with one.
public struct OrganizationKey: Sendable, Hashable {
    public var id: String
    public var organizationID: String
    /// A DNS-1123 label, unique in the organization.
    public var name: String
    /// The SPKI public key in PEM form.
    public var publicKeyPEM: String
    public var createdAt: Date

    public init(id: String, organizationID: String, name: String, publicKeyPEM: String, createdAt: Date) {
        self.id = id
        self.organizationID = organizationID
        self.name = name
        self.publicKeyPEM = publicKeyPEM
        self.createdAt = createdAt
    }
}

/// One material of an attestation, normalised as upstream does (see the upstream spec §2.8).
public struct StoredMaterial: Sendable, Hashable, Codable {
    public var name: String
    /// The material type's upstream enum name, e.g. `SBOM_CYCLONEDX_JSON`.
    public var type: String
    /// The file name of an uploaded or inline artifact.
    public var filename: String?
    /// The string value, or the resource name (e.g. an image reference).
    public var value: String?
    /// `sha256:<hex>`, when known.
    public var digest: String?
    /// The container image tag.
    public var tag: String?
    /// Whether the bytes are in CAS under ``digest``.
    public var uploadedToCAS: Bool
    /// Whether the bytes are inline in the attestation (``inlineContent``).
    public var embeddedInline: Bool
    /// The inline bytes of an inline-embedded material.
    public var inlineContent: Data?
    /// Every material annotation, including `chainloop.*` ones.
    public var annotations: [String: String]

    public init(
        name: String,
        type: String,
        filename: String? = nil,
        value: String? = nil,
        digest: String? = nil,
        tag: String? = nil,
        uploadedToCAS: Bool = false,
        embeddedInline: Bool = false,
        inlineContent: Data? = nil,
        annotations: [String: String] = [:]
    ) {
        self.name = name
        self.type = type
        self.filename = filename
        self.value = value
        self.digest = digest
        self.tag = tag
        self.uploadedToCAS = uploadedToCAS
        self.embeddedInline = embeddedInline
        self.inlineContent = inlineContent
        self.annotations = annotations
    }
}

/// An accepted attestation: one finished workflow run.
public struct AttestationRecord: Sendable, Hashable {
    /// Also the id of the workflow run it finished.
    public var id: String
    public var organizationID: String
    public var workflowID: String
    /// `sha256:<hex>` of ``envelope``: the attestation's identity.
    public var digest: String
    /// The DSSE envelope as compact JSON `{"payloadType","payload","signatures":[{"keyid","sig"}]}`.
    public var envelope: Data
    public var annotations: [String: String]
    public var materials: [StoredMaterial]
    /// The CI runner type's enum name, e.g. `GITHUB_ACTION`.
    public var runnerType: String
    public var runURL: String
    /// When the run started, if the predicate says.
    public var startedAt: Date?
    /// The name of the organization key that verified it, or `nil` when the organization had none.
    public var verifiedBy: String?
    /// Things the push should know about, e.g. CAS content not uploaded yet.
    public var warnings: [String]
    /// When Courier accepted it; the run's finish time.
    public var createdAt: Date

    public init(
        id: String,
        organizationID: String,
        workflowID: String,
        digest: String,
        envelope: Data,
        annotations: [String: String],
        materials: [StoredMaterial],
        runnerType: String,
        runURL: String,
        startedAt: Date?,
        verifiedBy: String?,
        warnings: [String],
        createdAt: Date
    ) {
        self.id = id
        self.organizationID = organizationID
        self.workflowID = workflowID
        self.digest = digest
        self.envelope = envelope
        self.annotations = annotations
        self.materials = materials
        self.runnerType = runnerType
        self.runURL = runURL
        self.startedAt = startedAt
        self.verifiedBy = verifiedBy
        self.warnings = warnings
        self.createdAt = createdAt
    }

    /// Digests of the materials whose bytes live in CAS.
    public var contentDigests: [String] {
        materials.filter(\.uploadedToCAS).compactMap(\.digest)
    }
}

/// Where a delivery stands.
public enum DeliveryState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its first attempt.
    case pending
    /// An attempt failed transiently; another is scheduled.
    case retrying
    /// The receiver accepted it.
    case delivered
    /// Permanently rejected, or the retry budget ran out.
    case failed
    /// Nothing to deliver (e.g. a filter did not match).
    case skipped

    /// Whether no further attempt will be made.
    public var isFinal: Bool { self == .delivered || self == .failed || self == .skipped }
}

/// Why a delivery exists.
public enum DeliveryKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// An attestation pushed to a workflow with the registration attached.
    case attestation
    /// A past attestation backfilled into a new attachment.
    case replay
    /// A test delivery of a registration, asked for by an operator.
    case test
}

/// One attestation going to one attachment (or a test delivery to one registration): the durable outbox record.
public struct Delivery: Sendable, Hashable {
    public var id: String
    public var organizationID: String
    public var registrationID: String
    /// `nil` for test deliveries.
    public var attachmentID: String?
    /// `nil` for test deliveries.
    public var attestationID: String?
    /// The attestation's workflow; `nil` for test deliveries.
    public var workflowID: String?
    public var kind: DeliveryKind
    public var state: DeliveryState
    /// Attempts made so far.
    public var attempts: Int
    /// Attempts made before the last manual retry; the retry budget counts only the attempts after it.
    public var budgetStart: Int
    /// When the next attempt is due (for pending and retrying deliveries).
    public var nextAttemptAt: Date
    /// The worker holding the delivery, until ``leaseExpiresAt``.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// The last outcome's reason (empty when delivered).
    public var reason: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String,
        organizationID: String,
        registrationID: String,
        attachmentID: String?,
        attestationID: String?,
        workflowID: String?,
        kind: DeliveryKind,
        state: DeliveryState = .pending,
        attempts: Int = 0,
        budgetStart: Int = 0,
        nextAttemptAt: Date,
        leaseOwner: String? = nil,
        leaseExpiresAt: Date? = nil,
        reason: String = "",
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.organizationID = organizationID
        self.registrationID = registrationID
        self.attachmentID = attachmentID
        self.attestationID = attestationID
        self.workflowID = workflowID
        self.kind = kind
        self.state = state
        self.attempts = attempts
        self.budgetStart = budgetStart
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.reason = reason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// How one attempt ended.
public enum AttemptOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    case delivered, skipped, retryable, rejected
}

/// One attempt at a delivery, recorded whatever its outcome.
public struct DeliveryAttempt: Sendable, Hashable {
    public var deliveryID: String
    /// 1 for the first attempt.
    public var number: Int
    public var startedAt: Date
    public var durationMilliseconds: Int64
    public var outcome: AttemptOutcome
    /// The receiver's HTTP status, when the integration reported one.
    public var httpStatus: Int?
    /// The reason, redacted by the integration (empty when delivered).
    public var error: String
    /// A delay the receiver asked for (`Retry-After`), in milliseconds.
    public var retryAfterMilliseconds: Int64?

    public init(
        deliveryID: String,
        number: Int,
        startedAt: Date,
        durationMilliseconds: Int64,
        outcome: AttemptOutcome,
        httpStatus: Int? = nil,
        error: String = "",
        retryAfterMilliseconds: Int64? = nil
    ) {
        self.deliveryID = deliveryID
        self.number = number
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.error = error
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }
}

/// One part of a multi-part delivery (one SBOM upload, say) and whether it is done.
public struct DeliveryPart: Sendable, Hashable {
    public var deliveryID: String
    /// Stable across attempts, chosen by the integration (e.g. `material:sbom`).
    public var partID: String
    /// `delivered`, `skipped`, `retryable` or `rejected` at the last attempt that touched it.
    public var outcome: AttemptOutcome
    /// What the receiver returned for it (e.g. a Dependency-Track processing token).
    public var reference: String?
    public var updatedAt: Date

    public init(deliveryID: String, partID: String, outcome: AttemptOutcome, reference: String?, updatedAt: Date) {
        self.deliveryID = deliveryID
        self.partID = partID
        self.outcome = outcome
        self.reference = reference
        self.updatedAt = updatedAt
    }
}

/// Which deliveries a listing wants.
public struct DeliveryFilter: Sendable, Hashable {
    public var state: DeliveryState?
    public var registrationID: String?
    public var workflowID: String?
    public var attestationID: String?
    /// At most this many, newest first.
    public var limit: Int

    public init(state: DeliveryState? = nil, registrationID: String? = nil, workflowID: String? = nil, attestationID: String? = nil, limit: Int = 100)
    {
        self.state = state
        self.registrationID = registrationID
        self.workflowID = workflowID
        self.attestationID = attestationID
        self.limit = limit
    }
}

/// Deliveries counted by state and integration kind, for metrics.
public struct DeliveryCount: Sendable, Hashable {
    public var integrationKind: String
    public var state: DeliveryState
    public var count: Int

    public init(integrationKind: String, state: DeliveryState, count: Int) {
        self.integrationKind = integrationKind
        self.state = state
        self.count = count
    }
}
