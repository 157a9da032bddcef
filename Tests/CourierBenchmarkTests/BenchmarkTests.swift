import Foundation
import Testing

@testable import CourierBenchmark

/// The pure parts of the benchmark: statistics, the open-loop schedule, the report and its parsing helpers.
@Suite struct BenchmarkTests {
    @Test func nearestRankPercentiles() {
        let samples = (1...100).map(Double.init).shuffled()
        #expect(Percentile.nearestRank(50, of: samples) == 50)
        #expect(Percentile.nearestRank(99, of: samples) == 99)
        #expect(Percentile.nearestRank(100, of: samples) == 100)
        #expect(Percentile.nearestRank(0.1, of: samples) == 1)
        #expect(Percentile.nearestRank(99, of: [7]) == 7)
        #expect(Percentile.nearestRank(50, of: [3, 1, 2, 4]) == 2)
        #expect(Percentile.nearestRank(50, of: []) == nil)
    }

    @Test func openLoopScheduleIsEvenlySpaced() {
        let schedule = OpenLoopSchedule(rate: 200, duration: .seconds(5))
        #expect(schedule.count == 1_000)
        #expect(schedule.offset(of: 0) == .zero)
        #expect(schedule.offset(of: 1) == .milliseconds(5))
        #expect(schedule.offset(of: 999) == .milliseconds(4_995))
        #expect(OpenLoopSchedule(rate: 3, duration: .milliseconds(1_500)).count == 4)
    }

    @Test func jsonReportHasTheIssueKeysAsNumbers() throws {
        var report = BenchmarkReport()
        report.ingestEnvelopePerSecond = [1: 100, 8: 400, 64: 300]
        report.ingestSBOMPerSecond = [1: 50, 8: 90]
        report.peakRSSMegabytes = ["fanout": 40, "latency": 45, BenchmarkReport.largeSBOMScenario: 400]
        report.healthzPerSecond = 5_000
        report.sqliteDurableCommitsPerSecond = 800
        let object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        for key in [
            "ingest_envelope_per_s", "ingest_sbom50k_per_s", "fanout_deliveries_per_s", "latency_p50_ms_at_200", "latency_p99_ms_at_200",
            "peak_rss_mb", "rss_growth_mb_200mb_sbom", "healthz_per_s", "sqlite_durable_commits_per_s",
        ] {
            #expect(object[key] is NSNumber, "\(key)")
        }
        #expect(object["ingest_envelope_per_s"] as? Double == 400, "the best concurrency")
        #expect(object["ingest_envelope_c64_per_s"] as? Double == 300)
        #expect(object["ingest_sbom50k_per_s"] as? Double == 90)
        #expect(object["peak_rss_mb"] as? Double == 45, "the large SBOM's peak is reported apart")
        #expect(object["peak_rss_mb_large_sbom"] as? Double == 400)
        #expect(report.table.contains("Ingest, envelope only, c=8") && report.table.contains("0.50"), "400 / 800 commits")
    }

    @Test func parsesProcStatusAndWebhookMetadata() {
        let memory = ProcessMemory(status: "Name:\tcourier\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n")
        #expect(memory.residentBytes == 10_240 * 1_024 && memory.peakResidentBytes == 20_480 * 1_024)
        let body = Data(#"{"Metadata":{"WorkflowRun":{"ID":"r","AttestationDigest":"sha256:abc"}},"Data":"e30="}"#.utf8)
        #expect(WebhookSink.attestationDigest(in: body) == "sha256:abc")
        #expect(WebhookSink.attestationDigest(in: Data(#"{"Kind":"TEST_WEBHOOK"}"#.utf8)) == nil)
    }

    @Test func parsesOptions() throws {
        #expect(try BenchmarkCommand.Options(arguments: ["--quick", "--json", "out.json"]).jsonFile == "out.json")
        #expect(throws: BenchmarkError.self) { try BenchmarkCommand.Options(arguments: ["--json"]) }
        #expect(throws: BenchmarkError.self) { try BenchmarkCommand.Options(arguments: ["--fast"]) }
        let replicas = try BenchmarkCommand.Options(arguments: ["--replicas", "--postgres", "postgres://u@db/x", "--quick"])
        #expect(replicas.replicas && replicas.quick && replicas.postgresURL == "postgres://u@db/x")
        #expect(try BenchmarkCommand.Options(arguments: ["--replicas"]).postgresURL == nil, "a throwaway cluster")
        #expect(throws: BenchmarkError.self) { try BenchmarkCommand.Options(arguments: ["--postgres", "postgres://u@db/x"]) }
    }

    @Test func replicaReportComparesReplicaCounts() throws {
        var report = ReplicaReport()
        var one = ReplicaReport.Run()
        one.ingestEnvelopePerSecond = [8: 600, 64: 500]
        one.fanoutDeliveriesPerSecond = 200
        one.peakRSSMegabytes = [45]
        one.fanoutTransactions = ReplicaReport.Transactions(committed: 900, rolledBack: 100)
        var two = one
        two.ingestEnvelopePerSecond = [8: 700, 64: 900]
        two.fanoutDeliveriesPerSecond = 300
        two.peakRSSMegabytes = [40, 44]
        report.runs = [1: one, 2: two]
        let object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        #expect(object["pg_ingest_envelope_per_s_1_replica"] as? Double == 600, "the best concurrency")
        #expect(object["pg_ingest_envelope_per_s_2_replicas"] as? Double == 900)
        #expect(object["pg_ingest_envelope_c64_per_s_2_replicas"] as? Double == 900)
        #expect(object["pg_fanout_deliveries_per_s_1_replica"] as? Double == 200)
        #expect(object["pg_fanout_deliveries_per_s_2_replicas"] as? Double == 300)
        #expect(object["pg_peak_rss_mb_2_replicas"] as? Double == 44, "the highest replica")
        #expect(object["pg_fanout_rollbacks_1_replica"] as? Double == 100)
        let fanout = try #require(report.table.split(separator: "\n").first { $0.hasPrefix("Fan-out") })
        #expect(fanout.contains("200 deliv/s") && fanout.contains("300 deliv/s") && fanout.hasSuffix("1.50"))
        #expect(report.table.contains("40.0 / 44.0 MB"))
    }
}
