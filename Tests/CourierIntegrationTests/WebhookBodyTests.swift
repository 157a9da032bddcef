import CourierIntegrationKit
import Foundation
import Testing

@testable import CourierWebhook

@Suite struct WebhookBodyTests {
    /// Foundation's ISO 8601 formatting plus Go's trimmed fraction: what the hand-written calendar must reproduce.
    static func reference(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let whole = Date(timeIntervalSince1970: seconds).formatted(.iso8601)
        let nanoseconds = Int(((date.timeIntervalSince1970 - seconds) * 1e9).rounded())
        guard nanoseconds > 0, nanoseconds < 1_000_000_000 else { return whole }
        var fraction = String(nanoseconds)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return String(whole.dropLast()) + "." + fraction + "Z"
    }

    @Test func timesAreWrittenLikeGoInUTC() {
        #expect(WebhookBody.rfc3339(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(WebhookBody.rfc3339(Date(timeIntervalSince1970: 951_782_400.5)) == "2000-02-29T00:00:00.5Z")
        #expect(WebhookBody.rfc3339(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(WebhookBody.rfc3339(Date(timeIntervalSince1970: 1_764_878_563.25)) == "2025-12-04T20:02:43.25Z")
    }

    @Test func metadataIsUpstreamsObjectInItsKeyOrderWithEscapedText() {
        let metadata = WebhookBody.metadata(
            workflow: WorkflowMetadata(id: "wf-1", name: #"say "hi""#, team: "", project: "demo"),
            run: RunMetadata(
                id: "run-1", state: "success", startedAt: Date(timeIntervalSince1970: 0), finishedAt: nil, runnerType: "GITHUB_ACTION",
                runURL: "", attestationDigest: "sha256:ab")
        )
        #expect(
            metadata
                == #"{"Workflow":{"ID":"wf-1","Name":"say \"hi\"","Team":"","Project":"demo"},"#
                + #""WorkflowRun":{"ID":"run-1","State":"success","StartedAt":"1970-01-01T00:00:00Z","#
                + #""FinishedAt":"0001-01-01T00:00:00Z","RunnerType":"GITHUB_ACTION","RunURL":"","AttestationDigest":"sha256:ab"}}"#
        )
    }

    @Test func theCalendarMatchesFoundationFrom1900To2200() {
        var generator = SystemRandomNumberGenerator()
        let dates =
            (0..<20_000).map { _ in Date(timeIntervalSince1970: Double.random(in: -2_208_988_800...7_258_118_400, using: &generator)) }
            + (0..<400).map { Date(timeIntervalSince1970: Double($0) * 86_400 * 365.2425 - 2_208_988_800) }
        let mismatches = dates.filter { WebhookBody.rfc3339($0) != Self.reference($0) }
        #expect(mismatches.isEmpty, "first mismatch: \(mismatches.first.map { "\(WebhookBody.rfc3339($0)) ≠ \(Self.reference($0))" } ?? "")")
    }
}
