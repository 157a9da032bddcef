import CourierCore
import Foundation
import Synchronization
import Testing

@testable import CourierDelivery

@Suite struct GroupCommitTests {
    /// Records the batches it is asked to commit; a batch holding a negative entry fails as a whole.
    final class BatchLog: Sendable {
        let batches = Mutex<[[Int]]>([])
        let committed = Mutex<Set<Int>>([])

        func commit(_ entries: [Int]) async throws {
            batches.withLock { $0.append(entries) }
            // Give submitters time to queue up behind this batch.
            try await Task.sleep(for: .milliseconds(2))
            struct Poisoned: Error {}
            if entries.contains(where: { $0 < 0 }) { throw Poisoned() }
            committed.withLock { $0.formUnion(entries) }
        }
    }

    @Test func concurrentEntriesShareCommitsAndEachReturnsAfterItsOwn() async throws {
        let log = BatchLog()
        let group = GroupCommit<Int> { try await log.commit($0) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for entry in 0..<200 {
                tasks.addTask {
                    try await group.submit(entry)
                    #expect(log.committed.withLock { $0.contains(entry) }, "returned before its entry was committed")
                }
            }
            try await tasks.waitForAll()
        }
        let batches = log.batches.withLock { $0 }
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<200), "every entry committed exactly once")
        #expect(batches.count < 200, "entries that queued up shared commits (\(batches.count) commits)")
    }

    @Test func aFailingEntryFailsAloneAndTheOthersAreCommitted() async throws {
        let log = BatchLog()
        let group = GroupCommit<Int> { try await log.commit($0) }
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { tasks in
            for entry in -3..<40 {
                tasks.addTask {
                    do {
                        try await group.submit(entry)
                        return (entry, true)
                    } catch {
                        return (entry, false)
                    }
                }
            }
            var outcomes: [Int: Bool] = [:]
            for await (entry, committed) in tasks { outcomes[entry] = committed }
            return outcomes
        }
        #expect(outcomes.filter { !$0.value }.keys.sorted() == [-3, -2, -1])
        #expect(log.committed.withLock { $0 } == Set(0..<40))
    }
}

@Suite struct AttemptWatchdogTests {
    /// Operations that finish get their result; those that overrun their limit are cut off (and cancelled), each by
    /// the one clock of the watchdog.
    @Test func overrunningOperationsAreCutOffAndTheOthersFinish() async {
        final class Counter: Sendable {
            let value = Mutex(0)
        }
        let watchdog = AttemptWatchdog(tick: .milliseconds(20))
        let cancelled = Counter()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await watchdog.watch() }
            let results = await withTaskGroup(of: (Int, Int?).self) { attempts in
                for index in 0..<20 {
                    attempts.addTask {
                        let result = await watchdog.run(limit: .milliseconds(index.isMultiple(of: 2) ? 30_000 : 200)) { () -> Int in
                            guard index.isMultiple(of: 2) else {
                                // Does not finish on its own within the test: only cancellation ends it.
                                try? await Task.sleep(for: .seconds(3_600))
                                if Task.isCancelled { cancelled.value.withLock { $0 += 1 } }
                                return -1
                            }
                            return index
                        }
                        return (index, result)
                    }
                }
                var results: [Int: Int?] = [:]
                for await (index, result) in attempts { results[index] = result }
                return results
            }
            group.cancelAll()
            for index in 0..<20 {
                #expect(results[index] == (index.isMultiple(of: 2) ? index : nil), "attempt \(index)")
            }
        }
        #expect(cancelled.value.withLock { $0 } == 10, "every overrunning operation was cancelled")
    }
}
