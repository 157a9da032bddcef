import CourierCore
import Foundation

/// A `Store` on any `SQLDatabase`, written once for every SQL dialect.
///
/// Every value reaches the database as a bind. Unique-constraint violations become `CourierError`
/// with code `already_exists` and a sentence naming the object; every other database failure
/// becomes `CourierError.internal`, whose message hides the SQL. Errors thrown by the
/// transaction's body pass through unchanged and roll the transaction back.
public struct SQLStore: Store {
    /// The database the store reads and writes.
    public let database: any SQLDatabase

    /// A store on `database`, whose schema must already be migrated (`Migrator`, `CourierSchema`).
    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await Self.mappingErrors {
            try await database.read { connection in try body(SQLStoreTransaction(connection: connection)) }
        }
    }

    public func write<T: Sendable>(
        isolation: WriteIsolation, _ body: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        try await Self.mappingErrors {
            try await database.write(isolation: isolation) { connection in try body(SQLStoreTransaction(connection: connection)) }
        }
    }

    private static func mappingErrors<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as SQLError where error.kind == .unsupportedValue {
            throw CourierError(.invalidArgument, "Text values must not contain NUL characters.", cause: error)
        } catch let error as SQLError {
            throw CourierError.internal(error)
        }
    }
}

/// The repository operations of `SQLStore` on one connection.
struct SQLStoreTransaction: StoreTransaction {
    let connection: any SQLConnection

    // MARK: Organizations

    func insertOrganization(_ organization: Organization) throws {
        try inserting(
            "INSERT INTO organizations (id, name, created_at) VALUES (\(organization.id), \(organization.name), \(organization.createdAt))",
            onDuplicateName: StoreConflict.organizationName(organization.name),
            onDuplicateID: StoreConflict.organizationID(organization.id)
        )
    }

    func organization(id: String) throws -> Organization? {
        try connection.query(Self.selectOrganizations + " WHERE id = \(id)").first.map(Self.organization(from:))
    }

    func organization(named name: String) throws -> Organization? {
        try connection.query(Self.selectOrganizations + " WHERE name = \(name)").first.map(Self.organization(from:))
    }

    func organizationCount() throws -> Int {
        let rows = try connection.query("SELECT COUNT(*) AS count FROM organizations")
        return try rows.first?.int("count") ?? 0
    }

    // MARK: Tokens

    func insertToken(_ token: APIToken) throws {
        let query: SQLQuery = """
            INSERT INTO tokens (id, organization_id, name, role, scope_project, scope_workflow, secret_hash, created_at, revoked_at)
            VALUES (\(token.id), \(token.organizationID), \(token.name), \(token.role.rawValue), \(token.scope?.project), \
            \(token.scope?.workflow), \(token.secretHash), \(token.createdAt), \(token.revokedAt))
            """
        do {
            try connection.execute(query)
        } catch let error as SQLError where error.kind == .uniqueViolation && error.message.contains("secret_hash") {
            throw StoreConflict.tokenSecret
        } catch let error as SQLError where error.kind == .uniqueViolation && error.message.contains("name") {
            throw StoreConflict.tokenName(token.name)
        } catch let error as SQLError where error.kind == .uniqueViolation {
            throw StoreConflict.tokenID(token.id)
        }
    }

    func token(secretHash: String) throws -> APIToken? {
        try connection.query(Self.selectTokens + " WHERE secret_hash = \(secretHash)").first.map(Self.token(from:))
    }

    func token(organizationID: String, name: String) throws -> APIToken? {
        let query = Self.selectTokens + " WHERE organization_id = \(organizationID) AND name = \(name) AND revoked_at IS NULL"
        return try connection.query(query).first.map(Self.token(from:))
    }

    func tokens(organizationID: String) throws -> [APIToken] {
        let query = Self.selectTokens + " WHERE organization_id = \(organizationID) AND revoked_at IS NULL ORDER BY created_at, id"
        return try connection.query(query).map(Self.token(from:))
    }

    func revokeToken(id: String, at date: Date) throws {
        try connection.execute("UPDATE tokens SET revoked_at = \(date) WHERE id = \(id) AND revoked_at IS NULL")
    }

    // MARK: Projects

    func insertProject(_ project: Project) throws {
        try inserting(
            """
            INSERT INTO projects (id, organization_id, name, created_at)
            VALUES (\(project.id), \(project.organizationID), \(project.name), \(project.createdAt))
            """,
            onDuplicateName: StoreConflict.projectName(project.name),
            onDuplicateID: StoreConflict.projectID(project.id)
        )
    }

    func project(organizationID: String, name: String) throws -> Project? {
        let query: SQLQuery = """
            SELECT id, organization_id, name, created_at FROM projects WHERE organization_id = \(organizationID) AND name = \(name)
            """
        return try connection.query(query).first.map { row in
            Project(
                id: try row.string("id"),
                organizationID: try row.string("organization_id"),
                name: try row.string("name"),
                createdAt: try row.date("created_at")
            )
        }
    }

    // MARK: Workflows

    func insertWorkflow(_ workflow: Workflow) throws {
        try inserting(
            """
            INSERT INTO workflows (id, organization_id, project_id, name, team, description, created_at, deleted_at)
            VALUES (\(workflow.id), \(workflow.organizationID), \(workflow.projectID), \(workflow.name), \(workflow.team), \
            \(workflow.description), \(workflow.createdAt), NULL)
            """,
            onDuplicateName: StoreConflict.workflowName(workflow.name, project: workflow.projectName),
            onDuplicateID: StoreConflict.workflowID(workflow.id)
        )
    }

    func workflow(organizationID: String, project: String, name: String) throws -> Workflow? {
        let query = Self.selectActiveWorkflows + " AND w.organization_id = \(organizationID) AND p.name = \(project) AND w.name = \(name)"
        return try connection.query(query).first.map(Self.workflow(from:))
    }

    func workflow(organizationID: String, id: String) throws -> Workflow? {
        let query = Self.selectActiveWorkflows + " AND w.organization_id = \(organizationID) AND w.id = \(id)"
        return try connection.query(query).first.map(Self.workflow(from:))
    }

    func workflows(organizationID: String, project: String?) throws -> [Workflow] {
        var query = Self.selectActiveWorkflows + " AND w.organization_id = \(organizationID)"
        if let project {
            query += " AND p.name = \(project)"
        }
        query += " ORDER BY p.name, w.name"
        return try connection.query(query).map(Self.workflow(from:))
    }

    func deleteWorkflow(id: String, at date: Date) throws {
        try connection.execute("UPDATE workflows SET deleted_at = \(date) WHERE id = \(id) AND deleted_at IS NULL")
    }

    // MARK: Integration registrations

    func insertRegistration(_ registration: IntegrationRegistration) throws {
        try inserting(
            """
            INSERT INTO integration_registrations (id, organization_id, name, kind, description, configuration, credentials_key_id, \
            credentials_ciphertext, created_at, deleted_at)
            VALUES (\(registration.id), \(registration.organizationID), \(registration.name), \(registration.kind), \
            \(registration.description), \(registration.configuration), \(registration.credentials?.keyID), \
            \(registration.credentials?.ciphertext), \(registration.createdAt), NULL)
            """,
            onDuplicateName: StoreConflict.registrationName(registration.name),
            onDuplicateID: StoreConflict.registrationID(registration.id)
        )
    }

    func registration(organizationID: String, name: String) throws -> IntegrationRegistration? {
        let query = Self.selectActiveRegistrations + " AND organization_id = \(organizationID) AND name = \(name)"
        return try connection.query(query).first.map(Self.registration(from:))
    }

    func registration(organizationID: String, id: String) throws -> IntegrationRegistration? {
        let query = Self.selectActiveRegistrations + " AND organization_id = \(organizationID) AND id = \(id)"
        return try connection.query(query).first.map(Self.registration(from:))
    }

    func registrationIncludingDeleted(organizationID: String, id: String) throws -> IntegrationRegistration? {
        let query = Self.selectRegistrations + " WHERE organization_id = \(organizationID) AND id = \(id)"
        return try connection.query(query).first.map(Self.registration(from:))
    }

    func registrations(organizationID: String) throws -> [IntegrationRegistration] {
        let query = Self.selectActiveRegistrations + " AND organization_id = \(organizationID) ORDER BY name"
        return try connection.query(query).map(Self.registration(from:))
    }

    func deleteRegistration(id: String, at date: Date) throws {
        try connection.execute(
            """
            UPDATE integration_registrations SET deleted_at = \(date), credentials_key_id = NULL, credentials_ciphertext = NULL
            WHERE id = \(id) AND deleted_at IS NULL
            """
        )
    }

    func registrationsWithCredentials() throws -> [IntegrationRegistration] {
        let query = Self.selectRegistrations + " WHERE credentials_ciphertext IS NOT NULL ORDER BY id"
        return try connection.query(query).map(Self.registration(from:))
    }

    func updateRegistrationCredentials(id: String, credentials: SealedSecret) throws {
        try connection.execute(
            """
            UPDATE integration_registrations SET credentials_key_id = \(credentials.keyID), credentials_ciphertext = \(credentials.ciphertext)
            WHERE id = \(id)
            """
        )
    }

    // MARK: Attachments

    func insertAttachment(_ attachment: IntegrationAttachment) throws {
        try inserting(
            """
            INSERT INTO integration_attachments (id, organization_id, registration_id, workflow_id, configuration, created_at, deleted_at)
            VALUES (\(attachment.id), \(attachment.organizationID), \(attachment.registrationID), \(attachment.workflowID), \
            \(attachment.configuration), \(attachment.createdAt), NULL)
            """,
            onDuplicateName: StoreConflict.attachmentPair,
            onDuplicateID: StoreConflict.attachmentID(attachment.id)
        )
    }

    func attachment(organizationID: String, id: String) throws -> IntegrationAttachment? {
        let query = Self.selectActiveAttachments + " AND organization_id = \(organizationID) AND id = \(id)"
        return try connection.query(query).first.map(Self.attachment(from:))
    }

    func attachments(organizationID: String, workflowID: String?, registrationID: String?) throws -> [IntegrationAttachment] {
        var query = Self.selectActiveAttachments + " AND organization_id = \(organizationID)"
        if let workflowID { query += " AND workflow_id = \(workflowID)" }
        if let registrationID { query += " AND registration_id = \(registrationID)" }
        query += " ORDER BY created_at, id"
        return try connection.query(query).map(Self.attachment(from:))
    }

    func deleteAttachment(id: String, at date: Date) throws {
        try connection.execute("UPDATE integration_attachments SET deleted_at = \(date) WHERE id = \(id) AND deleted_at IS NULL")
    }

    // MARK: Content (CAS) references

    func recordContent(organizationID: String, digest: String, size: Int64, at date: Date) throws {
        try connection.execute(
            """
            INSERT INTO content_objects (organization_id, digest, size, created_at) VALUES (\(organizationID), \(digest), \(size), \(date))
            ON CONFLICT (organization_id, digest) DO NOTHING
            """
        )
    }

    func contentSize(organizationID: String, digest: String) throws -> Int64? {
        let query: SQLQuery = "SELECT size FROM content_objects WHERE organization_id = \(organizationID) AND digest = \(digest)"
        return try connection.query(query).first.map { try $0.int64("size") }
    }

    // MARK: Verification keys

    func insertVerificationKey(_ key: OrganizationKey) throws {
        try inserting(
            """
            INSERT INTO verification_keys (id, organization_id, name, public_key, created_at)
            VALUES (\(key.id), \(key.organizationID), \(key.name), \(key.publicKeyPEM), \(key.createdAt))
            """,
            onDuplicateName: StoreConflict.verificationKeyName(key.name),
            onDuplicateID: StoreConflict.verificationKeyID(key.id)
        )
    }

    func verificationKeys(organizationID: String) throws -> [OrganizationKey] {
        let query: SQLQuery = """
            SELECT id, organization_id, name, public_key, created_at FROM verification_keys WHERE organization_id = \(organizationID) \
            ORDER BY name
            """
        return try connection.query(query).map { row in
            OrganizationKey(
                id: try row.string("id"),
                organizationID: try row.string("organization_id"),
                name: try row.string("name"),
                publicKeyPEM: try row.string("public_key"),
                createdAt: try row.date("created_at")
            )
        }
    }

    // MARK: Attestations

    func insertAttestation(_ attestation: AttestationRecord) throws {
        let query: SQLQuery = """
            INSERT INTO attestations (id, organization_id, workflow_id, digest, envelope, annotations, materials, runner_type, run_url, \
            started_at, verified_by, warnings, created_at)
            VALUES (\(attestation.id), \(attestation.organizationID), \(attestation.workflowID), \(attestation.digest), \
            \(attestation.envelope), \(try JSONColumn.encode(attestation.annotations)), \(try JSONColumn.encode(attestation.materials)), \
            \(attestation.runnerType), \(attestation.runURL), \(attestation.startedAt), \(attestation.verifiedBy), \
            \(try JSONColumn.encode(attestation.warnings)), \(attestation.createdAt))
            """
        do {
            try connection.execute(query)
        } catch let error as SQLError where error.kind == .uniqueViolation {
            throw error.message.contains("digest") ? StoreConflict.attestationDigest : StoreConflict.attestationID(attestation.id)
        }
        for digest in Set(attestation.contentDigests).sorted() {
            try connection.execute(
                """
                INSERT INTO attestation_contents (attestation_id, organization_id, digest)
                VALUES (\(attestation.id), \(attestation.organizationID), \(digest))
                """
            )
        }
    }

    func attestation(organizationID: String, id: String) throws -> AttestationRecord? {
        try connection.query(Self.selectAttestations + " WHERE organization_id = \(organizationID) AND id = \(id)").first.map(Self.attestation(from:))
    }

    func attestation(organizationID: String, workflowID: String, digest: String) throws -> AttestationRecord? {
        let query = Self.selectAttestations + " WHERE organization_id = \(organizationID) AND workflow_id = \(workflowID) AND digest = \(digest)"
        return try connection.query(query).first.map(Self.attestation(from:))
    }

    func attestations(organizationID: String, digest: String) throws -> [AttestationRecord] {
        let query = Self.selectAttestations + " WHERE organization_id = \(organizationID) AND digest = \(digest) ORDER BY created_at, id"
        return try connection.query(query).map(Self.attestation(from:))
    }

    func attestations(organizationID: String, workflowID: String?, since: Date?, oldestFirst: Bool, limit: Int) throws -> [AttestationRecord] {
        var query = Self.selectAttestations + " WHERE organization_id = \(organizationID)"
        if let workflowID { query += " AND workflow_id = \(workflowID)" }
        if let since { query += " AND created_at >= \(since)" }
        query += oldestFirst ? " ORDER BY created_at, id" : " ORDER BY created_at DESC, id DESC"
        query += " LIMIT \(limit)"
        return try connection.query(query).map(Self.attestation(from:))
    }

    func attestationIDs(organizationID: String, referencingContent digest: String) throws -> [String] {
        let query: SQLQuery = """
            SELECT attestation_id FROM attestation_contents WHERE organization_id = \(organizationID) AND digest = \(digest) ORDER BY attestation_id
            """
        return try connection.query(query).map { try $0.string("attestation_id") }
    }

    // MARK: Deliveries

    func insertDelivery(_ delivery: Delivery) throws {
        let query: SQLQuery = """
            INSERT INTO deliveries (id, organization_id, registration_id, attachment_id, attestation_id, workflow_id, kind, state, attempts, \
            budget_start, next_attempt_at, lease_owner, lease_expires_at, reason, created_at, updated_at)
            VALUES (\(delivery.id), \(delivery.organizationID), \(delivery.registrationID), \(delivery.attachmentID), \(delivery.attestationID), \
            \(delivery.workflowID), \(delivery.kind.rawValue), \(delivery.state.rawValue), \(delivery.attempts), \(delivery.budgetStart), \
            \(delivery.nextAttemptAt), \
            \(delivery.leaseOwner), \(delivery.leaseExpiresAt), \(delivery.reason), \(delivery.createdAt), \(delivery.updatedAt))
            """
        do {
            try connection.execute(query)
        } catch let error as SQLError where error.kind == .uniqueViolation {
            throw error.message.contains("attachment_id") ? StoreConflict.deliveryPair : StoreConflict.deliveryID(delivery.id)
        }
    }

    func delivery(organizationID: String, id: String) throws -> Delivery? {
        try connection.query(Self.selectDeliveries + " WHERE organization_id = \(organizationID) AND id = \(id)").first.map(Self.delivery(from:))
    }

    func lockDelivery(organizationID: String, id: String) throws -> Delivery? {
        var query = Self.selectDeliveries + " WHERE organization_id = \(organizationID) AND id = \(id)"
        // SQLite's write transactions exclude each other already.
        if connection.dialect == .postgresql { query += " FOR UPDATE" }
        return try connection.query(query).first.map(Self.delivery(from:))
    }

    func deliveries(organizationID: String, filter: DeliveryFilter) throws -> [Delivery] {
        var query = Self.selectDeliveries + " WHERE organization_id = \(organizationID)"
        if let state = filter.state { query += " AND state = \(state.rawValue)" }
        if let registrationID = filter.registrationID { query += " AND registration_id = \(registrationID)" }
        if let workflowID = filter.workflowID { query += " AND workflow_id = \(workflowID)" }
        if let attestationID = filter.attestationID { query += " AND attestation_id = \(attestationID)" }
        query += " ORDER BY created_at DESC, id DESC LIMIT \(filter.limit)"
        return try connection.query(query).map(Self.delivery(from:))
    }

    func deliveryExists(attestationID: String, attachmentID: String) throws -> Bool {
        let query: SQLQuery = "SELECT 1 AS found FROM deliveries WHERE attestation_id = \(attestationID) AND attachment_id = \(attachmentID)"
        return try !connection.query(query).isEmpty
    }

    func claimDueDeliveries(now: Date, limit: Int, owner: String, leaseExpiresAt: Date) throws -> [Delivery] {
        var selectDue =
            Self.selectDeliveries + """
                 WHERE state IN ('pending', 'retrying') AND next_attempt_at <= \(now) \
                AND (lease_expires_at IS NULL OR lease_expires_at <= \(now)) ORDER BY next_attempt_at, id LIMIT \(limit)
                """
        switch connection.dialect {
        case .sqlite:
            // The writer connection is the only one: nothing else can claim until this transaction ends.
            break
        case .postgresql:
            // Concurrent claimers (other workers, other replicas) lock disjoint due rows instead of waiting for each other.
            // In a `.rowLocking` (READ COMMITTED) transaction the row locks alone decide who claims: a row whose lease or
            // state another transaction committed since the statement began is re-read and checked against the WHERE
            // clause again before it is locked, so a leased or finished delivery is never claimed twice.
            selectDue += " FOR UPDATE SKIP LOCKED"
        }
        let due = try connection.query(selectDue).map(Self.delivery(from:))
        return try due.map { delivery in
            try connection.execute(
                "UPDATE deliveries SET lease_owner = \(owner), lease_expires_at = \(leaseExpiresAt) WHERE id = \(delivery.id)"
            )
            var leased = delivery
            leased.leaseOwner = owner
            leased.leaseExpiresAt = leaseExpiresAt.roundedToMilliseconds
            return leased
        }
    }

    func updateDelivery(_ delivery: Delivery) throws {
        try connection.execute(
            """
            UPDATE deliveries SET state = \(delivery.state.rawValue), attempts = \(delivery.attempts), \
            budget_start = \(delivery.budgetStart), next_attempt_at = \(delivery.nextAttemptAt), \
            lease_owner = \(delivery.leaseOwner), lease_expires_at = \(delivery.leaseExpiresAt), reason = \(delivery.reason), \
            updated_at = \(delivery.updatedAt) WHERE id = \(delivery.id)
            """
        )
    }

    func releaseLeases(owner: String) throws {
        try connection.execute("UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = \(owner)")
    }

    func wakeDeliveries(attestationIDs: [String], at date: Date) throws {
        for id in attestationIDs {
            try connection.execute(
                """
                UPDATE deliveries SET next_attempt_at = \(date) WHERE attestation_id = \(id) AND state IN ('pending', 'retrying') \
                AND next_attempt_at > \(date)
                """
            )
        }
    }

    func earliestPendingAttempt() throws -> Date? {
        let rows = try connection.query("SELECT MIN(next_attempt_at) AS earliest FROM deliveries WHERE state IN ('pending', 'retrying')")
        return try rows.first?.optionalDate("earliest")
    }

    func deliveryCounts() throws -> [DeliveryCount] {
        let rows = try connection.query(
            """
            SELECT r.kind AS kind, d.state AS state, COUNT(*) AS count FROM deliveries d \
            JOIN integration_registrations r ON r.id = d.registration_id GROUP BY r.kind, d.state ORDER BY r.kind, d.state
            """
        )
        return try rows.map { row in
            let stateName = try row.string("state")
            guard let state = DeliveryState(rawValue: stateName) else {
                throw SQLError(.decoding, "Delivery state '\(stateName)' is not a known state.")
            }
            return DeliveryCount(integrationKind: try row.string("kind"), state: state, count: try row.int("count"))
        }
    }

    func insertAttempt(_ attempt: DeliveryAttempt) throws {
        try connection.execute(
            """
            INSERT INTO delivery_attempts (delivery_id, number, started_at, duration_ms, outcome, http_status, error, retry_after_ms)
            VALUES (\(attempt.deliveryID), \(attempt.number), \(attempt.startedAt), \(attempt.durationMilliseconds), \(attempt.outcome.rawValue), \
            \(attempt.httpStatus), \(attempt.error), \(attempt.retryAfterMilliseconds))
            ON CONFLICT (delivery_id, number) DO NOTHING
            """
        )
    }

    func attempts(deliveryID: String) throws -> [DeliveryAttempt] {
        let query: SQLQuery = """
            SELECT delivery_id, number, started_at, duration_ms, outcome, http_status, error, retry_after_ms FROM delivery_attempts \
            WHERE delivery_id = \(deliveryID) ORDER BY number
            """
        return try connection.query(query).map { row in
            DeliveryAttempt(
                deliveryID: try row.string("delivery_id"),
                number: try row.int("number"),
                startedAt: try row.date("started_at"),
                durationMilliseconds: try row.int64("duration_ms"),
                outcome: try Self.outcome(try row.string("outcome")),
                httpStatus: try row.isNull("http_status") ? nil : try row.int("http_status"),
                error: try row.string("error"),
                retryAfterMilliseconds: try row.isNull("retry_after_ms") ? nil : try row.int64("retry_after_ms")
            )
        }
    }

    func upsertPart(_ part: DeliveryPart) throws {
        try connection.execute(
            """
            INSERT INTO delivery_parts (delivery_id, part_id, outcome, reference, updated_at)
            VALUES (\(part.deliveryID), \(part.partID), \(part.outcome.rawValue), \(part.reference), \(part.updatedAt))
            ON CONFLICT (delivery_id, part_id) DO UPDATE SET outcome = excluded.outcome, reference = excluded.reference, \
            updated_at = excluded.updated_at WHERE delivery_parts.outcome <> \(AttemptOutcome.delivered.rawValue)
            """
        )
    }

    func parts(deliveryID: String) throws -> [DeliveryPart] {
        let query: SQLQuery = """
            SELECT delivery_id, part_id, outcome, reference, updated_at FROM delivery_parts WHERE delivery_id = \(deliveryID) ORDER BY part_id
            """
        return try connection.query(query).map { row in
            DeliveryPart(
                deliveryID: try row.string("delivery_id"),
                partID: try row.string("part_id"),
                outcome: try Self.outcome(try row.string("outcome")),
                reference: try row.optionalString("reference"),
                updatedAt: try row.date("updated_at")
            )
        }
    }

    // MARK: Helpers

    /// Runs an insert, turning a unique violation into the conflict error of the key it names: a natural key (a
    /// `name` or, for attachments, the registration–workflow pair) or else the id.
    private func inserting(_ query: SQLQuery, onDuplicateName: CourierError, onDuplicateID: CourierError) throws {
        do {
            try connection.execute(query)
        } catch let error as SQLError where error.kind == .uniqueViolation {
            let isNaturalKey = error.message.contains("name") || error.message.contains("registration_id")
            throw isNaturalKey ? onDuplicateName : onDuplicateID
        }
    }

    private static let selectOrganizations: SQLQuery = "SELECT id, name, created_at FROM organizations"

    private static func organization(from row: SQLRow) throws -> Organization {
        Organization(id: try row.string("id"), name: try row.string("name"), createdAt: try row.date("created_at"))
    }

    private static let selectTokens: SQLQuery = """
        SELECT id, organization_id, name, role, scope_project, scope_workflow, secret_hash, created_at, revoked_at FROM tokens
        """

    private static func token(from row: SQLRow) throws -> APIToken {
        let roleName = try row.string("role")
        guard let role = Role(rawValue: roleName) else {
            throw SQLError(.decoding, "Token role '\(roleName)' is not a known role.")
        }
        var scope: WorkflowScope?
        if let project = try row.optionalString("scope_project"), let workflow = try row.optionalString("scope_workflow") {
            scope = WorkflowScope(project: project, workflow: workflow)
        }
        return APIToken(
            id: try row.string("id"),
            organizationID: try row.string("organization_id"),
            name: try row.string("name"),
            role: role,
            scope: scope,
            secretHash: try row.string("secret_hash"),
            createdAt: try row.date("created_at"),
            revokedAt: try row.optionalDate("revoked_at")
        )
    }

    private static let selectActiveWorkflows: SQLQuery = """
        SELECT w.id AS id, w.organization_id AS organization_id, w.project_id AS project_id, p.name AS project_name, \
        w.name AS name, w.team AS team, w.description AS description, w.created_at AS created_at \
        FROM workflows w JOIN projects p ON p.id = w.project_id WHERE w.deleted_at IS NULL
        """

    private static func workflow(from row: SQLRow) throws -> Workflow {
        Workflow(
            id: try row.string("id"),
            organizationID: try row.string("organization_id"),
            projectID: try row.string("project_id"),
            projectName: try row.string("project_name"),
            name: try row.string("name"),
            team: try row.string("team"),
            description: try row.string("description"),
            createdAt: try row.date("created_at")
        )
    }

    private static let selectRegistrations: SQLQuery = """
        SELECT id, organization_id, name, kind, description, configuration, credentials_key_id, credentials_ciphertext, created_at \
        FROM integration_registrations
        """

    private static let selectActiveRegistrations = selectRegistrations + " WHERE deleted_at IS NULL"

    private static func registration(from row: SQLRow) throws -> IntegrationRegistration {
        var credentials: SealedSecret?
        if let keyID = try row.optionalString("credentials_key_id"), let ciphertext = try row.optionalString("credentials_ciphertext") {
            credentials = SealedSecret(keyID: keyID, ciphertext: ciphertext)
        }
        return IntegrationRegistration(
            id: try row.string("id"),
            organizationID: try row.string("organization_id"),
            name: try row.string("name"),
            kind: try row.string("kind"),
            description: try row.string("description"),
            configuration: try row.string("configuration"),
            credentials: credentials,
            createdAt: try row.date("created_at")
        )
    }

    private static let selectActiveAttachments: SQLQuery = """
        SELECT id, organization_id, registration_id, workflow_id, configuration, created_at FROM integration_attachments \
        WHERE deleted_at IS NULL
        """

    private static func attachment(from row: SQLRow) throws -> IntegrationAttachment {
        IntegrationAttachment(
            id: try row.string("id"),
            organizationID: try row.string("organization_id"),
            registrationID: try row.string("registration_id"),
            workflowID: try row.string("workflow_id"),
            configuration: try row.string("configuration"),
            createdAt: try row.date("created_at")
        )
    }

    private static let selectAttestations: SQLQuery = """
        SELECT id, organization_id, workflow_id, digest, envelope, annotations, materials, runner_type, run_url, started_at, verified_by, \
        warnings, created_at FROM attestations
        """

    private static func attestation(from row: SQLRow) throws -> AttestationRecord {
        AttestationRecord(
            id: try row.string("id"),
            organizationID: try row.string("organization_id"),
            workflowID: try row.string("workflow_id"),
            digest: try row.string("digest"),
            envelope: Data(try row.bytes("envelope")),
            annotations: try JSONColumn.decode([String: String].self, try row.string("annotations")),
            materials: try JSONColumn.decode([StoredMaterial].self, try row.string("materials")),
            runnerType: try row.string("runner_type"),
            runURL: try row.string("run_url"),
            startedAt: try row.optionalDate("started_at"),
            verifiedBy: try row.optionalString("verified_by"),
            warnings: try JSONColumn.decode([String].self, try row.string("warnings")),
            createdAt: try row.date("created_at")
        )
    }

    private static let selectDeliveries: SQLQuery = """
        SELECT id, organization_id, registration_id, attachment_id, attestation_id, workflow_id, kind, state, attempts, budget_start, \
        next_attempt_at, lease_owner, lease_expires_at, reason, created_at, updated_at FROM deliveries
        """

    private static func delivery(from row: SQLRow) throws -> Delivery {
        let kindName = try row.string("kind")
        let stateName = try row.string("state")
        guard let kind = DeliveryKind(rawValue: kindName), let state = DeliveryState(rawValue: stateName) else {
            throw SQLError(.decoding, "Delivery kind '\(kindName)' or state '\(stateName)' is not known.")
        }
        return Delivery(
            id: try row.string("id"),
            organizationID: try row.string("organization_id"),
            registrationID: try row.string("registration_id"),
            attachmentID: try row.optionalString("attachment_id"),
            attestationID: try row.optionalString("attestation_id"),
            workflowID: try row.optionalString("workflow_id"),
            kind: kind,
            state: state,
            attempts: try row.int("attempts"),
            budgetStart: try row.int("budget_start"),
            nextAttemptAt: try row.date("next_attempt_at"),
            leaseOwner: try row.optionalString("lease_owner"),
            leaseExpiresAt: try row.optionalDate("lease_expires_at"),
            reason: try row.string("reason"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at")
        )
    }

    private static func outcome(_ name: String) throws -> AttemptOutcome {
        guard let outcome = AttemptOutcome(rawValue: name) else {
            throw SQLError(.decoding, "Attempt outcome '\(name)' is not known.")
        }
        return outcome
    }
}

/// JSON-encoded columns (annotations, materials, warnings), written with sorted keys so equal values store equal text.
enum JSONColumn {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw SQLError(.decoding, "A JSON column does not decode as \(T.self).")
        }
    }
}
