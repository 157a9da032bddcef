import CourierCore
import Foundation

/// What operators do with deliveries: list and inspect them, retry failed ones, send a test delivery, and backfill
/// past attestations into a new attachment.
public struct DeliveryService: Sendable {
    let store: any Store
    let environment: ServiceEnvironment
    let engine: DeliveryEngine

    public init(store: any Store, environment: ServiceEnvironment, engine: DeliveryEngine) {
        self.store = store
        self.environment = environment
        self.engine = engine
    }

    /// A delivery with what it links, as operators see it.
    public struct DeliveryView: Sendable, Hashable {
        public var delivery: Delivery
        public var integrationName: String
        public var integrationKind: String
        /// `project/workflow`, empty for test deliveries.
        public var workflow: String
        /// The attestation's digest, empty for test deliveries.
        public var attestationDigest: String
    }

    /// A delivery with every attempt and part.
    public struct DeliveryDetail: Sendable, Hashable {
        public var view: DeliveryView
        public var attempts: [DeliveryAttempt]
        public var parts: [DeliveryPart]
    }

    /// The organization's deliveries, newest first.
    ///
    /// - Parameters:
    ///   - integration: a registration name.
    ///   - project, workflow: a workflow (both or neither).
    public func list(
        state: DeliveryState?,
        integration: String?,
        project: String?,
        workflow: String?,
        limit: Int = 100,
        by principal: Principal
    ) async throws -> [DeliveryView] {
        try principal.require(.read)
        if (project == nil) != (workflow == nil) {
            throw CourierError.invalid("Give both --project and --workflow to list one workflow's deliveries, or neither.")
        }
        let organizationID = principal.organizationID
        return try await store.read { tx in
            var filter = DeliveryFilter(state: state, limit: max(1, min(limit, 1_000)))
            if let integration {
                let registration = try tx.requireRegistration(organizationID: organizationID, name: integration)
                filter.registrationID = registration.id
            }
            if let project, let workflow {
                let found = try tx.requireWorkflow(organizationID: organizationID, project: project, name: workflow)
                filter.workflowID = found.id
            }
            return try tx.deliveries(organizationID: organizationID, filter: filter).map { try Self.view(of: $0, in: tx) }
        }
    }

    /// One delivery with its attempts and parts.
    public func describe(id: String, by principal: Principal) async throws -> DeliveryDetail {
        try principal.require(.read)
        let organizationID = principal.organizationID
        return try await store.read { tx in try Self.detail(id: id, organizationID: organizationID, in: tx) }
    }

    /// Makes a failed delivery due now with a fresh retry budget; parts already delivered are not sent again.
    ///
    /// - Throws: `failed_precondition` unless the delivery failed.
    public func retry(id: String, by principal: Principal) async throws -> DeliveryView {
        try principal.require(.manage)
        let organizationID = principal.organizationID
        let now = environment.now()
        let view = try await store.write { tx in
            guard let delivery = try tx.delivery(organizationID: organizationID, id: id) else { throw Self.notFound(id) }
            guard delivery.state == .failed else {
                throw CourierError(
                    .failedPrecondition,
                    "Delivery \(id) is \(delivery.state.rawValue); only failed deliveries can be retried."
                )
            }
            let retried = Self.rescheduled(delivery, at: now)
            try tx.updateDelivery(retried)
            return try Self.view(of: retried, in: tx)
        }
        engine.wake()
        return view
    }

    /// Retries every failed delivery of the organization; returns how many.
    public func retryAllFailed(by principal: Principal) async throws -> Int {
        try principal.require(.manage)
        let organizationID = principal.organizationID
        let now = environment.now()
        let count = try await store.write { tx in
            let failed = try tx.deliveries(organizationID: organizationID, filter: DeliveryFilter(state: .failed, limit: Int.max))
            for delivery in failed {
                try tx.updateDelivery(Self.rescheduled(delivery, at: now))
            }
            return failed.count
        }
        engine.wake()
        return count
    }

    /// Sends a test delivery to a registration now and waits for its first attempt's outcome (up to `timeout`).
    public func test(registration name: String, timeout: Duration = .seconds(35), by principal: Principal) async throws -> DeliveryDetail {
        try principal.require(.manage)
        try Names.validateLabel(name, what: "integration name")
        let organizationID = principal.organizationID
        let now = environment.now()
        let id = environment.newID()
        try await store.write { tx in
            let registration = try tx.requireRegistration(organizationID: organizationID, name: name)
            try tx.insertDelivery(
                Delivery(
                    id: id,
                    organizationID: organizationID,
                    registrationID: registration.id,
                    attachmentID: nil,
                    attestationID: nil,
                    workflowID: nil,
                    kind: .test,
                    nextAttemptAt: now,
                    createdAt: now,
                    updatedAt: now
                )
            )
        }
        engine.wake()
        let deadline = ContinuousClock.now + timeout
        while true {
            let detail = try await store.read { tx in try Self.detail(id: id, organizationID: organizationID, in: tx) }
            if !detail.attempts.isEmpty || ContinuousClock.now >= deadline { return detail }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Creates deliveries of the workflow's past attestations (since `since`, if given) to an attachment, skipping
    /// attestations it already has a delivery of; returns how many were created.
    public func replay(attachmentID: String, since: Date?, by principal: Principal) async throws -> Int {
        try principal.require(.manage)
        let organizationID = principal.organizationID
        let now = environment.now()
        let env = environment
        let created = try await store.write { tx in
            guard let attachment = try tx.attachment(organizationID: organizationID, id: attachmentID) else {
                throw CourierError.notFound(
                    "No attachment with id '\(attachmentID)'; 'courier integration attached list' shows the attachments."
                )
            }
            let attestations = try tx.attestations(
                organizationID: organizationID,
                workflowID: attachment.workflowID,
                since: since,
                oldestFirst: true,
                limit: Int.max
            )
            var created = 0
            for attestation in attestations where try !tx.deliveryExists(attestationID: attestation.id, attachmentID: attachment.id) {
                try tx.insertDelivery(
                    Delivery(
                        id: env.newID(),
                        organizationID: organizationID,
                        registrationID: attachment.registrationID,
                        attachmentID: attachment.id,
                        attestationID: attestation.id,
                        workflowID: attachment.workflowID,
                        kind: .replay,
                        nextAttemptAt: now,
                        createdAt: now,
                        updatedAt: now
                    )
                )
                created += 1
            }
            return created
        }
        engine.wake()
        return created
    }

    // MARK: Helpers

    static func rescheduled(_ delivery: Delivery, at now: Date) -> Delivery {
        var retried = delivery
        retried.state = .pending
        retried.budgetStart = delivery.attempts
        retried.nextAttemptAt = now
        retried.leaseOwner = nil
        retried.leaseExpiresAt = nil
        retried.reason = "Retry requested."
        retried.updatedAt = now
        return retried
    }

    static func detail(id: String, organizationID: String, in tx: any StoreTransaction) throws -> DeliveryDetail {
        guard let delivery = try tx.delivery(organizationID: organizationID, id: id) else { throw notFound(id) }
        return DeliveryDetail(view: try view(of: delivery, in: tx), attempts: try tx.attempts(deliveryID: id), parts: try tx.parts(deliveryID: id))
    }

    static func view(of delivery: Delivery, in tx: any StoreTransaction) throws -> DeliveryView {
        let registration = try tx.registrationIncludingDeleted(organizationID: delivery.organizationID, id: delivery.registrationID)
        let workflow = try delivery.workflowID.flatMap { try tx.workflow(organizationID: delivery.organizationID, id: $0) }
        let attestation = try delivery.attestationID.flatMap { try tx.attestation(organizationID: delivery.organizationID, id: $0) }
        return DeliveryView(
            delivery: delivery,
            integrationName: registration?.name ?? "",
            integrationKind: registration?.kind ?? "",
            workflow: workflow.map { "\($0.projectName)/\($0.name)" } ?? "",
            attestationDigest: attestation?.digest ?? ""
        )
    }

    static func notFound(_ id: String) -> CourierError {
        .notFound("No delivery with id '\(id)'; 'courier delivery list' shows the deliveries.")
    }
}
