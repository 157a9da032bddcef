import Foundation

/// The figures of one benchmark run, the targets, and their rendering as a table and as JSON.
public struct BenchmarkReport: RenderedReport, Sendable, Equatable {
    /// The scenario whose server peak is reported apart from `peak_rss_mb`: it holds a 200 MB SBOM on purpose.
    public static let largeSBOMScenario = "large_sbom"

    /// Whether this was a `--quick` run.
    public var quick = false
    /// The 1-minute load average when the run started, and the number of CPUs.
    public var loadAverageAtStart = 0.0
    public var processorCount = ProcessInfo.processInfo.activeProcessorCount
    /// Envelope-only attestation pushes per second, by client concurrency.
    public var ingestEnvelopePerSecond: [Int: Double] = [:]
    /// Pushes per second, each with a fresh 50 KB SBOM uploaded to CAS first, by client concurrency.
    public var ingestSBOMPerSecond: [Int: Double] = [:]
    /// Webhook deliveries per second, from the first push to the last delivery, 3 attachments per workflow.
    public var fanoutDeliveriesPerSecond = 0.0
    /// Push → arrival at the sink at a fixed offered load, from each push's scheduled time.
    public var latencyP50Milliseconds = 0.0
    public var latencyP99Milliseconds = 0.0
    /// The offered load of the latency scenario, attestations per second.
    public var latencyOfferedPerSecond = 200.0
    /// The server's peak resident memory (VmHWM) in each scenario, in MB (10⁶ bytes).
    public var peakRSSMegabytes: [String: Double] = [:]
    /// How far the server's resident memory rose above its level before the push while it delivered one 200 MB SBOM.
    public var rssGrowthMegabytesLargeSBOM = 0.0
    /// The server's own `GET /healthz` rate: its HTTP ceiling on this machine, with this load generator.
    public var healthzPerSecond = 0.0
    /// Single-row SQLite inserts per second, each its own transaction, WAL and `synchronous=FULL`, on the same disk.
    public var sqliteDurableCommitsPerSecond = 0.0

    /// An empty report.
    public init() {}

    /// The JSON object `--json` writes: every figure as a number, keyed as issue 6 asks, plus per-concurrency keys
    /// (`ingest_envelope_c8_per_s`) and per-scenario peaks (`peak_rss_mb_fanout`).
    public var jsonObject: [String: Double] {
        var object: [String: Double] = [
            "ingest_envelope_per_s": ingestEnvelopePerSecond.values.max() ?? 0,
            "ingest_sbom50k_per_s": ingestSBOMPerSecond.values.max() ?? 0,
            "fanout_deliveries_per_s": fanoutDeliveriesPerSecond,
            "latency_p50_ms_at_200": latencyP50Milliseconds,
            "latency_p99_ms_at_200": latencyP99Milliseconds,
            "peak_rss_mb": peakRSSMegabytes.filter { $0.key != Self.largeSBOMScenario }.values.max() ?? 0,
            "rss_growth_mb_200mb_sbom": rssGrowthMegabytesLargeSBOM,
            "healthz_per_s": healthzPerSecond,
            "sqlite_durable_commits_per_s": sqliteDurableCommitsPerSecond,
            "quick": quick ? 1 : 0,
            "load_average_at_start": loadAverageAtStart,
            "cpus": Double(processorCount),
        ]
        for (concurrency, rate) in ingestEnvelopePerSecond { object["ingest_envelope_c\(concurrency)_per_s"] = rate }
        for (concurrency, rate) in ingestSBOMPerSecond { object["ingest_sbom50k_c\(concurrency)_per_s"] = rate }
        for (scenario, megabytes) in peakRSSMegabytes { object["peak_rss_mb_\(scenario)"] = megabytes }
        return object
    }

    /// The table printed at the end of a run: each figure, its target, and its ratio to the target and to the limits.
    public var table: String {
        let commitMilliseconds = sqliteDurableCommitsPerSecond > 0 ? 1_000 / sqliteDurableCommitsPerSecond : 0
        var rows: [[String]] = [["Figure", "Measured", "Target", "÷ target", "÷ healthz", "÷ commits", "Peak RSS"]]
        func rateRow(_ label: String, _ rate: Double, target: Double, unit: String, scenario: String) {
            rows.append([
                label, "\(Self.format(rate)) \(unit)", "≥ \(Self.format(target))", Self.ratio(rate, target),
                Self.ratio(rate, healthzPerSecond), Self.ratio(rate, sqliteDurableCommitsPerSecond), peak(scenario),
            ])
        }
        func peak(_ scenario: String) -> String { peakRSSMegabytes[scenario].map { "\(Self.format($0)) MB" } ?? "" }
        for (concurrency, rate) in ingestEnvelopePerSecond.sorted(by: { $0.key < $1.key }) {
            rateRow("Ingest, envelope only, c=\(concurrency)", rate, target: 2_000, unit: "push/s", scenario: "ingest_envelope")
        }
        for (concurrency, rate) in ingestSBOMPerSecond.sorted(by: { $0.key < $1.key }) {
            rateRow("Ingest + 50 KB SBOM to CAS, c=\(concurrency)", rate, target: 800, unit: "push/s", scenario: "ingest_sbom50k")
        }
        // With `--only`, scenarios that did not run have no peak RSS and no row.
        if peakRSSMegabytes["fanout"] != nil {
            rateRow("Fan-out, 3 webhooks per workflow", fanoutDeliveriesPerSecond, target: 5_000, unit: "deliv/s", scenario: "fanout")
        }
        for (label, value, target) in peakRSSMegabytes["latency"] == nil
            ? []
            : [
                ("Push → delivered p50 at \(Self.format(latencyOfferedPerSecond))/s", latencyP50Milliseconds, nil),
                ("Push → delivered p99 at \(Self.format(latencyOfferedPerSecond))/s", latencyP99Milliseconds, 100.0),
            ]
        {
            rows.append([
                label, "\(Self.format(value)) ms", target.map { "≤ \(Self.format($0)) ms" } ?? "", target.map { Self.ratio(value, $0) } ?? "",
                "", commitMilliseconds > 0 ? "\(Self.format(value / commitMilliseconds)) commit times" : "", peak("latency"),
            ])
        }
        let peakOverall = jsonObject["peak_rss_mb"] ?? 0
        rows.append([
            "Peak RSS, highest of the scenarios above", "\(Self.format(peakOverall)) MB", "≤ 150 MB", Self.ratio(peakOverall, 150), "", "", "",
        ])
        if peakRSSMegabytes[Self.largeSBOMScenario] != nil {
            rows.append([
                "RSS growth delivering one 200 MB SBOM", "\(Self.format(rssGrowthMegabytesLargeSBOM)) MB", "≤ 64 MB",
                Self.ratio(rssGrowthMegabytesLargeSBOM, 64), "", "", peak(Self.largeSBOMScenario),
            ])
        }
        if healthzPerSecond > 0 {
            rows.append(["Limit: GET /healthz", "\(Self.format(healthzPerSecond)) req/s", "", "", "1", "", ""])
        }
        rows.append(["Limit: durable SQLite commits", "\(Self.format(sqliteDurableCommitsPerSecond)) commit/s", "", "", "", "1", ""])
        return Self.render(rows)
    }

    /// Left-aligned columns separated by two spaces, with a rule under the header.
    static func render(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            zip(row, widths).map { cell, width in cell.padding(toLength: width, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        lines.insert(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)), at: 1)
        return lines.joined(separator: "\n")
    }

    /// A figure with three significant digits for small values and thousands separators for large ones.
    static func format(_ value: Double) -> String {
        if value >= 100 { return Int(value.rounded()).formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))) }
        if value >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }

    /// `value / reference` with two decimals, or an empty cell when there is no reference.
    static func ratio(_ value: Double, _ reference: Double) -> String {
        reference > 0 ? String(format: "%.2f", value / reference) : ""
    }
}

/// A report printed as a table and written as one JSON object of numbers.
public protocol RenderedReport {
    /// The figures by JSON key.
    var jsonObject: [String: Double] { get }
    /// The table printed at the end of a run.
    var table: String { get }
}

extension RenderedReport {
    /// The JSON object as pretty-printed UTF-8 with sorted keys.
    public func jsonData() throws -> Data {
        try JSONSerialization.data(withJSONObject: jsonObject, options: [.prettyPrinted, .sortedKeys])
    }

    /// The table and the JSON.
    var rendered: (table: String, json: Data) {
        get throws { (table, try jsonData()) }
    }
}
