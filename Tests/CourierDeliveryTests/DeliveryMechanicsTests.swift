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

@Suite struct SharedLoadsTests {
    struct Unavailable: Error {}

    final class Counter: Sendable {
        let count = Mutex(0)
    }

    /// Waits (up to 30 s) until `count` callers wait for the load of `key`.
    static func waitForFollowers(_ count: Int, of key: String, in loads: SharedLoads<String>) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while loads.followers(of: key) < count {
            try #require(ContinuousClock.now < deadline, "\(count) callers did not queue up in time")
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    @Test func callersAskingDuringALoadShareItAndLaterOnesGetTheHeldValue() async throws {
        let loads = SharedLoads<String>(byteLimit: 1 << 10) { $0.utf8.count }
        let loaded = Counter()
        let values = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await loads.value(for: "a") {
                        loaded.count.withLock { $0 += 1 }
                        try await Self.waitForFollowers(7, of: "a", in: loads)
                        return "attestation a"
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values == Array(repeating: "attestation a", count: 8))
        #expect(loaded.count.withLock { $0 } == 1)
        #expect(try await loads.value(for: "a") { "loaded again" } == "attestation a")
    }

    @Test func aFailedOrEmptyLoadFailsItsWaitersAndIsNotHeld() async throws {
        let loads = SharedLoads<String>(byteLimit: 1 << 10) { $0.utf8.count }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        _ = try await loads.value(for: "b") {
                            try await Self.waitForFollowers(2, of: "b", in: loads)
                            throw Unavailable()
                        }
                        return false
                    } catch {
                        return error is Unavailable
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes == [true, true, true])
        #expect(try await loads.value(for: "b") { nil } == nil)
        #expect(try await loads.value(for: "b") { "now stored" } == "now stored")
    }
}
