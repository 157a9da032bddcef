import Synchronization

/// Counts attempts in flight against the concurrency limit.
final class AttemptSlots: Sendable {
    private let capacity: Int
    private let used = Mutex(0)

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Slots not in use.
    var free: Int { capacity - inUse }

    /// Slots in use: attempts in flight.
    var inUse: Int { used.withLock { $0 } }

    func take() { used.withLock { $0 += 1 } }

    func give() { used.withLock { $0 -= 1 } }
}
