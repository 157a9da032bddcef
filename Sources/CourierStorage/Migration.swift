import CourierCore

import struct Foundation.Date

/// One numbered change to a database schema.
public struct Migration: Sendable, Hashable {
    /// The position of the migration; versions are applied in increasing order, once each.
    public var version: Int
    /// A short snake_case description, recorded next to the version.
    public var name: String
    /// The statements to run, separated by semicolons.
    public var sql: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies migrations and records them in the `schema_migrations(version, name, applied_at)` table.
public enum Migrator {
    /// Applies the migrations the database has not recorded yet, in version order, each in its own
    /// write transaction holding the migration lock (`SQLDatabase.withMigrationLock`); running it
    /// again applies nothing new, and processes migrating together apply each migration once.
    ///
    /// - Parameters:
    ///   - migrations: every migration of the schema, with unique versions.
    ///   - now: the time recorded as `applied_at`.
    /// - Returns: the migrations this call applied.
    /// - Throws: `CourierError` with code `failed_precondition` when the database has a version this
    ///   list does not know (it was written by a newer Courier); `SQLError` when a statement fails.
    @discardableResult
    public static func migrate(
        _ database: any SQLDatabase,
        migrations: [Migration],
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> [Migration] {
        let ordered = migrations.sorted { $0.version < $1.version }
        precondition(Set(ordered.map(\.version)).count == ordered.count, "Migration versions must be unique.")
        let known = Set(ordered.map(\.version))
        let recorded = try await database.withMigrationLock { connection in
            try createTable(connection)
            return try appliedVersions(connection)
        }
        if let unknown = recorded.subtracting(known).max() {
            throw CourierError(
                .failedPrecondition,
                "The database has schema version \(unknown), which this Courier does not know; upgrade Courier."
            )
        }
        var applied: [Migration] = []
        for migration in ordered where !recorded.contains(migration.version) {
            let didApply = try await database.withMigrationLock { connection in
                // Another process may have applied it since the versions were read.
                guard try !appliedVersions(connection).contains(migration.version) else { return false }
                try connection.executeScript(unsafeSQL: migration.sql)
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(now()))"
                )
                return true
            }
            if didApply { applied.append(migration) }
        }
        return applied
    }

    /// The versions recorded in `schema_migrations`, in increasing order.
    public static func appliedVersions(of database: any SQLDatabase) async throws -> [Int] {
        try await database.read { connection in
            try connection.query("SELECT version FROM schema_migrations ORDER BY version").map { try $0.int("version") }
        }
    }

    private static func createTable(_ connection: any SQLConnection) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )
            """
        )
    }

    private static func appliedVersions(_ connection: any SQLConnection) throws -> Set<Int> {
        Set(try connection.query("SELECT version FROM schema_migrations").map { try $0.int("version") })
    }
}
