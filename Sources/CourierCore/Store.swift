import struct Foundation.Date

/// Durable state of Courier, read and written in transactions.
///
/// Conform a storage backend to this protocol and run `StoreConformance` (in
/// `CourierTestSupport`) against it. The body of a transaction is synchronous: it runs on the
/// store's own thread, never on Swift's cooperative pool, and either all of its writes happen or
/// none do (a thrown error rolls back).
public protocol Store: Sendable {
    /// Runs `body` in a read-only transaction that sees one consistent snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T

    /// Runs `body` in a read-write transaction; writes commit together when it returns.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T
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
}
