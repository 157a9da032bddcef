import Dispatch
import Synchronization

/// Counts requests between their first byte and the end of their response, and lets shutdown wait for zero.
final class InFlightRequests: Sendable {
    private struct State {
        var count = 0
        var nextWaiterID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The number of requests in flight.
    var count: Int { state.withLock { $0.count } }

    func begin() {
        state.withLock { $0.count += 1 }
    }

    func end() {
        let idleWaiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count -= 1
            guard state.count == 0 else { return [] }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in idleWaiters { waiter.resume() }
    }

    /// Returns once no request is in flight, or at `deadline`, whichever comes first.
    ///
    /// This wait ignores task cancellation on purpose: shutdown runs in a cancelled task and still has to wait.
    func waitUntilIdle(deadline: ContinuousClock.Instant) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiterID = state.withLock { state -> Int? in
                guard state.count > 0 else { return nil }
                defer { state.nextWaiterID += 1 }
                state.waiters[state.nextWaiterID] = continuation
                return state.nextWaiterID
            }
            guard let waiterID else { return continuation.resume() }
            let remaining = max(ContinuousClock.now.duration(to: deadline), .zero)
            let nanoseconds = remaining.components.seconds * 1_000_000_000 + remaining.components.attoseconds / 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
                state.withLock { $0.waiters.removeValue(forKey: waiterID) }?.resume()
            }
        }
    }
}
