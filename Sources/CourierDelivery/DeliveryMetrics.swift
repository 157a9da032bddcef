import CourierCore
import CourierIntegrationKit
import Synchronization

/// Attempt latencies by integration and outcome, as a Prometheus histogram.
public final class DeliveryMetrics: Sendable {
    /// Bucket upper bounds, in seconds.
    public static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    struct Series: Sendable {
        var bucketCounts = [Int](repeating: 0, count: DeliveryMetrics.buckets.count)
        var count = 0
        var sum = 0.0
    }

    struct Key: Hashable, Sendable, Comparable {
        var integration: String
        var outcome: String

        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.integration, lhs.outcome) < (rhs.integration, rhs.outcome) }
    }

    private let series = Mutex<[Key: Series]>([:])

    /// Records one attempt.
    func record(integration: String, outcome: ExecutionOutcome, duration: Duration) {
        let seconds = DeliveryEngine.seconds(duration)
        let key = Key(integration: integration, outcome: DeliveryEngine.attemptOutcome(outcome).rawValue)
        series.withLock { series in
            var entry = series[key] ?? Series()
            for (index, bound) in Self.buckets.enumerated() where seconds <= bound {
                entry.bucketCounts[index] += 1
            }
            entry.count += 1
            entry.sum += seconds
            series[key] = entry
        }
    }

    /// The histogram in Prometheus text format.
    public func exposition() -> String {
        let snapshot = series.withLock { $0 }
        var lines = [
            "# HELP courier_delivery_attempt_duration_seconds Duration of delivery attempts.",
            "# TYPE courier_delivery_attempt_duration_seconds histogram",
        ]
        for key in snapshot.keys.sorted() {
            guard let entry = snapshot[key] else { continue }
            let labels = "integration=\"\(key.integration)\",outcome=\"\(key.outcome)\""
            for (index, bound) in Self.buckets.enumerated() {
                lines.append("courier_delivery_attempt_duration_seconds_bucket{\(labels),le=\"\(Self.format(bound))\"} \(entry.bucketCounts[index])")
            }
            lines.append("courier_delivery_attempt_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(entry.count)")
            lines.append("courier_delivery_attempt_duration_seconds_sum{\(labels)} \(entry.sum)")
            lines.append("courier_delivery_attempt_duration_seconds_count{\(labels)} \(entry.count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ bound: Double) -> String {
        bound == bound.rounded() ? String(Int(bound)) : String(bound)
    }
}
