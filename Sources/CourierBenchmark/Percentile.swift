/// Order statistics of latency samples.
public enum Percentile {
    /// The nearest-rank `percent`-th percentile of `samples` (0 < `percent` ≤ 100): the smallest sample such that at
    /// least `percent` % of the samples are less than or equal to it. Nil when there are no samples.
    public static func nearestRank(_ percent: Double, of samples: [Double]) -> Double? {
        guard !samples.isEmpty else { return nil }
        precondition(percent > 0 && percent <= 100, "A percentile lies in (0, 100].")
        let sorted = samples.sorted()
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
