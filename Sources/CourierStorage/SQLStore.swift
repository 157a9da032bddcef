import CourierCore

import struct Foundation.Date

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

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await Self.mappingErrors {
            try await database.write { connection in try body(SQLStoreTransaction(connection: connection)) }
        }
    }

    private static func mappingErrors<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
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
}
