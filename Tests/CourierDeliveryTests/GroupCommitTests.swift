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
