import Foundation

// The JSON shapes of the delivery routes.

/// A delivery: one attestation going to one attachment, or a test delivery.
public struct DeliveryDTO: Codable, Sendable, Equatable {
    public var id: String
    /// `pending`, `retrying`, `delivered`, `failed` or `skipped`.
    public var state: String
    /// `attestation`, `replay` or `test`.
    public var kind: String
    /// The registration's name and integration id.
    public var integration: String
    public var integrationKind: String
    /// `project/workflow`; empty for test deliveries.
    public var workflow: String
    /// The attestation's digest; empty for test deliveries.
    public var attestationDigest: String
    public var attempts: Int
    /// When the next attempt is due, for pending and retrying deliveries.
    public var nextAttemptAt: Date?
    /// The last outcome's reason.
    public var reason: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String,
        state: String,
        kind: String,
        integration: String,
        integrationKind: String,
        workflow: String,
        attestationDigest: String,
        attempts: Int,
        nextAttemptAt: Date?,
        reason: String,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.state = state
        self.kind = kind
        self.integration = integration
        self.integrationKind = integrationKind
        self.workflow = workflow
        self.attestationDigest = attestationDigest
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.reason = reason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One attempt at a delivery.
public struct DeliveryAttemptDTO: Codable, Sendable, Equatable {
    public var number: Int
    public var startedAt: Date
    public var durationMs: Int64
    /// `delivered`, `skipped`, `retryable` or `rejected`.
    public var outcome: String
    public var httpStatus: Int?
    /// The redacted reason; empty when delivered.
    public var error: String
    /// The delay the receiver asked for, in milliseconds.
    public var retryAfterMs: Int64?

    public init(number: Int, startedAt: Date, durationMs: Int64, outcome: String, httpStatus: Int?, error: String, retryAfterMs: Int64?) {
        self.number = number
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.error = error
        self.retryAfterMs = retryAfterMs
    }
}

/// One part of a multi-part delivery.
public struct DeliveryPartDTO: Codable, Sendable, Equatable {
    public var id: String
    public var outcome: String
    /// What the receiver returned for it, e.g. a Dependency-Track processing token.
    public var reference: String?

    public init(id: String, outcome: String, reference: String?) {
        self.id = id
        self.outcome = outcome
        self.reference = reference
    }
}

/// `GET /v1/deliveries/{id}`: a delivery with every attempt and part.
public struct DeliveryDetailDTO: Codable, Sendable, Equatable {
    public var delivery: DeliveryDTO
    public var attempts: [DeliveryAttemptDTO]
    public var parts: [DeliveryPartDTO]

    public init(delivery: DeliveryDTO, attempts: [DeliveryAttemptDTO], parts: [DeliveryPartDTO]) {
        self.delivery = delivery
        self.attempts = attempts
        self.parts = parts
    }
}

/// `GET /v1/deliveries`.
public struct DeliveryListDTO: Codable, Sendable, Equatable {
    public var deliveries: [DeliveryDTO]
    public init(deliveries: [DeliveryDTO]) { self.deliveries = deliveries }
}

/// `POST /v1/deliveries/retry-failed`.
public struct RetriedDTO: Codable, Sendable, Equatable {
    /// How many failed deliveries were made due again.
    public var retried: Int
    public init(retried: Int) { self.retried = retried }
}

/// `POST /v1/integrations/attached/{id}/replay`.
public struct ReplayRequest: Codable, Sendable, Equatable {
    /// Only attestations accepted at or after this time; all when absent.
    public var since: Date?
    public init(since: Date? = nil) { self.since = since }
}

/// The response of a replay.
public struct ReplayedDTO: Codable, Sendable, Equatable {
    /// How many deliveries were created.
    public var created: Int
    public init(created: Int) { self.created = created }
}
