/// The tables of Courier's SQL stores, as migrations per dialect.
///
/// Conventions `SQLStore` relies on:
/// - dates are `BIGINT` milliseconds since 1970;
/// - every unique constraint or index on a natural key has `name` in its columns or its name, and
///   the token secret's has `secret_hash`, so a violation can be told apart from a duplicate id;
/// - text compares byte-wise (SQLite's `BINARY`; a PostgreSQL schema must use `COLLATE "C"`), so
///   orderings match `InMemoryStore`.
public enum CourierSchema {
    /// Every migration of the schema for `dialect`, in version order.
    public static func migrations(for dialect: SQLDialect) -> [Migration] {
        // Every version is written in the subset of SQL both dialects accept.
        [initial, integrations, content]
    }

    private static let initial = Migration(
        version: 1,
        name: "create_organizations_tokens_projects_workflows",
        sql: """
            CREATE TABLE organizations (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE UNIQUE INDEX organizations_name_key ON organizations (name);

            CREATE TABLE tokens (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations (id),
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                scope_project TEXT,
                scope_workflow TEXT,
                secret_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT,
                CHECK ((scope_project IS NULL) = (scope_workflow IS NULL))
            );
            CREATE UNIQUE INDEX tokens_secret_hash_key ON tokens (secret_hash);
            CREATE UNIQUE INDEX tokens_active_name_key ON tokens (organization_id, name) WHERE revoked_at IS NULL;
            CREATE INDEX tokens_active_created_idx ON tokens (organization_id, created_at) WHERE revoked_at IS NULL;

            CREATE TABLE projects (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations (id),
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE UNIQUE INDEX projects_name_key ON projects (organization_id, name);
            CREATE UNIQUE INDEX projects_organization_id_key ON projects (organization_id, id);

            CREATE TABLE workflows (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL,
                project_id TEXT NOT NULL,
                name TEXT NOT NULL,
                team TEXT NOT NULL,
                description TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                deleted_at BIGINT,
                FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id)
            );
            CREATE UNIQUE INDEX workflows_active_name_key ON workflows (organization_id, project_id, name)
                WHERE deleted_at IS NULL;
            CREATE INDEX workflows_project_idx ON workflows (project_id);
            """
    )

    private static let integrations = Migration(
        version: 2,
        name: "create_integration_registrations_and_attachments",
        sql: """
            CREATE TABLE integration_registrations (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations (id),
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                description TEXT NOT NULL,
                configuration TEXT NOT NULL,
                credentials_key_id TEXT,
                credentials_ciphertext TEXT,
                created_at BIGINT NOT NULL,
                deleted_at BIGINT,
                CHECK ((credentials_key_id IS NULL) = (credentials_ciphertext IS NULL))
            );
            CREATE UNIQUE INDEX integration_registrations_active_name_key ON integration_registrations (organization_id, name)
                WHERE deleted_at IS NULL;
            CREATE UNIQUE INDEX integration_registrations_organization_id_key ON integration_registrations (organization_id, id);

            CREATE TABLE integration_attachments (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL,
                registration_id TEXT NOT NULL,
                workflow_id TEXT NOT NULL REFERENCES workflows (id),
                configuration TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                deleted_at BIGINT,
                FOREIGN KEY (organization_id, registration_id) REFERENCES integration_registrations (organization_id, id)
            );
            CREATE UNIQUE INDEX integration_attachments_active_pair_key ON integration_attachments (registration_id, workflow_id)
                WHERE deleted_at IS NULL;
            CREATE INDEX integration_attachments_workflow_idx ON integration_attachments (workflow_id) WHERE deleted_at IS NULL;
            """
    )

    private static let content = Migration(
        version: 3,
        name: "create_content_objects",
        sql: """
            CREATE TABLE content_objects (
                organization_id TEXT NOT NULL REFERENCES organizations (id),
                digest TEXT NOT NULL,
                size BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (organization_id, digest)
            );
            """
    )
}
