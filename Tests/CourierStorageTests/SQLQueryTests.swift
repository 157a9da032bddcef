import CourierStorage
import Foundation
import Testing

@Suite struct SQLQueryTests {
    @Test func interpolationsBecomeNumberedBinds() {
        let name = "build"
        let query: SQLQuery = "SELECT id FROM workflows WHERE name = \(name) AND deleted_at IS NULL LIMIT \(1)"
        #expect(query.sql(for: .sqlite) == "SELECT id FROM workflows WHERE name = ?1 AND deleted_at IS NULL LIMIT ?2")
        #expect(query.sql(for: .postgresql) == "SELECT id FROM workflows WHERE name = $1 AND deleted_at IS NULL LIMIT $2")
        #expect(query.binds == [.text("build"), .integer(1)])
    }

    @Test func hostileTextIsBoundNotSpliced() {
        let hostile = "x'); DROP TABLE workflows; --"
        let query: SQLQuery = "INSERT INTO workflows (name) VALUES (\(hostile))"
        #expect(query.sql(for: .sqlite) == "INSERT INTO workflows (name) VALUES (?1)")
        #expect(query.binds == [.text(hostile)])
    }

    @Test func valuesConvertToTheirSQLForms() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123_4)
        let missing: String? = nil
        let query: SQLQuery = "\(Int64(7)) \(2.5) \(true) \(date) \(missing) \([UInt8]([1, 2])) \(Data([3])) \(SQLValue.null)"
        #expect(
            query.binds == [
                .integer(7), .real(2.5), .integer(1), .integer(1_700_000_000_123), .null, .blob([1, 2]), .blob([3]), .null,
            ]
        )
    }

    @Test func concatenationRenumbersPlaceholders() {
        var query: SQLQuery = "SELECT * FROM workflows WHERE organization_id = \("org-1")"
        query += " AND project = \("web")"
        let nested: SQLQuery = "SELECT COUNT(*) FROM (\(query)) WHERE name <> \("x")"
        #expect(
            nested.sql(for: .postgresql)
                == "SELECT COUNT(*) FROM (SELECT * FROM workflows WHERE organization_id = $1 AND project = $2) WHERE name <> $3"
        )
        #expect(nested.binds == [.text("org-1"), .text("web"), .text("x")])
    }

    @Test func rawSQLNeedsAnExplicitlyUnsafeSpelling() {
        let table = "workflows"
        let query: SQLQuery = "SELECT * FROM \(unsafeRaw: table) WHERE id = \("wf-1")"
        #expect(query.sql(for: .sqlite) == "SELECT * FROM workflows WHERE id = ?1")
        #expect(SQLQuery(unsafeSQL: "PRAGMA foreign_keys").binds.isEmpty)
    }

    @Test func datesKeepMillisecondsExactly() {
        for milliseconds: Int64 in [0, 1, -1, 1_700_000_000_123, -12_346, 4_102_444_800_999] {
            let date = Date(millisecondsSince1970: milliseconds)
            #expect(date.millisecondsSince1970 == milliseconds)
            #expect(date.roundedToMilliseconds == date)
        }
        #expect(Date(timeIntervalSince1970: 1.000_6).millisecondsSince1970 == 1_001)
    }

    @Test func rowAccessorsExplainMismatches() throws {
        let row = SQLRow(columns: ["id", "count", "deleted_at"], values: [.text("wf-1"), .integer(3), .null])
        #expect(try row.string("id") == "wf-1")
        #expect(try row.int("count") == 3)
        #expect(try row.optionalDate("deleted_at") == nil)
        let wrongType = #expect(throws: SQLError.self) { try row.string("count") }
        #expect(wrongType?.kind == .decoding)
        #expect(wrongType?.message == "Column 'count' should hold text but holds an integer.")
        let missing = #expect(throws: SQLError.self) { try row.string("name") }
        #expect(missing?.message == "The result has no column 'name' (columns: id, count, deleted_at).")
    }
}
