import CourierCore
import CourierSQLite
import CourierStorage
import CourierTestSupport
import Foundation
import Testing

@Suite struct SQLiteDatabaseTests {
    let directory: TemporaryDirectory
    let path: String

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path("courier.db")
    }

    @Test func connectionsUseWALForeignKeysAndFullSync() async throws {
        let database = try await SQLiteDatabase(path: path)
        let pragmas: @Sendable (any SQLConnection) throws -> [String: SQLValue] = { connection in
            var values: [String: SQLValue] = [:]
            for name in ["journal_mode", "foreign_keys", "synchronous", "busy_timeout"] {
                values[name] = try connection.query(SQLQuery(unsafeSQL: "PRAGMA \(name)")).first?.values.first
            }
            return values
        }
        // synchronous FULL is 2.
        let expected: [String: SQLValue] = [
            "journal_mode": .text("wal"), "foreign_keys": .integer(1), "synchronous": .integer(2), "busy_timeout": .integer(5_000),
        ]
        #expect(try await database.write(pragmas) == expected)
        for _ in 0..<3 {
            #expect(try await database.read(pragmas) == expected)
        }
    }

    @Test func createsTheFileReadableByItsOwnerOnly() async throws {
        _ = try await SQLiteDatabase(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test func reportsAPathItCannotOpen() async throws {
        let missing = directory.path("no-such-directory/courier.db")
        let error = await #expect(throws: CourierError.self) { try await SQLiteDatabase(path: missing) }
        #expect(error?.code == .unavailable)
        #expect(error?.message == "Cannot open the database at \(missing): No such file or directory.")
    }

    @Test func migrationsAreRecordedOnceAcrossReopens() async throws {
        let database = try await SQLiteDatabase(path: path)
        let versions = CourierSchema.migrations(for: .sqlite).map(\.version)
        #expect(try await Migrator.appliedVersions(of: database) == versions)
        #expect(try await Migrator.migrate(database, migrations: CourierSchema.migrations(for: .sqlite)).isEmpty)

        let reopened = try await SQLiteDatabase(path: path)
        #expect(try await Migrator.appliedVersions(of: reopened) == versions)
        let names = try await reopened.read { connection in
            try connection.query("SELECT name, applied_at FROM schema_migrations ORDER BY version").map { try $0.string("name") }
        }
        #expect(names == CourierSchema.migrations(for: .sqlite).map(\.name))
    }

    @Test func newMigrationsApplyInOrderInTheirOwnTransactions() async throws {
        let database = try await SQLiteDatabase(path: path)
        let schema = CourierSchema.migrations(for: .sqlite)
        let current = schema.map(\.version)
        let next = (current.max() ?? 0) + 1
        let later = [
            Migration(version: next + 1, name: "add_index", sql: "CREATE INDEX notes_body_idx ON notes (body);"),
            Migration(version: next, name: "create_notes", sql: "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL);"),
        ]
        let all = schema + later
        #expect(try await Migrator.migrate(database, migrations: all).map(\.version) == [next, next + 1])
        #expect(try await Migrator.appliedVersions(of: database) == current + [next, next + 1])

        // A failing migration is not recorded and leaves no partial change behind.
        let broken = Migration(version: next + 2, name: "broken", sql: "CREATE TABLE half (id TEXT); SELECT * FROM no_such_table;")
        await #expect(throws: SQLError.self) { try await Migrator.migrate(database, migrations: all + [broken]) }
        #expect(try await Migrator.appliedVersions(of: database) == current + [next, next + 1])
        let tables = try await database.read { connection in
            try connection.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'half'")
        }
        #expect(tables.isEmpty)
    }

    @Test func refusesADatabaseFromANewerSchema() async throws {
        let database = try await SQLiteDatabase(path: path)
        _ = try await database.write { connection in
            try connection.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(99), \("future"), \(0))")
        }
        let error = await #expect(throws: CourierError.self) { try await SQLiteDatabase(path: path) }
        #expect(error?.code == .failedPrecondition)
    }

    @Test func injectionLookingValuesAreStoredVerbatim() async throws {
        let hostile = "x'); DROP TABLE workflows; --"
        let store = SQLStore(database: try await SQLiteDatabase(path: path))
        let project = Project(id: "prj-1", organizationID: "org-1", name: "web", createdAt: Date(millisecondsSince1970: 0))
        let workflow = Workflow(
            id: "wf-1", organizationID: "org-1", projectID: "prj-1", projectName: "web", name: "build",
            team: hostile, description: hostile, createdAt: Date(millisecondsSince1970: 0)
        )
        try await store.write { tx in
            try tx.insertOrganization(Organization(id: "org-1", name: hostile, createdAt: Date(millisecondsSince1970: 0)))
            try tx.insertProject(project)
            try tx.insertWorkflow(workflow)
        }
        #expect(try await store.read { try $0.organization(named: hostile)?.name } == hostile)
        #expect(try await store.read { try $0.workflows(organizationID: "org-1", project: nil) } == [workflow])
    }

    @Test func dataSurvivesCloseAndReopen() async throws {
        let organization = Organization(id: "org-1", name: "acme", createdAt: Date(timeIntervalSince1970: 1_700_000_000.5))
        do {
            let store = try await SQLStore.sqlite(path: path)
            try await store.write { try $0.insertOrganization(organization) }
        }
        let reopened = try await SQLStore.sqlite(path: path)
        #expect(try await reopened.read { try $0.organization(id: "org-1") } == organization)
    }

    @Test func databaseErrorsBecomeInternalErrorsWithoutSQL() async throws {
        let store = SQLStore(database: try await SQLiteDatabase(path: path))
        let error = await #expect(throws: CourierError.self) {
            try await store.write { tx in
                try tx.insertToken(APIToken(id: "t", organizationID: "missing", name: "t", role: .robot, secretHash: "h", createdAt: Date()))
            }
        }
        #expect(error?.code == .internal)
        #expect(error?.message == "Internal server error.")
        #expect((error?.cause as? SQLError)?.kind == .foreignKeyViolation)
    }

    @Test func concurrentReadsAndWritesSucceed() async throws {
        let store = try await SQLStore.sqlite(path: path)
        let project = Project(id: "prj-1", organizationID: "org-1", name: "web", createdAt: Date(millisecondsSince1970: 0))
        try await store.write { tx in
            try tx.insertOrganization(Organization(id: "org-1", name: "acme", createdAt: Date(millisecondsSince1970: 0)))
            try tx.insertProject(project)
        }
        let writers = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<writers {
                group.addTask {
                    let workflow = Workflow(
                        id: "wf-\(index)", organizationID: "org-1", projectID: "prj-1", projectName: "web",
                        name: "workflow-\(index)", createdAt: Date(millisecondsSince1970: Int64(index))
                    )
                    try await store.write { tx in try tx.insertWorkflow(workflow) }
                }
                group.addTask {
                    let workflows = try await store.read { tx in try tx.workflows(organizationID: "org-1", project: "web") }
                    #expect(workflows.count <= writers)
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.read { try $0.workflows(organizationID: "org-1", project: nil).count } == writers)
    }

    /// Writes that queue up together share one commit, but a write that throws rolls back alone: what it wrote is
    /// gone, its neighbours' writes stay, and each caller gets its own result.
    @Test func aFailingWriteInASharedCommitRollsBackAlone() async throws {
        let database = try await SQLiteDatabase(path: path)
        try await database.write { connection in _ = try connection.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)") }
        struct Refused: Error {}
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<60 {
                group.addTask {
                    do {
                        try await database.write { connection in
                            try connection.execute("INSERT INTO items (id, name) VALUES (\(index), \("item-\(index)"))")
                            // Every third write reads what the writes before it in the same commit left, then fails.
                            if index % 3 == 0 {
                                _ = try connection.query("SELECT count(*) AS n FROM items")
                                throw Refused()
                            }
                        }
                        return (index, true)
                    } catch is Refused {
                        return (index, false)
                    }
                }
            }
            var results: [Int: Bool] = [:]
            for try await (index, committed) in group { results[index] = committed }
            return results
        }
        #expect(results.count == 60)
        #expect(results.filter(\.value).keys.sorted() == (0..<60).filter { $0 % 3 != 0 })
        let stored = try await database.read { connection in
            try connection.query("SELECT id FROM items ORDER BY id").compactMap { row -> Int? in
                if case .integer(let id) = row.values.first { Int(id) } else { nil }
            }
        }
        #expect(stored == (0..<60).filter { $0 % 3 != 0 })
    }

    @Test func aReadSeesOnlyCommittedWrites() async throws {
        let database = try await SQLiteDatabase(path: path)
        try await database.write { connection in _ = try connection.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)") }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await database.write { connection in
                try connection.execute("INSERT INTO items (id) VALUES (1)")
                throw Refused()
            }
        }
        let count = try await database.read { connection in try connection.query("SELECT count(*) AS n FROM items").first?.values.first }
        #expect(count == .integer(0))
    }
}

@Suite struct TestEnvironmentTests {
    @Test func idsCountUpAndTheClockOnlyMovesWhenTold() {
        let clock = TestClock()
        let environment = ServiceEnvironment.testing(clock: clock)
        #expect(environment.newID() == "00000000-0000-0000-0000-000000000001")
        #expect(environment.newID() == "00000000-0000-0000-0000-000000000002")
        let before = environment.now()
        #expect(environment.now() == before)
        clock.advance(by: 1.5)
        #expect(environment.now() == before.addingTimeInterval(1.5))
    }

    @Test func testHashIsDeterministicAndShapedLikeSHA256() {
        let hash = ServiceEnvironment.testHash("courier_secret")
        #expect(hash == ServiceEnvironment.testHash("courier_secret"))
        #expect(hash != ServiceEnvironment.testHash("courier_secret2"))
        #expect(hash.count == 64)
        #expect(hash.allSatisfy { $0.isHexDigit })
    }
}
