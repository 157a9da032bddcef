import CourierIntegrationKit
import Foundation
import Synchronization
import Testing

@testable import CourierWebhook

@Suite struct BlockingThreadsTests {
    /// Every job gets a thread at once: jobs that block until all of them have started would never finish otherwise.
    @Test func everyJobRunsAtOnceEvenWhileOthersBlock() async {
        let threads = BlockingThreads(idleLifetime: 5)
        for round in 0..<3 {
            let jobs = 6 + round * 4
            let started = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<jobs {
                    group.addTask {
                        await withCheckedContinuation { continuation in
                            threads.run {
                                started.signal()
                                // Blocks until every job of the round has started, on threads of their own.
                                continuation.resume(returning: release.wait(timeout: .now() + 30) == .success)
                            }
                        }
                    }
                }
                // The coordinator waits on a pool thread too, never on the cooperative pool.
                group.addTask {
                    await withCheckedContinuation { continuation in
                        threads.run {
                            let allStarted = (0..<jobs).allSatisfy { _ in started.wait(timeout: .now() + 30) == .success }
                            for _ in 0..<jobs { release.signal() }
                            continuation.resume(returning: allStarted)
                        }
                    }
                }
                for await finished in group { #expect(finished) }
            }
        }
    }

    /// Threads that parked past their idle lifetime have exited or are exiting; jobs keep running, on new threads or
    /// on one taken just as its wait ran out.
    @Test func jobsRunAfterParkedThreadsOutliveTheirIdleLifetime() async throws {
        let threads = BlockingThreads(idleLifetime: 0.05)
        for round in 0..<4 {
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 { group.addTask { try await threads.value { index + round } } }
                return try await group.reduce(0, +)
            }
            #expect(results == 28 + 8 * round)
            try await Task.sleep(for: .milliseconds(20 * round))
        }
    }

    @Test func valueReturnsTheResultOrTheErrorOfTheWork() async throws {
        struct Refused: Error {}
        #expect(try await BlockingThreads.shared.value { 6 * 7 } == 42)
        await #expect(throws: Refused.self) { try await BlockingThreads.shared.value { () throws -> Int in throw Refused() } }
    }

    @Test func attestationPayloadsAreBuiltOncePerHashAndMatchTheFreshlyBuiltOne() async throws {
        let payloads = AttestationPayloads(byteLimit: 1 << 20)
        let statement = #"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicate":{"b":1,"a":[true]}}"#
        let envelope = Data(
            #"{"payloadType":"application/vnd.in-toto+json","payload":"\#(Data(statement.utf8).base64EncodedString())","signatures":[]}"#.utf8)
        let attestation = AttestationInput(envelope: envelope, hash: "sha256:" + String(repeating: "a", count: 64))
        let first = try await payloads.payload(for: attestation)
        #expect(first == (try WebhookBody.attestationData(attestation)))
        #expect(try await payloads.payload(for: attestation) == first)
        var broken = attestation
        broken.envelope = Data("not json".utf8)
        broken.hash = "sha256:" + String(repeating: "b", count: 64)
        await #expect(throws: PayloadFailure.self) { try await payloads.payload(for: broken) }
    }
}

@Suite struct RecentValuesTests {
    @Test func theOldestGoFirstBeyondTheSizeLimit() {
        let values = RecentValues<Data>(byteLimit: 250) { $0.count }
        values.insert(Data(count: 100), for: "a")
        values.insert(Data(count: 100), for: "b")
        #expect(values["a"] != nil && values["b"] != nil)
        values.insert(Data(count: 100), for: "c")
        #expect(values["a"] == nil, "the oldest went first")
        #expect(values["b"] != nil && values["c"] != nil)
        values.insert(Data(count: 300), for: "huge")
        #expect(values["huge"] == nil && values["c"] != nil, "larger than the whole limit: not held, nothing evicted")
        values.insert(Data(count: 1), for: "c")
        #expect(values["c"]?.count == 100, "a key already held keeps its value")
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
