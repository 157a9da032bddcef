import CourierCore
import Foundation
import Synchronization

/// A `Store` kept in memory, with the same semantics as `SQLStore`.
///
/// Like the SQL stores it keeps dates to the millisecond, reports the same `already_exists`
/// errors, checks references (an `internal` error, as a foreign-key violation would be), orders
/// text byte-wise and rejects writes in read transactions. Reads see a snapshot; writes run one at
/// a time on a copy of the state that replaces it only when the body returns. Bodies run on the
/// caller's thread under a lock, which is fine for tests and small deployments because they are
/// short and never wait for I/O.
public final class InMemoryStore: Store {
    private let state = Mutex(InMemoryState())

    /// An empty store.
    public init() {}

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        let snapshot = state.withLock { $0 }
        return try body(InMemoryTransaction(state: snapshot, isWritable: false))
    }

    /// Writes run one at a time, so every isolation is serializable.
    public func write<T: Sendable>(
        isolation: WriteIsolation, _ body: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        try state.withLock { state in
            let transaction = InMemoryTransaction(state: state, isWritable: true)
            let result = try body(transaction)
            state = transaction.state
            return result
        }
    }
}

/// Why an `InMemoryStore` operation failed where a SQL database would report an internal error.
struct InMemoryStoreError: Error, Sendable, CustomStringConvertible {
    var description: String
}

/// The rows of an `InMemoryStore`, in insertion order.
struct InMemoryState: Sendable {
    struct WorkflowRow: Sendable {
        var workflow: Workflow
        var deletedAt: Date?
    }

    struct RegistrationRow: Sendable {
        var registration: IntegrationRegistration
        var deletedAt: Date?
    }

    struct AttachmentRow: Sendable {
        var attachment: IntegrationAttachment
        var deletedAt: Date?
    }

    var organizations: [Organization] = []
    var tokens: [APIToken] = []
    var projects: [Project] = []
    var workflows: [WorkflowRow] = []
    var registrations: [RegistrationRow] = []
    var attachments: [AttachmentRow] = []
    /// Content sizes by organization, then digest.
    var contents: [String: [String: Int64]] = [:]
    var verificationKeys: [OrganizationKey] = []
    var attestations: [AttestationRecord] = []
    var deliveries: [String: Delivery] = [:]
    /// Delivery ids in insertion order.
    var deliveryOrder: [String] = []
    var attempts: [String: [DeliveryAttempt]] = [:]
    var parts: [String: [String: DeliveryPart]] = [:]
}

/// The repository operations of `InMemoryStore` on a private copy of its state.
final class InMemoryTransaction: StoreTransaction {
    private(set) var state: InMemoryState
    private let isWritable: Bool

    init(state: InMemoryState, isWritable: Bool) {
        self.state = state
        self.isWritable = isWritable
    }

    // MARK: Organizations

    func insertOrganization(_ organization: Organization) throws {
        try requireWritable()
        if state.organizations.contains(where: { $0.id == organization.id }) { throw StoreConflict.organizationID(organization.id) }
        if state.organizations.contains(where: { $0.name == organization.name }) {
            throw StoreConflict.organizationName(organization.name)
        }
        var stored = organization
        stored.createdAt = organization.createdAt.roundedToMilliseconds
        state.organizations.append(stored)
    }

    func organization(id: String) throws -> Organization? {
        state.organizations.first { $0.id == id }
    }

    func organization(named name: String) throws -> Organization? {
        state.organizations.first { $0.name == name }
    }

    func organizationCount() throws -> Int {
        state.organizations.count
    }

    // MARK: Tokens

    func insertToken(_ token: APIToken) throws {
        try requireWritable()
        try requireOrganization(token.organizationID)
        if state.tokens.contains(where: { $0.id == token.id }) { throw StoreConflict.tokenID(token.id) }
        if state.tokens.contains(where: { $0.secretHash == token.secretHash }) { throw StoreConflict.tokenSecret }
        let isActive = token.revokedAt == nil
        if isActive && state.tokens.contains(where: { $0.organizationID == token.organizationID && $0.name == token.name && $0.revokedAt == nil }) {
            throw StoreConflict.tokenName(token.name)
        }
        var stored = token
        stored.createdAt = token.createdAt.roundedToMilliseconds
        stored.revokedAt = token.revokedAt?.roundedToMilliseconds
        state.tokens.append(stored)
    }

    func token(secretHash: String) throws -> APIToken? {
        state.tokens.first { $0.secretHash == secretHash }
    }

    func token(organizationID: String, name: String) throws -> APIToken? {
        state.tokens.first { $0.organizationID == organizationID && $0.name == name && $0.revokedAt == nil }
    }

    func tokens(organizationID: String) throws -> [APIToken] {
        state.tokens
            .filter { $0.organizationID == organizationID && $0.revokedAt == nil }
            .sorted { ($0.createdAt, ByteOrdered($0.id)) < ($1.createdAt, ByteOrdered($1.id)) }
    }

    func revokeToken(id: String, at date: Date) throws {
        try requireWritable()
        guard let index = state.tokens.firstIndex(where: { $0.id == id && $0.revokedAt == nil }) else { return }
        state.tokens[index].revokedAt = date.roundedToMilliseconds
    }

    // MARK: Projects

    func insertProject(_ project: Project) throws {
        try requireWritable()
        try requireOrganization(project.organizationID)
        if state.projects.contains(where: { $0.id == project.id }) { throw StoreConflict.projectID(project.id) }
        if state.projects.contains(where: { $0.organizationID == project.organizationID && $0.name == project.name }) {
            throw StoreConflict.projectName(project.name)
        }
        var stored = project
        stored.createdAt = project.createdAt.roundedToMilliseconds
        state.projects.append(stored)
    }

    func project(organizationID: String, name: String) throws -> Project? {
        state.projects.first { $0.organizationID == organizationID && $0.name == name }
    }

    // MARK: Workflows

    func insertWorkflow(_ workflow: Workflow) throws {
        try requireWritable()
        guard state.projects.contains(where: { $0.id == workflow.projectID && $0.organizationID == workflow.organizationID }) else {
            throw CourierError.internal(InMemoryStoreError(description: "Workflow '\(workflow.id)' refers to a missing project."))
        }
        if state.workflows.contains(where: { $0.workflow.id == workflow.id }) { throw StoreConflict.workflowID(workflow.id) }
        let isDuplicate = state.workflows.contains { row in
            row.deletedAt == nil && row.workflow.organizationID == workflow.organizationID
                && row.workflow.projectID == workflow.projectID && row.workflow.name == workflow.name
        }
        if isDuplicate { throw StoreConflict.workflowName(workflow.name, project: workflow.projectName) }
        var stored = workflow
        stored.createdAt = workflow.createdAt.roundedToMilliseconds
        state.workflows.append(InMemoryState.WorkflowRow(workflow: stored, deletedAt: nil))
    }

    func workflow(organizationID: String, project: String, name: String) throws -> Workflow? {
        activeWorkflows(organizationID: organizationID).first { $0.projectName == project && $0.name == name }
    }

    func workflow(organizationID: String, id: String) throws -> Workflow? {
        activeWorkflows(organizationID: organizationID).first { $0.id == id }
    }

    func workflows(organizationID: String, project: String?) throws -> [Workflow] {
        activeWorkflows(organizationID: organizationID)
            .filter { project == nil || $0.projectName == project }
            .sorted { (ByteOrdered($0.projectName), ByteOrdered($0.name)) < (ByteOrdered($1.projectName), ByteOrdered($1.name)) }
    }

    func deleteWorkflow(id: String, at date: Date) throws {
        try requireWritable()
        guard let index = state.workflows.firstIndex(where: { $0.workflow.id == id && $0.deletedAt == nil }) else { return }
        state.workflows[index].deletedAt = date.roundedToMilliseconds
    }

    // MARK: Integration registrations

    func insertRegistration(_ registration: IntegrationRegistration) throws {
        try requireWritable()
        try requireOrganization(registration.organizationID)
        if state.registrations.contains(where: { $0.registration.id == registration.id }) {
            throw StoreConflict.registrationID(registration.id)
        }
        let isDuplicate = state.registrations.contains { row in
            row.deletedAt == nil && row.registration.organizationID == registration.organizationID && row.registration.name == registration.name
        }
        if isDuplicate { throw StoreConflict.registrationName(registration.name) }
        var stored = registration
        stored.createdAt = registration.createdAt.roundedToMilliseconds
        state.registrations.append(InMemoryState.RegistrationRow(registration: stored, deletedAt: nil))
    }

    func registration(organizationID: String, name: String) throws -> IntegrationRegistration? {
        state.registrations.first { $0.deletedAt == nil && $0.registration.organizationID == organizationID && $0.registration.name == name }?
            .registration
    }

    func registration(organizationID: String, id: String) throws -> IntegrationRegistration? {
        state.registrations.first { $0.deletedAt == nil && $0.registration.organizationID == organizationID && $0.registration.id == id }?
            .registration
    }

    func registrationIncludingDeleted(organizationID: String, id: String) throws -> IntegrationRegistration? {
        state.registrations.first { $0.registration.organizationID == organizationID && $0.registration.id == id }?.registration
    }

    func registrations(organizationID: String) throws -> [IntegrationRegistration] {
        state.registrations
            .filter { $0.deletedAt == nil && $0.registration.organizationID == organizationID }
            .map(\.registration)
            .sorted { ByteOrdered($0.name) < ByteOrdered($1.name) }
    }

    func deleteRegistration(id: String, at date: Date) throws {
        try requireWritable()
        guard let index = state.registrations.firstIndex(where: { $0.registration.id == id && $0.deletedAt == nil }) else { return }
        state.registrations[index].deletedAt = date.roundedToMilliseconds
        state.registrations[index].registration.credentials = nil
    }

    func registrationsWithCredentials() throws -> [IntegrationRegistration] {
        state.registrations.map(\.registration).filter { $0.credentials != nil }.sorted { ByteOrdered($0.id) < ByteOrdered($1.id) }
    }

    func updateRegistrationCredentials(id: String, credentials: SealedSecret) throws {
        try requireWritable()
        guard let index = state.registrations.firstIndex(where: { $0.registration.id == id }) else { return }
        state.registrations[index].registration.credentials = credentials
    }

    // MARK: Attachments

    func insertAttachment(_ attachment: IntegrationAttachment) throws {
        try requireWritable()
        let registrationExists = state.registrations.contains {
            $0.registration.id == attachment.registrationID && $0.registration.organizationID == attachment.organizationID
        }
        guard registrationExists, state.workflows.contains(where: { $0.workflow.id == attachment.workflowID }) else {
            throw CourierError.internal(InMemoryStoreError(description: "Attachment '\(attachment.id)' refers to a missing row."))
        }
        if state.attachments.contains(where: { $0.attachment.id == attachment.id }) { throw StoreConflict.attachmentID(attachment.id) }
        let isDuplicate = state.attachments.contains { row in
            row.deletedAt == nil && row.attachment.registrationID == attachment.registrationID
                && row.attachment.workflowID == attachment.workflowID
        }
        if isDuplicate { throw StoreConflict.attachmentPair }
        var stored = attachment
        stored.createdAt = attachment.createdAt.roundedToMilliseconds
        state.attachments.append(InMemoryState.AttachmentRow(attachment: stored, deletedAt: nil))
    }

    func attachment(organizationID: String, id: String) throws -> IntegrationAttachment? {
        state.attachments.first { $0.deletedAt == nil && $0.attachment.organizationID == organizationID && $0.attachment.id == id }?
            .attachment
    }

    func attachments(organizationID: String, workflowID: String?, registrationID: String?) throws -> [IntegrationAttachment] {
        state.attachments
            .filter { row in
                row.deletedAt == nil && row.attachment.organizationID == organizationID
                    && (workflowID == nil || row.attachment.workflowID == workflowID)
                    && (registrationID == nil || row.attachment.registrationID == registrationID)
            }
            .map(\.attachment)
            .sorted { ($0.createdAt, ByteOrdered($0.id)) < ($1.createdAt, ByteOrdered($1.id)) }
    }

    func deleteAttachment(id: String, at date: Date) throws {
        try requireWritable()
        guard let index = state.attachments.firstIndex(where: { $0.attachment.id == id && $0.deletedAt == nil }) else { return }
        state.attachments[index].deletedAt = date.roundedToMilliseconds
    }

    // MARK: Content (CAS) references

    func recordContent(organizationID: String, digest: String, size: Int64, at date: Date) throws {
        try requireWritable()
        try requireOrganization(organizationID)
        if state.contents[organizationID]?[digest] == nil {
            state.contents[organizationID, default: [:]][digest] = size
        }
    }

    func contentSize(organizationID: String, digest: String) throws -> Int64? {
        state.contents[organizationID]?[digest]
    }

    // MARK: Verification keys

    func insertVerificationKey(_ key: OrganizationKey) throws {
        try requireWritable()
        try requireOrganization(key.organizationID)
        if state.verificationKeys.contains(where: { $0.id == key.id }) { throw StoreConflict.verificationKeyID(key.id) }
        if state.verificationKeys.contains(where: { $0.organizationID == key.organizationID && $0.name == key.name }) {
            throw StoreConflict.verificationKeyName(key.name)
        }
        var stored = key
        stored.createdAt = key.createdAt.roundedToMilliseconds
        state.verificationKeys.append(stored)
    }

    func verificationKeys(organizationID: String) throws -> [OrganizationKey] {
        state.verificationKeys.filter { $0.organizationID == organizationID }.sorted { ByteOrdered($0.name) < ByteOrdered($1.name) }
    }

    // MARK: Attestations

    func insertAttestation(_ attestation: AttestationRecord) throws {
        try requireWritable()
        guard state.workflows.contains(where: { $0.workflow.id == attestation.workflowID }) else {
            throw CourierError.internal(InMemoryStoreError(description: "Attestation '\(attestation.id)' refers to a missing workflow."))
        }
        if state.attestations.contains(where: { $0.id == attestation.id }) { throw StoreConflict.attestationID(attestation.id) }
        let isDuplicate = state.attestations.contains {
            $0.organizationID == attestation.organizationID && $0.workflowID == attestation.workflowID && $0.digest == attestation.digest
        }
        if isDuplicate { throw StoreConflict.attestationDigest }
        var stored = attestation
        stored.createdAt = attestation.createdAt.roundedToMilliseconds
        stored.startedAt = attestation.startedAt?.roundedToMilliseconds
        state.attestations.append(stored)
    }

    func attestation(organizationID: String, id: String) throws -> AttestationRecord? {
        state.attestations.first { $0.organizationID == organizationID && $0.id == id }
    }

    func attestation(organizationID: String, workflowID: String, digest: String) throws -> AttestationRecord? {
        state.attestations.first { $0.organizationID == organizationID && $0.workflowID == workflowID && $0.digest == digest }
    }

    func attestations(organizationID: String, digest: String) throws -> [AttestationRecord] {
        Self.oldestFirst(state.attestations.filter { $0.organizationID == organizationID && $0.digest == digest })
    }

    func attestations(organizationID: String, workflowID: String?, since: Date?, oldestFirst: Bool, limit: Int) throws -> [AttestationRecord] {
        let matching = state.attestations.filter { attestation in
            attestation.organizationID == organizationID && (workflowID == nil || attestation.workflowID == workflowID)
                && (since == nil || attestation.createdAt >= since!.roundedToMilliseconds)
        }
        let ordered = Self.oldestFirst(matching)
        return Array((oldestFirst ? ordered : ordered.reversed()).prefix(limit))
    }

    func attestationIDs(organizationID: String, referencingContent digest: String) throws -> [String] {
        state.attestations
            .filter { $0.organizationID == organizationID && $0.contentDigests.contains(digest) }
            .map(\.id)
            .sorted { ByteOrdered($0) < ByteOrdered($1) }
    }

    private static func oldestFirst(_ attestations: [AttestationRecord]) -> [AttestationRecord] {
        attestations.sorted { ($0.createdAt, ByteOrdered($0.id)) < ($1.createdAt, ByteOrdered($1.id)) }
    }

    // MARK: Deliveries

    func insertDelivery(_ delivery: Delivery) throws {
        try requireWritable()
        guard state.registrations.contains(where: { $0.registration.id == delivery.registrationID }) else {
            throw CourierError.internal(InMemoryStoreError(description: "Delivery '\(delivery.id)' refers to a missing registration."))
        }
        if state.deliveries[delivery.id] != nil { throw StoreConflict.deliveryID(delivery.id) }
        if let attestationID = delivery.attestationID, let attachmentID = delivery.attachmentID,
            try deliveryExists(attestationID: attestationID, attachmentID: attachmentID)
        {
            throw StoreConflict.deliveryPair
        }
        state.deliveries[delivery.id] = Self.rounded(delivery)
        state.deliveryOrder.append(delivery.id)
    }

    func delivery(organizationID: String, id: String) throws -> Delivery? {
        state.deliveries[id].flatMap { $0.organizationID == organizationID ? $0 : nil }
    }

    func lockDelivery(organizationID: String, id: String) throws -> Delivery? {
        try delivery(organizationID: organizationID, id: id)
    }

    func deliveries(organizationID: String, filter: DeliveryFilter) throws -> [Delivery] {
        let matching = state.deliveryOrder.compactMap { state.deliveries[$0] }.filter { delivery in
            delivery.organizationID == organizationID && (filter.state == nil || delivery.state == filter.state)
                && (filter.registrationID == nil || delivery.registrationID == filter.registrationID)
                && (filter.workflowID == nil || delivery.workflowID == filter.workflowID)
                && (filter.attestationID == nil || delivery.attestationID == filter.attestationID)
        }
        let newestFirst = matching.sorted { ($0.createdAt, ByteOrdered($0.id)) > ($1.createdAt, ByteOrdered($1.id)) }
        return Array(newestFirst.prefix(filter.limit))
    }

    func deliveryExists(attestationID: String, attachmentID: String) throws -> Bool {
        state.deliveries.values.contains { $0.attestationID == attestationID && $0.attachmentID == attachmentID }
    }

    func claimDueDeliveries(now: Date, limit: Int, owner: String, leaseExpiresAt: Date) throws -> [Delivery] {
        try requireWritable()
        let now = now.roundedToMilliseconds
        let due = state.deliveries.values
            .filter { delivery in
                (delivery.state == .pending || delivery.state == .retrying) && delivery.nextAttemptAt <= now
                    && (delivery.leaseExpiresAt == nil || delivery.leaseExpiresAt! <= now)
            }
            .sorted { ($0.nextAttemptAt, ByteOrdered($0.id)) < ($1.nextAttemptAt, ByteOrdered($1.id)) }
            .prefix(limit)
        return due.map { delivery in
            var leased = delivery
            leased.leaseOwner = owner
            leased.leaseExpiresAt = leaseExpiresAt.roundedToMilliseconds
            state.deliveries[delivery.id] = leased
            return leased
        }
    }

    func updateDelivery(_ delivery: Delivery) throws {
        try requireWritable()
        guard let existing = state.deliveries[delivery.id] else { return }
        var updated = Self.rounded(delivery)
        updated.createdAt = existing.createdAt
        state.deliveries[delivery.id] = updated
    }

    func releaseLeases(owner: String) throws {
        try requireWritable()
        for (id, delivery) in state.deliveries where delivery.leaseOwner == owner {
            state.deliveries[id]?.leaseOwner = nil
            state.deliveries[id]?.leaseExpiresAt = nil
        }
    }

    func wakeDeliveries(attestationIDs: [String], at date: Date) throws {
        try requireWritable()
        let ids = Set(attestationIDs)
        let date = date.roundedToMilliseconds
        for (id, delivery) in state.deliveries
        where delivery.attestationID.map(ids.contains) == true && !delivery.state.isFinal && delivery.nextAttemptAt > date {
            state.deliveries[id]?.nextAttemptAt = date
        }
    }

    func earliestPendingAttempt() throws -> Date? {
        state.deliveries.values.filter { !$0.state.isFinal }.map(\.nextAttemptAt).min()
    }

    func deliveryCounts() throws -> [DeliveryCount] {
        var counts: [String: [DeliveryState: Int]] = [:]
        for delivery in state.deliveries.values {
            guard let kind = state.registrations.first(where: { $0.registration.id == delivery.registrationID })?.registration.kind else {
                continue
            }
            counts[kind, default: [:]][delivery.state, default: 0] += 1
        }
        return counts.keys.sorted { ByteOrdered($0) < ByteOrdered($1) }.flatMap { kind in
            counts[kind, default: [:]]
                .sorted { ByteOrdered($0.key.rawValue) < ByteOrdered($1.key.rawValue) }
                .map { DeliveryCount(integrationKind: kind, state: $0.key, count: $0.value) }
        }
    }

    func insertAttempt(_ attempt: DeliveryAttempt) throws {
        try requireWritable()
        guard state.deliveries[attempt.deliveryID] != nil else {
            throw CourierError.internal(InMemoryStoreError(description: "Attempt refers to missing delivery '\(attempt.deliveryID)'."))
        }
        guard !(state.attempts[attempt.deliveryID] ?? []).contains(where: { $0.number == attempt.number }) else { return }
        var stored = attempt
        stored.startedAt = attempt.startedAt.roundedToMilliseconds
        state.attempts[attempt.deliveryID, default: []].append(stored)
    }

    func attempts(deliveryID: String) throws -> [DeliveryAttempt] {
        (state.attempts[deliveryID] ?? []).sorted { $0.number < $1.number }
    }

    func upsertPart(_ part: DeliveryPart) throws {
        try requireWritable()
        guard state.parts[part.deliveryID]?[part.partID]?.outcome != .delivered else { return }
        var stored = part
        stored.updatedAt = part.updatedAt.roundedToMilliseconds
        state.parts[part.deliveryID, default: [:]][part.partID] = stored
    }

    func parts(deliveryID: String) throws -> [DeliveryPart] {
        (state.parts[deliveryID] ?? [:]).values.sorted { ByteOrdered($0.partID) < ByteOrdered($1.partID) }
    }

    private static func rounded(_ delivery: Delivery) -> Delivery {
        var copy = delivery
        copy.nextAttemptAt = delivery.nextAttemptAt.roundedToMilliseconds
        copy.leaseExpiresAt = delivery.leaseExpiresAt?.roundedToMilliseconds
        copy.createdAt = delivery.createdAt.roundedToMilliseconds
        copy.updatedAt = delivery.updatedAt.roundedToMilliseconds
        return copy
    }

    // MARK: Helpers

    /// Active workflows of the organization, with the project's current name, as the SQL join reads them.
    private func activeWorkflows(organizationID: String) -> [Workflow] {
        state.workflows.compactMap { row in
            guard row.deletedAt == nil, row.workflow.organizationID == organizationID,
                let project = state.projects.first(where: { $0.id == row.workflow.projectID })
            else { return nil }
            var workflow = row.workflow
            workflow.projectName = project.name
            return workflow
        }
    }

    private func requireWritable() throws {
        guard isWritable else {
            throw CourierError.internal(InMemoryStoreError(description: "A read transaction cannot write."))
        }
    }

    private func requireOrganization(_ id: String) throws {
        guard state.organizations.contains(where: { $0.id == id }) else {
            throw CourierError.internal(InMemoryStoreError(description: "Organization '\(id)' does not exist."))
        }
    }
}

/// A string compared by its UTF-8 bytes, as SQLite's `BINARY` collation compares text.
struct ByteOrdered: Comparable {
    let string: String

    init(_ string: String) {
        self.string = string
    }

    static func < (lhs: ByteOrdered, rhs: ByteOrdered) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    static func == (lhs: ByteOrdered, rhs: ByteOrdered) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }
}
