import Synchronization

/// Ends attempts that overrun their time limit, with one clock for all of them: each attempt races its integration
/// against an expiry that the watchdog's loop (``watch()``) signals, so no attempt needs a timer of its own.
final class AttemptWatchdog: Sendable {
    private struct Entry {
        var deadline: ContinuousClock.Instant
        var expired = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let doorbell = Doorbell()
    /// How often overdue attempts are looked for while any runs: the precision of the time limit.
    let tick: Duration

    /// A watchdog that checks every `tick` while attempts run.
    init(tick: Duration) {
        self.tick = tick
    }

    /// The result of `operation`, or `nil` when `limit` passes first: the operation is then cancelled, and this returns
    /// once it has ended (integrations end on cancellation: their HTTP requests and mail transfers abort).
    func run<T: Sendable>(limit: Duration, _ operation: @escaping @Sendable () async -> T) async -> T? {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let wasIdle = entries.withLock { entries in
            defer { entries[id] = Entry(deadline: .now + limit) }
            return entries.isEmpty
        }
        if wasIdle { doorbell.ring() }
        defer { entries.withLock { _ = $0.removeValue(forKey: id) } }
        return await withTaskGroup(of: T?.self) { group in
            group.addTask { await operation() }
            group.addTask {
                await self.expiry(of: id)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Checks for overdue attempts every ``tick`` while any runs, until the task is cancelled.
    func watch() async {
        while !Task.isCancelled {
            if entries.withLock({ $0.isEmpty }) {
                await doorbell.wait(upTo: .seconds(1))
            } else {
                try? await Task.sleep(for: tick)
            }
            expireOverdue(at: .now)
        }
    }

    /// Returns when attempt `id` is overdue, or when the waiting task is cancelled.
    private func expiry(of id: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = entries.withLock { entries -> Bool in
                    guard var entry = entries[id], !entry.expired, !Task.isCancelled else { return true }
                    entry.waiter = continuation
                    entries[id] = entry
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = entries.withLock { entries -> CheckedContinuation<Void, Never>? in
                defer { entries[id]?.waiter = nil }
                return entries[id]?.waiter
            }
            waiter?.resume()
        }
    }

    private func expireOverdue(at now: ContinuousClock.Instant) {
        let waiters = entries.withLock { entries -> [CheckedContinuation<Void, Never>] in
            var waiters: [CheckedContinuation<Void, Never>] = []
            for (id, entry) in entries where !entry.expired && entry.deadline <= now {
                entries[id]?.expired = true
                if let waiter = entry.waiter { waiters.append(waiter) }
                entries[id]?.waiter = nil
            }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
