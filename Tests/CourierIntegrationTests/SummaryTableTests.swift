import CourierIntegrationKit
import CourierSummary
import Foundation
import Testing

/// The real Chainloop files in `shared/testdata/chainloop/`, beside the work tree.
enum ChainloopTestData {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/testdata/chainloop").standardizedFileURL

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try data(name), as: UTF8.self)
    }

    /// The request upstream rendered the golden summaries from (see the test data's README).
    static func goldenRequest(registration: Registration = Registration(configuration: [:])) throws -> ExecutionRequest {
        let startedAt = Date(timeIntervalSince1970: 1_637_539_200)  // 2021-11-22T00:00:00Z
        return ExecutionRequest(
            workflow: WorkflowMetadata(id: "deadbeef", name: "test-workflow", team: "test-team", project: "test-project"),
            run: RunMetadata(
                id: "beefdead", state: "success", startedAt: startedAt, finishedAt: startedAt.addingTimeInterval(600),
                runnerType: "GITHUB_ACTION", runURL: "chainloop.dev/runner", attestationDigest: "sha256:deadbeef"
            ),
            attestation: AttestationInput(envelope: try data("summary-full.json"), hash: "sha256:deadbeef"),
            materials: [],
            registration: registration,
            attachmentConfiguration: [:],
            progress: DeliveryProgress(deliveryID: "del-1")
        )
    }
}

@Suite struct SummaryTableTests {
    let upstreamFooter = SummaryTable.chainloopCommand(runID: "beefdead")

    @Test func textMatchesUpstreamGoldenFile() throws {
        let rendered = try SummaryTable.render(
            ChainloopTestData.goldenRequest(), format: .text, fullAttestationCommand: upstreamFooter)
        #expect(rendered == (try ChainloopTestData.text("summary-full.txt")))
    }

    @Test func markdownMatchesUpstreamGoldenFile() throws {
        let rendered = try SummaryTable.render(
            ChainloopTestData.goldenRequest(), format: .markdown, fullAttestationCommand: upstreamFooter)
        #expect(rendered == (try ChainloopTestData.text("summary-full.md")))
    }

    @Test func truncationKeepsTheFooterAndMatchesUpstream() throws {
        let rendered = try SummaryTable.render(
            ChainloopTestData.goldenRequest(), format: .text, maxSize: 2000, fullAttestationCommand: upstreamFooter)
        #expect(rendered == (try ChainloopTestData.text("summary-truncated.txt")))
        #expect(rendered.unicodeScalars.count == 2000)
    }

    @Test func aLimitAboveTheSizeChangesNothing() throws {
        let request = try ChainloopTestData.goldenRequest()
        let full = try SummaryTable.render(request, format: .text, fullAttestationCommand: upstreamFooter)
        let limited = try SummaryTable.render(request, format: .text, maxSize: 10_000, fullAttestationCommand: upstreamFooter)
        #expect(full == limited)
    }

    @Test func courierFooterNamesTheAttestationDigest() throws {
        let rendered = try SummaryTable.render(
            ChainloopTestData.goldenRequest(), format: .text, fullAttestationCommand: SummaryTable.courierCommand(digest: "sha256:deadbeef"))
        #expect(rendered.hasSuffix("\n\nGet Full Attestation\n\n$ courier attestation describe sha256:deadbeef"))
    }

    @Test func htmlHasOneTablePerSectionWithEscapedCells() throws {
        let rendered = try SummaryTable.render(
            ChainloopTestData.goldenRequest(), format: .html, fullAttestationCommand: upstreamFooter)
        #expect(rendered.components(separatedBy: "<table class=\"go-pretty-table\">").count == 4)
        #expect(rendered.contains("<caption class=\"caption\" style=\"caption-side: top;\">Environment Variables</caption>"))
        #expect(rendered.contains("    <th>Name</th>\n    <th>Value</th>"))
        #expect(rendered.contains("    <td>Workflow Run</td>\n    <td>&nbsp;</td>"))
        #expect(rendered.contains("<td>john-c@chainloop.dev</td>"))
    }

    @Test func anUnreadableEnvelopeIsAnError() throws {
        var request = try ChainloopTestData.goldenRequest()
        request.attestation.envelope = Data("{}".utf8)
        #expect(throws: SummaryError.self) {
            try SummaryTable.render(request, format: .text, fullAttestationCommand: upstreamFooter)
        }
    }
}
