import Synchronization

/// Counts attempts in flight against the concurrency limit.
final class AttemptSlots: Sendable {
    let capacity: Int
    private let used = Mutex(0)

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Slots not in use.
    var free: Int { capacity - inUse }

    /// Slots in use: attempts in flight.
    var inUse: Int { used.withLock { $0 } }

    func take() { used.withLock { $0 += 1 } }

    /// Takes as many of `count` slots as are free; how many it took.
    func take(upTo count: Int) -> Int {
        used.withLock { used in
            let taken = max(0, min(count, capacity - used))
            used += taken
            return taken
        }
    }

    /// Gives back `count` slots; how many are free then.
    @discardableResult
    func give(_ count: Int = 1) -> Int {
        used.withLock { used in
            used -= count
            return capacity - used
        }
    }
}
