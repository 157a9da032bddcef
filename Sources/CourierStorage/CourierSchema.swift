/// The tables of Courier's SQL stores, as migrations per dialect.
///
/// Conventions `SQLStore` relies on:
/// - dates are `BIGINT` milliseconds since 1970;
/// - every unique constraint or index on a natural key has `name` in its columns or its name, and
///   the token secret's has `secret_hash`, so a violation can be told apart from a duplicate id;
/// - text compares byte-wise (SQLite's `BINARY`; PostgreSQL columns are `TEXT COLLATE "C"`), so
///   orderings match `InMemoryStore`; blobs are `BLOB` in SQLite and `BYTEA` in PostgreSQL.
public enum CourierSchema {
    /// Every migration of the schema for `dialect`, in version order.
    public static func migrations(for dialect: SQLDialect) -> [Migration] {
        // Every version is written in the subset of SQL both dialects accept, except the column types.
        let types = ColumnTypes(dialect)
        return [initial(types), integrations(types), content(types), deliveries(types), dueQueue()]
    }

    /// The column types whose spelling differs between dialects.
    private struct ColumnTypes {
        /// Text that compares and sorts byte-wise.
        let text: String
        /// Raw bytes.
        let blob: String

        init(_ dialect: SQLDialect) {
            switch dialect {
            case .sqlite:
                text = "TEXT"
                blob = "BLOB"
            case .postgresql:
                text = #"TEXT COLLATE "C""#
                blob = "BYTEA"
            }
        }
    }

    private static func initial(_ types: ColumnTypes) -> Migration {
        Migration(
            version: 1,
            name: "create_organizations_tokens_projects_workflows",
            sql: """
                CREATE TABLE organizations (
                    id \(types.text) PRIMARY KEY,
                    name \(types.text) NOT NULL,
                    created_at BIGINT NOT NULL
                );
                CREATE UNIQUE INDEX organizations_name_key ON organizations (name);

                CREATE TABLE tokens (
                    id \(types.text) PRIMARY KEY,
                    organization_id \(types.text) NOT NULL REFERENCES organizations (id),
                    name \(types.text) NOT NULL,
                    role \(types.text) NOT NULL,
                    scope_project \(types.text),
                    scope_workflow \(types.text),
                    secret_hash \(types.text) NOT NULL,
                    created_at BIGINT NOT NULL,
                    revoked_at BIGINT,
                    CHECK ((scope_project IS NULL) = (scope_workflow IS NULL))
                );
                CREATE UNIQUE INDEX tokens_secret_hash_key ON tokens (secret_hash);
                CREATE UNIQUE INDEX tokens_active_name_key ON tokens (organization_id, name) WHERE revoked_at IS NULL;
                CREATE INDEX tokens_active_created_idx ON tokens (organization_id, created_at) WHERE revoked_at IS NULL;

                CREATE TABLE projects (
                    id \(types.text) PRIMARY KEY,
                    organization_id \(types.text) NOT NULL REFERENCES organizations (id),
                    name \(types.text) NOT NULL,
                    created_at BIGINT NOT NULL
                );
                CREATE UNIQUE INDEX projects_name_key ON projects (organization_id, name);
                CREATE UNIQUE INDEX projects_organization_id_key ON projects (organization_id, id);

                CREATE TABLE workflows (
                    id \(types.text) PRIMARY KEY,
                    organization_id \(types.text) NOT NULL,
                    project_id \(types.text) NOT NULL,
                    name \(types.text) NOT NULL,
                    team \(types.text) NOT NULL,
                    description \(types.text) NOT NULL,
                    created_at BIGINT NOT NULL,
                    deleted_at BIGINT,
                    FOREIGN KEY (organization_id, project_id) REFERENCES projects (organization_id, id)
                );
                CREATE UNIQUE INDEX workflows_active_name_key ON workflows (organization_id, project_id, name)
                    WHERE deleted_at IS NULL;
                CREATE INDEX workflows_project_idx ON workflows (project_id);
                """
        )
    }

    private static func integrations(_ types: ColumnTypes) -> Migration {
        Migration(
            version: 2,
            name: "create_integration_registrations_and_attachments",
            sql: """
                CREATE TABLE integration_registrations (
                    id \(types.text) PRIMARY KEY,
                    organization_id \(types.text) NOT NULL REFERENCES organizations (id),
                    name \(types.text) NOT NULL,
                    kind \(types.text) NOT NULL,
                    description \(types.text) NOT NULL,
                    configuration \(types.text) NOT NULL,
                    credentials_key_id \(types.text),
                    credentials_ciphertext \(types.text),
                    created_at BIGINT NOT NULL,
                    deleted_at BIGINT,
                    CHECK ((credentials_key_id IS NULL) = (credentials_ciphertext IS NULL))
                );
                CREATE UNIQUE INDEX integration_registrations_active_name_key ON integration_registrations (organization_id, name)
                    WHERE deleted_at IS NULL;
                CREATE UNIQUE INDEX integration_registrations_organization_id_key ON integration_registrations (organization_id, id);

                CREATE TABLE integration_attachments (
                    id \(types.text) PRIMARY KEY,
                    organization_id \(types.text) NOT NULL,
                    registration_id \(types.text) NOT NULL,
                    workflow_id \(types.text) NOT NULL REFERENCES workflows (id),
                    configuration \(types.text) NOT NULL,
                    created_at BIGINT NOT NULL,
                    deleted_at BIGINT,
                    FOREIGN KEY (organization_id, registration_id) REFERENCES integration_registrations (organization_id, id)
                );
                CREATE UNIQUE INDEX integration_attachments_active_pair_key ON integration_attachments (registration_id, workflow_id)
                    WHERE deleted_at IS NULL;
                CREATE INDEX integration_attachments_workflow_idx ON integration_attachments (workflow_id) WHERE deleted_at IS NULL;
                """
        )
    }

    private static func content(_ types: ColumnTypes) -> Migration {
        Migration(
            version: 3,
            name: "create_content_objects",
            sql: """
                CREATE TABLE content_objects (
                    organization_id \(types.text) NOT NULL REFERENCES organizations (id),
                    digest \(types.text) NOT NULL,
                    size BIGINT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (organization_id, digest)
                );
                """
        )
    }

    private static func deliveries(_ types: ColumnTypes) -> Migration {
        Migration(
            version: 4,
            name: "create_keys_attestations_and_deliveries",
            sql: """
                CREATE TABLE verification_keys (
                    id \(types.text) PRIMARY KEY,
                    organization_id \(types.text) NOT NULL REFERENCES organizations (id),
                    name \(types.text) NOT NULL,
                    public_key \(types.text) NOT NULL,
                    created_at BIGINT NOT NULL
                );
                CREATE UNIQUE INDEX verification_keys_name_key ON verification_keys (organization_id, name);

                CREATE TABLE attestations (
                    id \(types.text) PRIMARY KEY,
                    organization_id \(types.text) NOT NULL REFERENCES organizations (id),
                    workflow_id \(types.text) NOT NULL REFERENCES workflows (id),
                    digest \(types.text) NOT NULL,
                    envelope \(types.blob) NOT NULL,
                    annotations \(types.text) NOT NULL,
                    materials \(types.text) NOT NULL,
                    runner_type \(types.text) NOT NULL,
                    run_url \(types.text) NOT NULL,
                    started_at BIGINT,
                    verified_by \(types.text),
                    warnings \(types.text) NOT NULL,
                    created_at BIGINT NOT NULL
                );
                CREATE UNIQUE INDEX attestations_workflow_digest_key ON attestations (organization_id, workflow_id, digest);
                CREATE INDEX attestations_digest_idx ON attestations (organization_id, digest);
                CREATE INDEX attestations_created_idx ON attestations (organization_id, created_at);

                CREATE TABLE attestation_contents (
                    attestation_id \(types.text) NOT NULL REFERENCES attestations (id),
                    organization_id \(types.text) NOT NULL,
                    digest \(types.text) NOT NULL,
                    PRIMARY KEY (attestation_id, digest)
                );
                CREATE INDEX attestation_contents_digest_idx ON attestation_contents (organization_id, digest);

                CREATE TABLE deliveries (
                    id \(types.text) PRIMARY KEY,
                    organization_id \(types.text) NOT NULL REFERENCES organizations (id),
                    registration_id \(types.text) NOT NULL REFERENCES integration_registrations (id),
                    attachment_id \(types.text) REFERENCES integration_attachments (id),
                    attestation_id \(types.text) REFERENCES attestations (id),
                    workflow_id \(types.text),
                    kind \(types.text) NOT NULL,
                    state \(types.text) NOT NULL,
                    attempts INTEGER NOT NULL,
                    budget_start INTEGER NOT NULL,
                    next_attempt_at BIGINT NOT NULL,
                    lease_owner \(types.text),
                    lease_expires_at BIGINT,
                    reason \(types.text) NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                );
                CREATE UNIQUE INDEX deliveries_attestation_attachment_key ON deliveries (attestation_id, attachment_id)
                    WHERE attestation_id IS NOT NULL AND attachment_id IS NOT NULL;
                CREATE INDEX deliveries_due_idx ON deliveries (state, next_attempt_at);
                CREATE INDEX deliveries_organization_created_idx ON deliveries (organization_id, created_at);
                CREATE INDEX deliveries_attestation_idx ON deliveries (attestation_id);

                CREATE TABLE delivery_attempts (
                    delivery_id \(types.text) NOT NULL REFERENCES deliveries (id),
                    number INTEGER NOT NULL,
                    started_at BIGINT NOT NULL,
                    duration_ms BIGINT NOT NULL,
                    outcome \(types.text) NOT NULL,
                    http_status INTEGER,
                    error \(types.text) NOT NULL,
                    retry_after_ms BIGINT,
                    PRIMARY KEY (delivery_id, number)
                );

                CREATE TABLE delivery_parts (
                    delivery_id \(types.text) NOT NULL REFERENCES deliveries (id),
                    part_id \(types.text) NOT NULL,
                    outcome \(types.text) NOT NULL,
                    reference \(types.text),
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (delivery_id, part_id)
                );
                """
        )
    }

    /// The due queue as a partial index in claim order: a claim reads the first due rows and stops, instead of
    /// sorting every pending delivery, and finished deliveries leave the index.
    private static func dueQueue() -> Migration {
        Migration(
            version: 5,
            name: "index_due_deliveries_in_claim_order",
            sql: """
                DROP INDEX deliveries_due_idx;
                CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at, id) WHERE state IN ('pending', 'retrying');
                """
        )
    }
}
