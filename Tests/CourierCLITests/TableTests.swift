import Testing

@testable import CourierCLI

@Suite("Table")
struct TableTests {
    /// The first table of Chainloop's `summary-full.txt` golden file, byte for byte.
    @Test func rendersChainloopSummaryTable() {
        var table = Table(title: "Workflow")
        table.addRow(["ID", "deadbeef"])
        table.addRow(["Name", "test-workflow"])
        table.addRow(["Team", "test-team"])
        table.addRow(["Project", "test-project"], separatorAfter: true)
        table.addRow(["Workflow Run", ""], separatorAfter: true)
        table.addRow(["ID", "beefdead"])
        table.addRow(["Attestation", "sha256:deadbeef"])
        table.addRow(["Started At", "22 Nov 21 00:00 UTC"])
        table.addRow(["Finished At", "22 Nov 21 00:10 UTC"])
        table.addRow(["State", "success"])
        table.addRow(["Runner Link", "chainloop.dev/runner"])
        table.addRow(["Annotations", "------\nbranch: stable\ntoplevel: true"], separatorAfter: true)

        let expected = """
            ┌─────────────────────────────────────┐
            │ Workflow                            │
            ├──────────────┬──────────────────────┤
            │ ID           │ deadbeef             │
            │ Name         │ test-workflow        │
            │ Team         │ test-team            │
            │ Project      │ test-project         │
            ├──────────────┼──────────────────────┤
            │ Workflow Run │                      │
            ├──────────────┼──────────────────────┤
            │ ID           │ beefdead             │
            │ Attestation  │ sha256:deadbeef      │
            │ Started At   │ 22 Nov 21 00:00 UTC  │
            │ Finished At  │ 22 Nov 21 00:10 UTC  │
            │ State        │ success              │
            │ Runner Link  │ chainloop.dev/runner │
            │ Annotations  │ ------               │
            │              │ branch: stable       │
            │              │ toplevel: true       │
            └──────────────┴──────────────────────┘

            """
        #expect(table.render() == expected)
    }

    /// The "Environment Variables" table of the same file: a title above a header.
    @Test func rendersTitleAboveHeader() {
        let table = Table(
            title: "Environment Variables",
            header: ["NAME", "VALUE"],
            rows: [["owner", "john-c@chainloop.dev"], ["project", "chatgpt"]]
        )
        let expected = """
            ┌────────────────────────────────┐
            │ Environment Variables          │
            ├─────────┬──────────────────────┤
            │ NAME    │ VALUE                │
            ├─────────┼──────────────────────┤
            │ owner   │ john-c@chainloop.dev │
            │ project │ chatgpt              │
            └─────────┴──────────────────────┘

            """
        #expect(table.render() == expected)
    }

    @Test func rendersHeaderTableWithSeparatorsAfterEveryRow() {
        var table = Table(header: ["ID", "VERSION", "MATERIAL REQUIREMENT", "DESCRIPTION"])
        table.addRow(["dependency-track", "1.2", "SBOM_CYCLONEDX_JSON", "Send CycloneDX SBOMs\nto Dependency-Track"], separatorAfter: true)
        table.addRow(["discord-webhook", "1.1", "", "Send attestations to Discord"], separatorAfter: true)
        let expected = """
            ┌──────────────────┬─────────┬──────────────────────┬──────────────────────────────┐
            │ ID               │ VERSION │ MATERIAL REQUIREMENT │ DESCRIPTION                  │
            ├──────────────────┼─────────┼──────────────────────┼──────────────────────────────┤
            │ dependency-track │ 1.2     │ SBOM_CYCLONEDX_JSON  │ Send CycloneDX SBOMs         │
            │                  │         │                      │ to Dependency-Track          │
            ├──────────────────┼─────────┼──────────────────────┼──────────────────────────────┤
            │ discord-webhook  │ 1.1     │                      │ Send attestations to Discord │
            └──────────────────┴─────────┴──────────────────────┴──────────────────────────────┘

            """
        #expect(table.render() == expected)
    }

    @Test func widensTheLastColumnForALongTitle() {
        let table = Table(title: "Registration inputs", header: ["A", "B"], rows: [["1", "2"]])
        let expected = """
            ┌─────────────────────┐
            │ Registration inputs │
            ├───┬─────────────────┤
            │ A │ B               │
            ├───┼─────────────────┤
            │ 1 │ 2               │
            └───┴─────────────────┘

            """
        #expect(table.render() == expected)
    }

    @Test func padsShortRowsWithEmptyCells() {
        let table = Table(header: ["NAME", "TEAM"], rows: [["only-name"]])
        #expect(table.render() == "┌───────────┬──────┐\n│ NAME      │ TEAM │\n├───────────┼──────┤\n│ only-name │      │\n└───────────┴──────┘\n")
    }
}
