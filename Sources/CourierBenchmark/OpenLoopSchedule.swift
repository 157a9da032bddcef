/// When each request of an open-loop load is due: `count` requests at a fixed `rate`, evenly spaced from time zero.
///
/// An open loop sends on schedule whether or not earlier requests have been answered, and latency is measured from the
/// scheduled time, so a server that falls behind is charged for the queueing it causes (no coordinated omission).
public struct OpenLoopSchedule: Sendable, Equatable {
    /// Requests per second.
    public let rate: Double
    /// How many requests the schedule holds.
    public let count: Int

    /// A schedule of `rate` requests per second for `duration`; `rate` must be positive.
    public init(rate: Double, duration: Duration) {
        precondition(rate > 0, "An open-loop rate must be positive.")
        self.rate = rate
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        count = Int((seconds * rate).rounded(.down))
    }

    /// When request `index` is due, counted from the start of the run.
    public func offset(of index: Int) -> Duration {
        precondition(index >= 0 && index < count, "Request \(index) is outside the schedule of \(count).")
        return .nanoseconds(Int64((Double(index) / rate * 1e9).rounded()))
    }
}
