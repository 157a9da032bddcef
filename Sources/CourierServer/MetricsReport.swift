import CourierCore
import CourierDelivery
import Foundation

/// `GET /metrics`: delivery gauges from the store and the engine's attempt histogram, in Prometheus text format.
enum MetricsReport {
    static func render(store: any Store, engine: DeliveryEngine, now: Date = Date()) async -> String {
        var lines: [String] = []
        do {
            let (counts, earliest) = try await store.read { tx in (try tx.deliveryCounts(), try tx.earliestPendingAttempt()) }
            lines += [
                "# HELP courier_deliveries Deliveries by integration and state.",
                "# TYPE courier_deliveries gauge",
            ]
            for count in counts {
                lines.append("courier_deliveries{integration=\"\(count.integrationKind)\",state=\"\(count.state.rawValue)\"} \(count.count)")
            }
            let depth = counts.filter { !$0.state.isFinal }.reduce(0) { $0 + $1.count }
            lines += [
                "# HELP courier_delivery_queue_depth Deliveries pending or retrying.",
                "# TYPE courier_delivery_queue_depth gauge",
                "courier_delivery_queue_depth \(depth)",
                "# HELP courier_delivery_oldest_pending_age_seconds How long the most overdue pending delivery has been due.",
                "# TYPE courier_delivery_oldest_pending_age_seconds gauge",
                "courier_delivery_oldest_pending_age_seconds \(max(0, earliest.map { now.timeIntervalSince($0) } ?? 0))",
            ]
        } catch {
            lines += ["# courier_deliveries unavailable: the store could not be read"]
        }
        return lines.joined(separator: "\n") + "\n" + engine.metrics.exposition()
    }
}
