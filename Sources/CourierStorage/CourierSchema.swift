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
        [initial, integrations, content, deliveries]
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

    private static let deliveries = Migration(
        version: 4,
        name: "create_keys_attestations_and_deliveries",
        sql: """
            CREATE TABLE verification_keys (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations (id),
                name TEXT NOT NULL,
                public_key TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE UNIQUE INDEX verification_keys_name_key ON verification_keys (organization_id, name);

            CREATE TABLE attestations (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations (id),
                workflow_id TEXT NOT NULL REFERENCES workflows (id),
                digest TEXT NOT NULL,
                envelope BLOB NOT NULL,
                annotations TEXT NOT NULL,
                materials TEXT NOT NULL,
                runner_type TEXT NOT NULL,
                run_url TEXT NOT NULL,
                started_at BIGINT,
                verified_by TEXT,
                warnings TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE UNIQUE INDEX attestations_workflow_digest_key ON attestations (organization_id, workflow_id, digest);
            CREATE INDEX attestations_digest_idx ON attestations (organization_id, digest);
            CREATE INDEX attestations_created_idx ON attestations (organization_id, created_at);

            CREATE TABLE attestation_contents (
                attestation_id TEXT NOT NULL REFERENCES attestations (id),
                organization_id TEXT NOT NULL,
                digest TEXT NOT NULL,
                PRIMARY KEY (attestation_id, digest)
            );
            CREATE INDEX attestation_contents_digest_idx ON attestation_contents (organization_id, digest);

            CREATE TABLE deliveries (
                id TEXT PRIMARY KEY,
                organization_id TEXT NOT NULL REFERENCES organizations (id),
                registration_id TEXT NOT NULL REFERENCES integration_registrations (id),
                attachment_id TEXT REFERENCES integration_attachments (id),
                attestation_id TEXT REFERENCES attestations (id),
                workflow_id TEXT,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                budget_start INTEGER NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                lease_owner TEXT,
                lease_expires_at BIGINT,
                reason TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE UNIQUE INDEX deliveries_attestation_attachment_key ON deliveries (attestation_id, attachment_id)
                WHERE attestation_id IS NOT NULL AND attachment_id IS NOT NULL;
            CREATE INDEX deliveries_due_idx ON deliveries (state, next_attempt_at);
            CREATE INDEX deliveries_organization_created_idx ON deliveries (organization_id, created_at);
            CREATE INDEX deliveries_attestation_idx ON deliveries (attestation_id);

            CREATE TABLE delivery_attempts (
                delivery_id TEXT NOT NULL REFERENCES deliveries (id),
                number INTEGER NOT NULL,
                started_at BIGINT NOT NULL,
                duration_ms BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                http_status INTEGER,
                error TEXT NOT NULL,
                retry_after_ms BIGINT,
                PRIMARY KEY (delivery_id, number)
            );

            CREATE TABLE delivery_parts (
                delivery_id TEXT NOT NULL REFERENCES deliveries (id),
                part_id TEXT NOT NULL,
                outcome TEXT NOT NULL,
                reference TEXT,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (delivery_id, part_id)
            );
            """
    )
}
