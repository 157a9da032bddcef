import CourierCore
import CourierPostgres
import CourierStorage
import CourierTestSupport
import Foundation
import Testing

@Suite struct PostgresDatabaseTests {
    @Test func replicasMigratingTogetherApplyEachMigrationOnce() async throws {
        let connectionString = try await PostgresTestServer.freshDatabase()
        let migrations = CourierSchema.migrations(for: .postgresql)
        let first = try await PostgresDatabase(connectionString: connectionString)
        let second = try await PostgresDatabase(connectionString: connectionString)
        async let appliedByFirst = Migrator.migrate(first, migrations: migrations)
        async let appliedBySecond = Migrator.migrate(second, migrations: migrations)
        let applied = try await appliedByFirst + appliedBySecond
        #expect(applied.map(\.version).sorted() == migrations.map(\.version))
        #expect(try await Migrator.appliedVersions(of: first) == migrations.map(\.version))
    }

    @Test func valuesRoundTripAsBindsNeverAsSQL() async throws {
        let database = try await PostgresDatabase(connectionString: try await PostgresTestServer.freshDatabase())
        let texts = ["x'); DROP TABLE samples; --", "$1 $2 ?1 :name", "quote ' double \" backslash \\ E'\\x00'", "ünïcödé 🚀", ""]
        let blobs: [[UInt8]] = [Array(0...255), [], [0], Array("\\x41".utf8)]
        let integers: [Int64] = [0, -1, .max, .min]
        let rows = try await database.write { connection in
            try connection.executeScript(unsafeSQL: "CREATE TABLE samples (n BIGINT NOT NULL, t TEXT, b BYTEA, i BIGINT, r DOUBLE PRECISION)")
            for (index, text) in texts.enumerated() {
                try connection.execute("INSERT INTO samples (n, t) VALUES (\(index), \(text))")
            }
            for (index, blob) in blobs.enumerated() {
                try connection.execute("INSERT INTO samples (n, b) VALUES (\(100 + index), \(blob))")
            }
            for (index, integer) in integers.enumerated() {
                try connection.execute("INSERT INTO samples (n, i, r) VALUES (\(200 + index), \(integer), \(0.5))")
            }
            return try connection.query("SELECT n, t, b, i, r FROM samples ORDER BY n")
        }
        #expect(try rows.prefix(texts.count).map { try $0.string("t") } == texts)
        #expect(try rows.dropFirst(texts.count).prefix(blobs.count).map { try $0.bytes("b") } == blobs)
        #expect(try rows.suffix(integers.count).map { try $0.int64("i") } == integers)
        #expect(try rows.suffix(integers.count).map { try $0.double("r") } == Array(repeating: 0.5, count: integers.count))
        #expect(try rows.first?.isNull("b") == true)
    }

    @Test func constraintErrorsNameTheConstraintAndColumnsButNotTheValues() async throws {
        let store = try await SQLStore.postgres(connectionString: try await PostgresTestServer.freshDatabase())
        let database = try #require(store.database as? PostgresDatabase)
        _ = try await database.write { connection in
            try connection.execute("INSERT INTO organizations (id, name, created_at) VALUES (\("org-1"), \("secret-name"), \(0))")
        }
        let error = await #expect(throws: SQLError.self) {
            try await database.write { connection in
                try connection.execute("INSERT INTO organizations (id, name, created_at) VALUES (\("org-2"), \("secret-name"), \(0))")
            }
        }
        #expect(error?.kind == .uniqueViolation)
        #expect(error?.message.contains("organizations_name_key") == true, "\(String(describing: error))")
        #expect(error?.message.contains("(columns name)") == true, "\(String(describing: error))")
        #expect(error?.description.contains("secret-name") == false)
    }

    @Test func connectionErrorsNeverShowThePassword() async throws {
        guard var components = URLComponents(string: try await PostgresTestServer.serverURL()) else { return }
        components.user = "nobody"
        components.password = "hunter2-password"
        let error = await #expect(throws: CourierError.self) {
            try await PostgresDatabase(connectionString: components.string!)
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.hasPrefix("Cannot connect to PostgreSQL (host 127.0.0.1, port ") == true, "\(String(describing: error))")
        #expect(String(reflecting: error).contains("hunter2") == false)
    }

    @Test func thePoolNeverOpensMoreThanItsMaximum() async throws {
        let connectionString = try await PostgresTestServer.freshDatabase()
        let database = try await PostgresDatabase(connectionString: connectionString, configuration: PoolConfiguration(maximumConnections: 2))
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await database.read { connection in
                        let rows = try connection.query(
                            "SELECT COUNT(*) AS open FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'courier'"
                        )
                        return try rows.first?.int("open") ?? 0
                    }
                }
            }
            var counts: [Int] = []
            for try await count in group { counts.append(count) }
            return counts
        }
        #expect(counts.count == 12)
        #expect(counts.allSatisfy { (1...2).contains($0) }, "\(counts)")
    }
}
