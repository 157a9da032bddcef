import struct Foundation.Date

/// Durable state of Courier, read and written in transactions.
///
/// Conform a storage backend to this protocol and run `StoreConformance` (in
/// `CourierTestSupport`) against it. The body of a transaction is synchronous and short, and
/// either all of its writes happen or none do (a thrown error rolls back).
public protocol Store: Sendable {
    /// Runs `body` in a read-only transaction that sees one consistent snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T

    /// Runs `body` in a read-write transaction with the given isolation; writes commit together when it returns.
    func write<T: Sendable>(
        isolation: WriteIsolation, _ body: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T
}

extension Store {
    /// Runs `body` in a read-write transaction that behaves as if it ran alone (``WriteIsolation/serializable``).
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await write(isolation: .serializable, body)
    }
}

/// How a write transaction is kept apart from concurrent ones, where the database runs writers concurrently
/// (PostgreSQL; SQLite runs one writer at a time, so every write is serializable there).
public enum WriteIsolation: Sendable, Hashable {
    /// As if the transactions ran one after another. Concurrent transactions that read what another one writes may
    /// be aborted and run again.
    case serializable
    /// Each statement sees what was committed before it ran. For transactions that lock the rows they decide on before
    /// reading them (``StoreTransaction/lockDelivery(organizationID:id:)``, claims with `SKIP LOCKED`), which needs
    /// nothing more and never aborts them for touching the same index pages as their neighbours.
    case rowLocking
}

/// The repository operations available inside a transaction.
///
/// Lookups return `nil` for missing rows and only see active rows (not deleted, not revoked)
/// unless they say otherwise. Inserts that violate a uniqueness rule throw `CourierError` with
/// code `already_exists`.
public protocol StoreTransaction {
    // MARK: Organizations

    func insertOrganization(_ organization: Organization) throws
    func organization(id: String) throws -> Organization?
    func organization(named name: String) throws -> Organization?
    func organizationCount() throws -> Int

    // MARK: Tokens

    func insertToken(_ token: APIToken) throws
    /// The token with this secret hash, revoked or not.
    func token(secretHash: String) throws -> APIToken?
    /// The active token with this name in the organization.
    func token(organizationID: String, name: String) throws -> APIToken?
    /// Active tokens of the organization, oldest first.
    func tokens(organizationID: String) throws -> [APIToken]
    func revokeToken(id: String, at date: Date) throws

    // MARK: Projects

    func insertProject(_ project: Project) throws
    func project(organizationID: String, name: String) throws -> Project?

    // MARK: Workflows

    func insertWorkflow(_ workflow: Workflow) throws
    func workflow(organizationID: String, project: String, name: String) throws -> Workflow?
    func workflow(organizationID: String, id: String) throws -> Workflow?
    /// Active workflows of the organization, optionally of one project, ordered by project then name.
    func workflows(organizationID: String, project: String?) throws -> [Workflow]
    /// Marks a workflow deleted; its name may be used again.
    func deleteWorkflow(id: String, at date: Date) throws

    // MARK: Integration registrations

    /// Inserts a registration; its name must be unique among the organization's active registrations.
    func insertRegistration(_ registration: IntegrationRegistration) throws
    /// The active registration with this name in the organization.
    func registration(organizationID: String, name: String) throws -> IntegrationRegistration?
    /// The active registration with this id in the organization.
    func registration(organizationID: String, id: String) throws -> IntegrationRegistration?
    /// The registration with this id in the organization, even if deleted (for the history of its deliveries).
    func registrationIncludingDeleted(organizationID: String, id: String) throws -> IntegrationRegistration?
    /// Active registrations of the organization, ordered by name.
    func registrations(organizationID: String) throws -> [IntegrationRegistration]
    /// Marks a registration deleted and erases its credentials; its name may be used again.
    func deleteRegistration(id: String, at date: Date) throws
    /// Every registration, active or not, in any organization, that holds credentials (for key rotation).
    func registrationsWithCredentials() throws -> [IntegrationRegistration]
    /// Replaces a registration's sealed credentials (for key rotation).
    func updateRegistrationCredentials(id: String, credentials: SealedSecret) throws

    // MARK: Attachments

    /// Inserts an attachment; a registration can be attached to a workflow only once at a time.
    func insertAttachment(_ attachment: IntegrationAttachment) throws
    /// The active attachment with this id in the organization.
    func attachment(organizationID: String, id: String) throws -> IntegrationAttachment?
    /// Active attachments of the organization, oldest first, optionally only of one workflow or one registration.
    func attachments(organizationID: String, workflowID: String?, registrationID: String?) throws -> [IntegrationAttachment]
    /// Marks an attachment deleted.
    func deleteAttachment(id: String, at date: Date) throws

    // MARK: Content (CAS) references

    /// Records that the organization uploaded content `digest`; recording it again changes nothing.
    func recordContent(organizationID: String, digest: String, size: Int64, at date: Date) throws
    /// The size of content `digest` if the organization uploaded it, else `nil`.
    func contentSize(organizationID: String, digest: String) throws -> Int64?

    // MARK: Verification keys

    /// Inserts a key; its name must be unique in the organization.
    func insertVerificationKey(_ key: OrganizationKey) throws
    /// The organization's keys, ordered by name.
    func verificationKeys(organizationID: String) throws -> [OrganizationKey]

    // MARK: Attestations

    /// Inserts an accepted attestation; a workflow holds each digest once.
    func insertAttestation(_ attestation: AttestationRecord) throws
    func attestation(organizationID: String, id: String) throws -> AttestationRecord?
    func attestation(organizationID: String, workflowID: String, digest: String) throws -> AttestationRecord?
    /// The organization's attestations with this digest, in any workflow, oldest first.
    func attestations(organizationID: String, digest: String) throws -> [AttestationRecord]
    /// The organization's attestations, optionally of one workflow and created at or after `since`; newest first unless
    /// `oldestFirst`; at most `limit`.
    func attestations(organizationID: String, workflowID: String?, since: Date?, oldestFirst: Bool, limit: Int) throws -> [AttestationRecord]
    /// Ids of the organization's attestations with a CAS material of this digest.
    func attestationIDs(organizationID: String, referencingContent digest: String) throws -> [String]

    // MARK: Deliveries

    /// Inserts a delivery; an attestation goes to an attachment at most once.
    func insertDelivery(_ delivery: Delivery) throws
    func delivery(organizationID: String, id: String) throws -> Delivery?
    /// The delivery `id`, locked until the transaction ends: another transaction locking it waits, and one updating
    /// it waits or, at ``WriteIsolation/serializable``, is run again.
    func lockDelivery(organizationID: String, id: String) throws -> Delivery?
    /// The organization's deliveries matching `filter`, newest first.
    func deliveries(organizationID: String, filter: DeliveryFilter) throws -> [Delivery]
    /// Whether the attestation already has a delivery to the attachment.
    func deliveryExists(attestationID: String, attachmentID: String) throws -> Bool
    /// Leases up to `limit` due deliveries of any organization to `owner` until `leaseExpiresAt`, earliest due first.
    ///
    /// Due means pending or retrying, with `nextAttemptAt <= now`, and not leased (or the lease has expired).
    func claimDueDeliveries(now: Date, limit: Int, owner: String, leaseExpiresAt: Date) throws -> [Delivery]
    /// Writes every field of a delivery.
    func updateDelivery(_ delivery: Delivery) throws
    /// Gives back every lease `owner` holds, making its deliveries due again.
    func releaseLeases(owner: String) throws
    /// Makes the pending or retrying deliveries of these attestations due at `date`.
    func wakeDeliveries(attestationIDs: [String], at date: Date) throws
    /// The earliest `nextAttemptAt` of pending or retrying deliveries, leased or not.
    func earliestPendingAttempt() throws -> Date?
    /// Deliveries of every organization counted by integration kind and state.
    func deliveryCounts() throws -> [DeliveryCount]
    /// Records an attempt, unless the delivery already has one with its number: a worker whose lease expired and the
    /// one that took over may record the same attempt, and the first record stands.
    func insertAttempt(_ attempt: DeliveryAttempt) throws
    /// The delivery's attempts, in order.
    func attempts(deliveryID: String) throws -> [DeliveryAttempt]
    /// Inserts or replaces a part's progress; a part already delivered stays as it is, with its original reference.
    func upsertPart(_ part: DeliveryPart) throws
    /// The delivery's parts, ordered by id.
    func parts(deliveryID: String) throws -> [DeliveryPart]
}

extension StoreTransaction {
    /// The organization's active workflow `project/name`.
    ///
    /// - Throws: `not_found`, saying how to find or create it.
    public func requireWorkflow(organizationID: String, project: String, name: String) throws -> Workflow {
        guard let workflow = try workflow(organizationID: organizationID, project: project, name: name) else {
            throw CourierError.notFound(
                "Workflow '\(name)' does not exist in project '\(project)'; 'courier workflow list' shows the workflows "
                    + "and 'courier workflow create' creates one."
            )
        }
        return workflow
    }

    /// The organization's active integration registration `name`.
    ///
    /// - Throws: `not_found`, saying how to list the registrations.
    public func requireRegistration(organizationID: String, name: String) throws -> IntegrationRegistration {
        guard let registration = try registration(organizationID: organizationID, name: name) else {
            throw CourierError.notFound(
                "No integration named '\(name)' is registered; 'courier integration registered list' shows the registrations."
            )
        }
        return registration
    }
}
