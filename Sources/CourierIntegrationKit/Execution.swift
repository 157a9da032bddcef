import CourierCore
import Foundation

/// Everything one execution of an attachment receives: which workflow run produced the attestation, the attestation,
/// the subscribed materials, the stored registration and attachment, and where a retried delivery left off.
public struct ExecutionRequest: Sendable {
    /// The workflow whose run produced the attestation.
    public var workflow: WorkflowMetadata
    /// The run.
    public var run: RunMetadata
    /// The attestation.
    public var attestation: AttestationInput
    /// The run's materials of the types the integration subscribes to, in attestation order (possibly none).
    public var materials: [ExecutionMaterial]
    /// The registration: stored configuration and decrypted credentials.
    public var registration: Registration
    /// The attachment's stored configuration (an empty object when the integration has no attachment inputs).
    public var attachmentConfiguration: JSONValue
    /// Which delivery this is and which of its parts earlier attempts delivered.
    public var progress: DeliveryProgress

    /// Creates a request.
    public init(
        workflow: WorkflowMetadata,
        run: RunMetadata,
        attestation: AttestationInput,
        materials: [ExecutionMaterial],
        registration: Registration,
        attachmentConfiguration: JSONValue,
        progress: DeliveryProgress
    ) {
        self.workflow = workflow
        self.run = run
        self.attestation = attestation
        self.materials = materials
        self.registration = registration
        self.attachmentConfiguration = attachmentConfiguration
        self.progress = progress
    }
}

/// Upstream's `Workflow` metadata.
public struct WorkflowMetadata: Sendable, Hashable, Codable {
    /// The workflow ID.
    public var id: String
    /// The workflow name.
    public var name: String
    /// The team, possibly empty.
    public var team: String
    /// The project name.
    public var project: String

    /// Creates workflow metadata.
    public init(id: String, name: String, team: String, project: String) {
        self.id = id
        self.name = name
        self.team = team
        self.project = project
    }
}

/// Upstream's `WorkflowRun` metadata.
public struct RunMetadata: Sendable, Hashable, Codable {
    /// The run ID.
    public var id: String
    /// The run state, e.g. `success`.
    public var state: String
    /// When the run started.
    public var startedAt: Date
    /// When the run finished, if it has.
    public var finishedAt: Date?
    /// The runner type enum name, e.g. `GITHUB_ACTION`.
    public var runnerType: String
    /// The CI job URL, possibly empty.
    public var runURL: String
    /// `sha256:<hex>` of the stored attestation bundle.
    public var attestationDigest: String

    /// Creates run metadata.
    public init(
        id: String, state: String, startedAt: Date, finishedAt: Date?, runnerType: String, runURL: String,
        attestationDigest: String
    ) {
        self.id = id
        self.state = state
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.runnerType = runnerType
        self.runURL = runURL
        self.attestationDigest = attestationDigest
    }
}

/// The attestation as integrations receive it.
public struct AttestationInput: Sendable, Hashable {
    /// The DSSE envelope JSON, `{"payloadType","payload","signatures":[{"keyid","sig"}]}`.
    public var envelope: Data
    /// `sha256:<hex>` of ``envelope``.
    public var hash: String
    /// The attestation-level annotations.
    public var annotations: [String: String]

    /// Creates an attestation input.
    public init(envelope: Data, hash: String, annotations: [String: String] = [:]) {
        self.envelope = envelope
        self.hash = hash
        self.annotations = annotations
    }
}

/// One material of a subscribed type. Its bytes are read on demand through ``content``, because CAS-stored
/// materials are streamed from the store only when an integration sends them.
public struct ExecutionMaterial: Sendable {
    /// The material name from the contract.
    public var name: String
    /// The material type.
    public var type: MaterialType
    /// The file name for uploaded or inline artifacts.
    public var filename: String?
    /// The string value or resource name (e.g. an image reference); `nil` for CAS artifacts.
    public var value: String?
    /// `sha256:<hex>`, if known.
    public var digest: String?
    /// All material annotations, including `chainloop.*` ones.
    public var annotations: [String: String]
    /// The material's bytes.
    public var content: MaterialContent

    /// Creates a material.
    public init(
        name: String, type: MaterialType, filename: String? = nil, value: String? = nil, digest: String? = nil,
        annotations: [String: String] = [:], content: MaterialContent
    ) {
        self.name = name
        self.type = type
        self.filename = filename
        self.value = value
        self.digest = digest
        self.annotations = annotations
        self.content = content
    }
}

/// A material's bytes, read in chunks each time they are opened (from CAS, or from the inline value), so that a large
/// SBOM is streamed to its destination and never held in memory whole.
public struct MaterialContent: Sendable {
    /// The size in bytes.
    public let size: Int64
    /// The SHA-256 of the bytes when it is known without reading them (CAS content is stored under it).
    public let digest: ContentDigest?
    private let makeReader: @Sendable () throws -> any ContentReader

    /// Content of `size` bytes read from the readers `open` returns.
    public init(size: Int64, digest: ContentDigest? = nil, open: @escaping @Sendable () throws -> any ContentReader) {
        self.size = size
        self.digest = digest
        self.makeReader = open
    }

    /// Content already in memory.
    public static func inline(_ data: Data) -> MaterialContent {
        MaterialContent(size: Int64(data.count)) { DataReader(data) }
    }

    /// A new reader positioned at the first byte; the caller closes it.
    ///
    /// - Throws: When the content cannot be opened, e.g. it vanished from CAS.
    public func open() throws -> any ContentReader {
        try makeReader()
    }

    /// The content as a request body streamed from a fresh reader each time it is sent.
    public var bodyStream: HTTPBodyStream {
        HTTPBodyStream(length: size, open: makeReader)
    }
}

/// Identifies a delivery across attempts and records which of its parts are already delivered, so that a retry of a
/// multi-part integration (one upload per SBOM, attestation + SBOMs) sends only what is missing.
///
/// Part IDs are chosen by the integration and must be stable across attempts, e.g. `attestation` or
/// `material:<name>`.
public struct DeliveryProgress: Sendable, Hashable {
    /// The delivery ID, stable across attempts (usable as an idempotency key).
    public var deliveryID: String
    /// 1 for the first attempt.
    public var attempt: Int
    /// Parts delivered by earlier attempts, with the reference each returned (empty when none).
    public var deliveredParts: [String: String]

    /// Creates progress for a delivery.
    public init(deliveryID: String, attempt: Int = 1, deliveredParts: [String: String] = [:]) {
        self.deliveryID = deliveryID
        self.attempt = attempt
        self.deliveredParts = deliveredParts
    }

    /// Whether an earlier attempt delivered `partID`.
    public func isDelivered(_ partID: String) -> Bool {
        deliveredParts[partID] != nil
    }
}

/// How an execution ended; the dispatcher records it and decides whether to retry.
public enum ExecutionOutcome: Sendable, Hashable {
    /// The receiver accepted the delivery; the reference identifies it there (a project UUID, a digest).
    case delivered(reference: String?)
    /// Nothing to do for this attestation (no matching material, filter not met).
    case skipped(reason: String)
    /// A transient failure (5xx, 429, timeout): try again, no earlier than `retryAfter` if given.
    case retryable(reason: String, retryAfter: Duration?)
    /// A permanent failure (4xx, invalid configuration): never retried, shown to the operator.
    case rejected(reason: String)
    /// One outcome per part of a multi-part delivery; parts are never themselves multi-part.
    case parts([PartOutcome])

    /// The outcome the dispatcher acts on: for ``parts(_:)``, retryable if any part is, else rejected if any part is,
    /// else delivered if any part is, else skipped.
    public var overall: ExecutionOutcome {
        guard case .parts(let parts) = self else { return self }
        let outcomes = parts.map(\.outcome.overall)
        if let retry = outcomes.first(where: { if case .retryable = $0 { true } else { false } }) { return retry }
        if let rejection = outcomes.first(where: { if case .rejected = $0 { true } else { false } }) { return rejection }
        if outcomes.contains(where: { if case .delivered = $0 { true } else { false } }) {
            return .delivered(reference: nil)
        }
        return .skipped(reason: outcomes.isEmpty ? "no parts to deliver" : "every part was skipped")
    }
}

/// The outcome of one part of a multi-part delivery.
public struct PartOutcome: Sendable, Hashable {
    /// The part ID, as in ``DeliveryProgress/deliveredParts``.
    public var partID: String
    /// What happened to it.
    public var outcome: ExecutionOutcome

    /// Creates a part outcome.
    public init(partID: String, outcome: ExecutionOutcome) {
        self.partID = partID
        self.outcome = outcome
    }
}
