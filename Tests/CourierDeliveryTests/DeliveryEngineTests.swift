import CourierCore
import CourierDelivery
import CourierIntegrationKit
import CourierLogging
import CourierStorage
import CourierTestSupport
import Foundation
import Synchronization
import Testing

/// A store holding one workflow with the `scripted` integration attached, and an engine over it.
struct EngineHarness {
    let store: InMemoryStore
    let integration: ScriptedIntegration
    let contents: ContentBox
    let engine: DeliveryEngine
    static let sbomDigest = "sha256:" + String(repeating: "5b", count: 32)

    init(
        policy: RetryPolicy = RetryPolicy(initialDelay: .milliseconds(10), maximumDelay: .milliseconds(50), jitter: 0, maximumAttempts: 3),
        attemptTimeout: Duration = .seconds(5),
        workerID: String = "worker-1",
        sharing other: EngineHarness? = nil
    ) throws {
        store = other?.store ?? InMemoryStore()
        integration = other?.integration ?? ScriptedIntegration()
        contents = other?.contents ?? ContentBox()
        let catalog = try IntegrationCatalog([integration])
        let contents = contents
        engine = DeliveryEngine(
            dependencies: .init(
                store: self.store,
                catalog: catalog,
                openCredentials: { _ in nil },
                contentSize: { digest in contents.get(digest).map { Int64($0.count) } },
                openContent: { digest in contents.get(digest).map(DataReader.init) },
                http: NoNetwork()
            ),
            configuration: DeliveryConfiguration(
                concurrency: 4,
                attemptTimeout: attemptTimeout,
                leaseMargin: .seconds(30),
                idlePollInterval: .milliseconds(50),
                retryPolicy: policy
            ),
            logger: .disabled,
            workerID: workerID
        )
    }

    /// Seeds organization, workflow `demo/build`, registration and attachment, and an attestation with a CAS
    /// CycloneDX SBOM, an inline one and a container image, each with one delivery, leased under `reservation` when
    /// given; returns the delivery ids.
    func seed(deliveries count: Int = 1, leasedUnder reservation: DeliveryEngine.SlotReservation? = nil) async throws -> [String] {
        let now = Date()
        try await store.write { tx in
            try tx.insertOrganization(Organization(id: "org", name: "default", createdAt: now))
            try tx.insertProject(Project(id: "p", organizationID: "org", name: "demo", createdAt: now))
            try tx.insertWorkflow(Workflow(id: "w", organizationID: "org", projectID: "p", projectName: "demo", name: "build", createdAt: now))
            try tx.insertRegistration(
                IntegrationRegistration(
                    id: "r", organizationID: "org", name: "scripted", kind: "scripted", description: "", configuration: "{}",
                    credentials: nil, createdAt: now
                )
            )
            try tx.insertAttachment(
                IntegrationAttachment(id: "att", organizationID: "org", registrationID: "r", workflowID: "w", configuration: "{}", createdAt: now))
            for index in 0..<count {
                try tx.insertAttestation(
                    AttestationRecord(
                        id: "a\(index)", organizationID: "org", workflowID: "w", digest: "sha256:\(index)", envelope: Data("{}".utf8),
                        annotations: [:],
                        materials: [
                            StoredMaterial(
                                name: "cas-sbom", type: "SBOM_CYCLONEDX_JSON", filename: "sbom.json", digest: Self.sbomDigest, uploadedToCAS: true),
                            StoredMaterial(
                                name: "inline-sbom", type: "SBOM_CYCLONEDX_JSON", digest: "sha256:aa", embeddedInline: true,
                                inlineContent: Data("inline".utf8)),
                            StoredMaterial(name: "image", type: "CONTAINER_IMAGE", value: "ghcr.io/x", digest: "sha256:bb"),
                        ],
                        runnerType: "GITHUB_ACTION", runURL: "", startedAt: nil, verifiedBy: nil, warnings: [], createdAt: now
                    )
                )
                try tx.insertDelivery(
                    Delivery(
                        id: "d\(index)", organizationID: "org", registrationID: "r", attachmentID: "att", attestationID: "a\(index)", workflowID: "w",
                        kind: .attestation, nextAttemptAt: now, leaseOwner: reservation?.owner, leaseExpiresAt: reservation?.leaseExpiresAt,
                        createdAt: now, updatedAt: now
                    )
                )
            }
        }
        return (0..<count).map { "d\($0)" }
    }

    func uploadSBOM() {
        contents.put(Self.sbomDigest, Data("cas".utf8))
    }

    func delivery(_ id: String) async throws -> Delivery {
        try #require(try await store.read { try $0.delivery(organizationID: "org", id: id) })
    }

    func attempts(_ id: String) async throws -> [DeliveryAttempt] {
        try await store.read { try $0.attempts(deliveryID: id) }
    }

    /// Waits (up to 30 s) until the delivery's first attempt is recorded.
    func waitForFirstAttempt(_ id: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await attempts(id).isEmpty {
            try #require(ContinuousClock.now < deadline, "no attempt of \(id) was recorded in time")
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Reserves `count` slots once the running engine takes reservations (up to 30 s).
    func reservation(of count: Int) async throws -> DeliveryEngine.SlotReservation {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let reservation = engine.reserveSlots(upTo: count)
            if reservation.count == count { return reservation }
            engine.handOver([], attestation: nil, reservation: reservation)
            try #require(ContinuousClock.now < deadline, "the engine did not reserve \(count) slots in time")
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs the engine while `body` runs, then stops it.
    func running<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await engine.run()
                return nil
            }
            let result = try await body()
            group.cancelAll()
            try await group.waitForAll()
            return result
        }
    }

    /// Waits (up to 30 s: the suite shares two cores with servers it starts) until the delivery is in a final state.
    func waitUntilFinal(_ id: String) async throws -> Delivery {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let delivery = try await delivery(id)
            if delivery.state.isFinal { return delivery }
            engine.wake()
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("Delivery \(id) did not finish in time")
        return try await delivery(id)
    }
}

/// CAS content in memory, shared between engines of one harness.
final class ContentBox: Sendable {
    private let contents = Mutex<[String: Data]>([:])

    func get(_ digest: String) -> Data? { contents.withLock { $0[digest] } }

    func put(_ digest: String, _ data: Data) { contents.withLock { $0[digest] = data } }
}

struct NoNetwork: HTTPClient {
    func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse { throw .timedOut }
}

@Suite struct DeliveryEngineTests {
    @Test func deliversWithSubscribedMaterialsOnly() async throws {
        let harness = try EngineHarness()
        let ids = try await harness.seed()
        harness.uploadSBOM()
        let delivery = try await harness.running { try await harness.waitUntilFinal(ids[0]) }
        #expect(delivery.state == .delivered && delivery.attempts == 1 && delivery.leaseOwner == nil)
        let execution = try #require(harness.integration.recorded.first)
        #expect(execution.materials == ["cas-sbom": Data("cas".utf8), "inline-sbom": Data("inline".utf8)], "the image is not subscribed")
        #expect(execution.workflow == "demo/build")
        let attempts = try await harness.attempts(ids[0])
        #expect(attempts.map(\.outcome) == [.delivered] && attempts.first?.number == 1)
    }

    @Test func transientFailuresAreRetriedThenDelivered() async throws {
        let harness = try EngineHarness()
        let ids = try await harness.seed()
        harness.uploadSBOM()
        harness.integration.plan([.outcome(.retryable(reason: "503 busy", retryAfter: nil))])
        let delivery = try await harness.running { try await harness.waitUntilFinal(ids[0]) }
        #expect(delivery.state == .delivered && delivery.attempts == 2)
        let attempts = try await harness.attempts(ids[0])
        #expect(attempts.map(\.outcome) == [.retryable, .delivered])
        #expect(attempts.first?.error == "503 busy")
    }

    @Test func permanentFailuresFailAtOnce() async throws {
        let harness = try EngineHarness()
        let ids = try await harness.seed()
        harness.uploadSBOM()
        harness.integration.plan([.outcome(.rejected(reason: "400 bad request"))])
        let delivery = try await harness.running { try await harness.waitUntilFinal(ids[0]) }
        #expect(delivery.state == .failed && delivery.attempts == 1 && delivery.reason == "400 bad request")
    }

    @Test func theRetryBudgetEndsInFailed() async throws {
        let harness = try EngineHarness()
        let ids = try await harness.seed()
        harness.uploadSBOM()
        harness.integration.plan(Array(repeating: .outcome(.retryable(reason: "still down", retryAfter: nil)), count: 5))
        let delivery = try await harness.running { try await harness.waitUntilFinal(ids[0]) }
        #expect(delivery.state == .failed && delivery.attempts == 3)
        #expect(delivery.reason == "Gave up after 3 attempts: still down")
    }

    @Test func retryAfterIsHonoured() async throws {
        let harness = try EngineHarness(policy: RetryPolicy(initialDelay: .milliseconds(1), maximumDelay: .seconds(60), jitter: 0))
        let ids = try await harness.seed()
        harness.uploadSBOM()
        harness.integration.plan([.outcome(.retryable(reason: "429", retryAfter: .seconds(30)))])
        let before = Date()
        try await harness.running {
            try await harness.waitForFirstAttempt(ids[0])
        }
        let delivery = try await harness.delivery(ids[0])
        #expect(delivery.state == .retrying)
        #expect(delivery.nextAttemptAt.timeIntervalSince(before) >= 29.9)
        #expect(try await harness.attempts(ids[0]).first?.retryAfterMilliseconds == 30_000)
    }

    @Test func aHangingAttemptTimesOut() async throws {
        let harness = try EngineHarness(attemptTimeout: .milliseconds(200))
        let ids = try await harness.seed()
        harness.uploadSBOM()
        harness.integration.plan([.hang])
        let delivery = try await harness.running { try await harness.waitUntilFinal(ids[0]) }
        #expect(delivery.state == .delivered && delivery.attempts == 2)
        let first = try #require(try await harness.attempts(ids[0]).first)
        #expect(first.outcome == .retryable && first.error == "The attempt timed out after 200 ms.")
        #expect(first.durationMilliseconds >= 190 && first.durationMilliseconds < 10_000)
    }

    @Test func aRetryResendsOnlyTheFailedParts() async throws {
        let harness = try EngineHarness()
        let ids = try await harness.seed()
        harness.uploadSBOM()
        harness.integration.plan([.partsFailing(["inline-sbom"]), .partsFailing([])])
        let delivery = try await harness.running { try await harness.waitUntilFinal(ids[0]) }
        #expect(delivery.state == .delivered && delivery.attempts == 2)
        let executions = harness.integration.recorded
        #expect(executions.count == 2)
        #expect(executions.last?.deliveredParts == ["material:cas-sbom": "tok-cas-sbom"])
        let parts = try await harness.store.read { try $0.parts(deliveryID: ids[0]) }
        #expect(parts.map(\.partID) == ["material:cas-sbom", "material:inline-sbom"])
        #expect(parts.allSatisfy { $0.outcome == .delivered })
        #expect(parts.first?.reference == "tok-cas-sbom", "the first delivery's reference is kept")
    }

    @Test func missingContentWaitsAndAnUploadLetsItComplete() async throws {
        let harness = try EngineHarness(policy: RetryPolicy(initialDelay: .seconds(60), jitter: 0))
        let ids = try await harness.seed()
        try await harness.running {
            try await harness.waitForFirstAttempt(ids[0])
            let waiting = try await harness.delivery(ids[0])
            #expect(waiting.state == .retrying)
            #expect(waiting.reason.contains(EngineHarness.sbomDigest))
            #expect(harness.integration.recorded.isEmpty, "the integration does not run without its content")

            harness.uploadSBOM()
            try await harness.store.write { tx in try tx.wakeDeliveries(attestationIDs: ["a0"], at: Date()) }
            harness.engine.wake()
            let delivered = try await harness.waitUntilFinal(ids[0])
            #expect(delivered.state == .delivered && delivered.attempts == 2)
        }
    }

    @Test func anExpiredLeaseIsTakenOverByAnotherWorker() async throws {
        let first = try EngineHarness(workerID: "crashed")
        let ids = try await first.seed()
        first.uploadSBOM()
        // The crashed worker claimed the delivery and never came back.
        let claimed = try await first.store.write { tx in
            try tx.claimDueDeliveries(now: Date(), limit: 1, owner: "crashed", leaseExpiresAt: Date().addingTimeInterval(0.3))
        }
        #expect(claimed.map(\.id) == ids)
        let second = try EngineHarness(workerID: "survivor", sharing: first)
        let delivery = try await second.running { try await second.waitUntilFinal(ids[0]) }
        #expect(delivery.state == .delivered && delivery.attempts == 1)
    }

    @Test func manyDeliveriesAllComplete() async throws {
        let harness = try EngineHarness()
        let ids = try await harness.seed(deliveries: 40)
        harness.uploadSBOM()
        harness.integration.plan(Array(repeating: .outcome(.retryable(reason: "flaky", retryAfter: nil)), count: 10))
        let states = try await harness.running {
            var states: [DeliveryState] = []
            for id in ids { states.append(try await harness.waitUntilFinal(id).state) }
            return states
        }
        #expect(states.allSatisfy { $0 == .delivered })
        #expect(Set(harness.integration.recorded.map(\.deliveryID)) == Set(ids))
    }

    @Test func stoppingReleasesNothingDueAndExits() async throws {
        let harness = try EngineHarness()
        _ = try await harness.seed(deliveries: 0)
        try await harness.running {}
        #expect(harness.integration.recorded.isEmpty)
    }
}

@Suite struct RetryPolicyTests {
    @Test func deliveriesHandedOverStartWithoutBeingClaimed() async throws {
        let harness = try EngineHarness()
        harness.uploadSBOM()
        let delivery = try await harness.running {
            let reservation = try await harness.reservation(of: 2)
            // Leased for 35 s: no claim can take them within the wait, so only the hand-over can start them.
            let ids = try await harness.seed(deliveries: 2, leasedUnder: reservation)
            let deliveries = try await [harness.delivery(ids[0]), harness.delivery(ids[1])]
            harness.engine.handOver(deliveries, attestation: nil, reservation: reservation)
            let first = try await harness.waitUntilFinal(ids[0])
            #expect(try await harness.waitUntilFinal(ids[1]).state == .delivered)
            return first
        }
        #expect(delivery.state == .delivered && delivery.attempts == 1 && delivery.leaseOwner == nil)
        #expect(harness.integration.recorded.count == 2)
    }

    @Test func slotsAreReservedOnlyWhileRunningAndOnlyAsManyAsAreFree() async throws {
        let harness = try EngineHarness()
        #expect(harness.engine.reserveSlots(upTo: 3).count == 0, "the workers are not running")
        try await harness.running {
            let all = try await harness.reservation(of: 4)
            #expect(all.owner == "worker-1" && all.leaseExpiresAt > Date().addingTimeInterval(30))
            #expect(harness.engine.reserveSlots(upTo: 1).count == 0, "concurrency 4: every slot is reserved")
            harness.engine.handOver([], attestation: nil, reservation: all)
            let again = try await harness.reservation(of: 4)
            harness.engine.handOver([], attestation: nil, reservation: again)
        }
        #expect(harness.engine.reserveSlots(upTo: 1).count == 0, "the workers stopped")
    }

    @Test func delaysGrowExponentiallyUpToTheCap() {
        let policy = RetryPolicy(initialDelay: .seconds(2), multiplier: 2, maximumDelay: .seconds(10), jitter: 0, maximumAttempts: 6)
        let delays = (1...6).map { policy.delay(afterAttempts: $0, random: 0.5) }
        #expect(delays == [.seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10), nil])
    }

    @Test func jitterStaysWithinItsFraction() {
        let policy = RetryPolicy(initialDelay: .seconds(10), jitter: 0.2)
        #expect(policy.delay(afterAttempts: 1, random: 0) == .seconds(8))
        #expect(policy.delay(afterAttempts: 1, random: 1) == .seconds(12))
    }

    @Test func retryAfterWinsWhenLongerButIsCapped() {
        let policy = RetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(60), jitter: 0)
        #expect(policy.delay(afterAttempts: 1, retryAfter: .seconds(30), random: 0.5) == .seconds(30))
        #expect(policy.delay(afterAttempts: 1, retryAfter: .milliseconds(10), random: 0.5) == .seconds(1))
        #expect(policy.delay(afterAttempts: 1, retryAfter: .seconds(3_600), random: 0.5) == .seconds(60))
    }
}
