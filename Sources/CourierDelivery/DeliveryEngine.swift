import CourierCore
import CourierIntegrationKit
import CourierLogging
import Foundation
import Synchronization

/// The delivery workers of one `courier serve` process: they claim due deliveries from the store's outbox with a
/// lease (or take those a push created leased to them, see ``reserveSlots(upTo:)``), execute them with bounded
/// concurrency and a per-attempt timeout, and record every attempt.
///
/// Run it as a long-lived service (``run()``); cancelling the task stops claiming, lets attempts in flight finish
/// within their timeout, and gives back any lease still held. A crashed process's leases simply expire, so every
/// accepted delivery is attempted at least once.
public final class DeliveryEngine: Sendable {
    /// What the engine needs from the rest of the server.
    public struct Dependencies: Sendable {
        public var store: any Store
        public var catalog: IntegrationCatalog
        /// Decrypts a registration's credentials.
        public var openCredentials: @Sendable (IntegrationRegistration) throws -> Credentials?
        /// The size of CAS content (by digest); `nil` when it has not been uploaded.
        public var contentSize: @Sendable (String) async throws -> Int64?
        /// Opens CAS content (by digest) for reading in chunks; `nil` when it is not stored. Called whenever an
        /// integration reads a material, from whichever thread it reads on.
        public var openContent: @Sendable (String) throws -> (any ContentReader)?
        /// The client integrations reach the network with.
        public var http: any HTTPClient
        public var now: @Sendable () -> Date
        /// A number in `0...1` for retry jitter.
        public var random: @Sendable () -> Double

        public init(
            store: any Store,
            catalog: IntegrationCatalog,
            openCredentials: @escaping @Sendable (IntegrationRegistration) throws -> Credentials?,
            contentSize: @escaping @Sendable (String) async throws -> Int64?,
            openContent: @escaping @Sendable (String) throws -> (any ContentReader)?,
            http: any HTTPClient,
            now: @escaping @Sendable () -> Date = { Date() },
            random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
        ) {
            self.store = store
            self.catalog = catalog
            self.openCredentials = openCredentials
            self.contentSize = contentSize
            self.openContent = openContent
            self.http = http
            self.now = now
            self.random = random
        }
    }

    let dependencies: Dependencies
    let configuration: DeliveryConfiguration
    let logger: Logger
    /// This process's name on the leases it takes.
    public let workerID: String
    /// Attempt durations and outcomes, for `/metrics`.
    public let metrics = DeliveryMetrics()
    private let doorbell = Doorbell()
    /// Writes the records of attempts that end together in one transaction.
    private let attemptLog: GroupCommit<AttemptRecord>
    /// Attestations recently read for delivery, by ID, each read once for the deliveries that start together (one per
    /// attachment of the push); an attestation never changes once stored.
    private let recentAttestations = SharedLoads<AttestationRecord>(byteLimit: 16 << 20) { $0.envelope.count }
    /// Ends attempts that overrun the attempt timeout.
    private let watchdog: AttemptWatchdog
    /// Attempts in flight, claimed or handed over, and slots reserved for hand-overs.
    private let slots: AttemptSlots
    /// Whether the workers run (only then are slots reserved), and the deliveries handed over since the loop last looked.
    private let handOver = Mutex(HandOverState())

    /// Claiming costs a durable commit: while attempts run, the loop waits until this many slots (a quarter) are free
    /// and claims for all of them at once, rather than once per finished attempt.
    private var claimBatch: Int { max(1, configuration.concurrency / 4) }

    private struct HandOverState {
        var accepting = false
        var deliveries: [Delivery] = []
    }

    public init(dependencies: Dependencies, configuration: DeliveryConfiguration = DeliveryConfiguration(), logger: Logger, workerID: String) {
        self.dependencies = dependencies
        self.configuration = configuration
        self.logger = logger.with("worker.id", workerID)
        self.workerID = workerID
        self.watchdog = AttemptWatchdog(tick: min(.milliseconds(100), configuration.attemptTimeout / 10))
        self.slots = AttemptSlots(capacity: configuration.concurrency)
        let store = dependencies.store
        self.attemptLog = GroupCommit { records in
            // Each record locks its delivery's row before reading anything, so row locking is all the isolation it needs;
            // in delivery ID order, so that two batches locking the same rows wait for each other instead of deadlocking.
            let ordered = records.sorted { $0.delivery.id < $1.delivery.id }
            try await store.write(isolation: .rowLocking) { tx in
                for record in ordered { try record.write(in: tx, owner: workerID) }
            }
        }
    }

    /// Tells the workers that something may be due now (a push, a retry, an upload), so they don't wait for the poll.
    public func wake() {
        doorbell.ring()
    }

    // MARK: Hand-over

    /// Attempt slots a producer reserved for deliveries it is about to create already leased to this worker, so that
    /// they start as soon as their transaction commits, without a claim (see ``reserveSlots(upTo:)``).
    public struct SlotReservation: Sendable {
        /// How many deliveries may be created leased; 0 when the workers are not running or have no free slot.
        public let count: Int
        /// The lease to create them with.
        public let owner: String
        public let leaseExpiresAt: Date
    }

    /// Reserves up to `count` free attempt slots. Create at most `count` deliveries leased with the reservation's
    /// owner and expiry, then pass them to ``handOver(_:attestation:reservation:)`` once committed, or pass none if the
    /// transaction failed: every reservation must end there.
    public func reserveSlots(upTo count: Int) -> SlotReservation {
        let leaseEnd = dependencies.now().addingTimeInterval(Self.seconds(configuration.attemptTimeout + configuration.leaseMargin))
        let reserved = handOver.withLock { state in state.accepting ? slots.take(upTo: count) : 0 }
        return SlotReservation(count: reserved, owner: workerID, leaseExpiresAt: leaseEnd)
    }

    /// Starts the committed `deliveries` created under `reservation` (at most its count) and frees its other slots.
    /// `attestation` is the one they deliver, kept so that their attempts need not read it back.
    ///
    /// If the workers stopped meanwhile the deliveries stay leased until the lease expires, then any worker claims them.
    public func handOver(_ deliveries: [Delivery], attestation: AttestationRecord?, reservation: SlotReservation) {
        let started = Array(deliveries.prefix(reservation.count))
        if let attestation, !started.isEmpty { recentAttestations.insert(attestation, for: attestation.id) }
        let unused = reservation.count - started.count
        let accepted = handOver.withLock { state -> Bool in
            guard state.accepting else { return false }
            state.deliveries += started
            return true
        }
        let free = slots.give(accepted ? unused : reservation.count)
        if (accepted && !started.isEmpty) || free >= claimBatch { doorbell.ring() }
    }

    // MARK: Running

    /// Claims and executes due deliveries, and those handed over, until the task is cancelled.
    public func run() async {
        handOver.withLock { $0.accepting = true }
        let claimBatch = claimBatch
        let slots = slots
        await withDiscardingTaskGroup { group in
            group.addTask { await self.watchdog.watch() }
            while !Task.isCancelled {
                // Their slots were taken when they were reserved.
                let handedOver = handOver.withLock { state in
                    defer { state.deliveries = [] }
                    return state.deliveries
                }
                let free = slots.free
                var claimed: [Delivery] = []
                let mayClaim = free >= claimBatch
                if mayClaim {
                    do {
                        claimed = try await claim(limit: free)
                    } catch {
                        logger.error("Claiming deliveries failed", ["error.detail": String(reflecting: error)])
                    }
                }
                for _ in claimed { slots.take() }
                for delivery in handedOver + claimed {
                    group.addTask {
                        await self.attempt(delivery) {
                            // The loop waits until a batch of slots is free.
                            if slots.give() >= claimBatch { self.doorbell.ring() }
                        }
                    }
                }
                if !mayClaim {
                    // A finishing attempt or a hand-over rings.
                    await doorbell.wait(upTo: configuration.idlePollInterval)
                } else if claimed.count < free {
                    await doorbell.wait(upTo: await idleWait())
                }
            }
            // Deliveries handed over from now on keep their lease until it expires.
            let abandoned = handOver.withLock { state in
                state.accepting = false
                defer { state.deliveries = [] }
                return state.deliveries.count
            }
            slots.give(abandoned)
        }
        do {
            let owner = workerID
            try await dependencies.store.write { tx in try tx.releaseLeases(owner: owner) }
        } catch {
            logger.warning("Releasing leases at shutdown failed; they will expire", ["error.detail": String(reflecting: error)])
        }
    }

    /// How long to sleep when nothing more can be claimed: until the earliest scheduled attempt, at most the poll interval.
    private func idleWait() async -> Duration {
        let poll = configuration.idlePollInterval
        guard let earliest = try? await dependencies.store.read({ tx in try tx.earliestPendingAttempt() }) else { return poll }
        let untilDue = earliest.timeIntervalSince(dependencies.now())
        if untilDue <= 0 { return .milliseconds(20) }
        return min(poll, .milliseconds(Int64(untilDue * 1000) + 1))
    }

    private func claim(limit: Int) async throws -> [Delivery] {
        let now = dependencies.now()
        let leaseEnd = now.addingTimeInterval(Self.seconds(configuration.attemptTimeout + configuration.leaseMargin))
        let owner = workerID
        return try await dependencies.store.write(isolation: .rowLocking) { tx in
            try tx.claimDueDeliveries(now: now, limit: limit, owner: owner, leaseExpiresAt: leaseEnd)
        }
    }

    // MARK: One attempt

    /// Runs one attempt of `delivery` and records it; never throws. `executed` runs once the integration has
    /// finished, before the record is durable: the attempt's slot is free for the next claim while the record waits
    /// for its commit (the lease keeps the delivery from being claimed again meanwhile).
    func attempt(_ delivery: Delivery, executed: () -> Void) async {
        let started = dependencies.now()
        let clock = ContinuousClock()
        let begin = clock.now
        let recorder = StatusRecordingHTTPClient(dependencies.http)
        let (kind, outcome) = await execute(delivery, http: recorder)
        let elapsed = clock.now - begin
        executed()
        metrics.record(integration: kind, outcome: outcome.overall, duration: elapsed)
        do {
            try await record(outcome, of: delivery, startedAt: started, duration: elapsed, httpStatus: recorder.status)
        } catch {
            logger.error(
                "Recording a delivery attempt failed; the lease will expire and the delivery will be retried",
                ["delivery.id": delivery.id, "error.detail": String(reflecting: error)]
            )
        }
    }

    /// Builds the execution request and runs the integration within the attempt timeout.
    private func execute(_ delivery: Delivery, http: any HTTPClient) async -> (kind: String, outcome: ExecutionOutcome) {
        let prepared: PreparedExecution
        do {
            prepared = try await prepare(delivery)
        } catch let problem as DeliveryProblem {
            return (problem.kind, problem.outcome)
        } catch {
            logger.error("Preparing a delivery failed", ["delivery.id": delivery.id, "error.detail": String(reflecting: error)])
            return ("unknown", .retryable(reason: "Courier could not prepare the delivery; it will try again.", retryAfter: nil))
        }
        let context = IntegrationContext(http: http, requestTimeout: configuration.attemptTimeout, now: dependencies.now)
        let catalog = dependencies.catalog
        let timeout = configuration.attemptTimeout
        let outcome = await watchdog.run(limit: timeout) { () -> ExecutionOutcome in
            do {
                return try await catalog.execute(prepared.kind, request: prepared.request, context: context)
            } catch let error as CourierError {
                return .rejected(reason: error.message)
            } catch {
                return .rejected(reason: "The integration failed unexpectedly.")
            }
        }
        return (prepared.kind, outcome ?? .retryable(reason: "The attempt timed out after \(Self.describe(timeout)).", retryAfter: nil))
    }

    private struct PreparedExecution: Sendable {
        var kind: String
        var request: ExecutionRequest
    }

    /// A delivery that cannot be executed as it stands, with the outcome to record.
    private struct DeliveryProblem: Error {
        var kind: String
        var outcome: ExecutionOutcome
    }

    private func prepare(_ delivery: Delivery) async throws -> PreparedExecution {
        let organizationID = delivery.organizationID
        let store = dependencies.store
        var attestation: AttestationRecord?
        if let attestationID = delivery.attestationID {
            attestation = try await recentAttestations.value(for: attestationID) {
                try await store.read { tx in try tx.attestation(organizationID: organizationID, id: attestationID) }
            }
        }
        let loaded = try await store.read { tx in
            (
                registration: try tx.registration(organizationID: organizationID, id: delivery.registrationID),
                attachment: try delivery.attachmentID.map { try tx.attachment(organizationID: organizationID, id: $0) },
                workflow: try delivery.workflowID.map { try tx.workflow(organizationID: organizationID, id: $0) },
                parts: try tx.parts(deliveryID: delivery.id)
            )
        }
        guard let registration = loaded.registration else {
            throw DeliveryProblem(kind: "unknown", outcome: .rejected(reason: "The integration was deleted before the delivery could be made."))
        }
        let kind = registration.kind
        let descriptor: IntegrationDescriptor
        do {
            descriptor = try dependencies.catalog.descriptor(kind)
        } catch {
            throw DeliveryProblem(kind: kind, outcome: .rejected(reason: "This Courier does not offer the \(kind) integration."))
        }
        let attachment = loaded.attachment ?? nil
        if delivery.attachmentID != nil && attachment == nil {
            throw DeliveryProblem(kind: kind, outcome: .skipped(reason: "The integration was detached from the workflow."))
        }
        let registrationState = Registration(
            configuration: try JSONValue(parsing: Data(registration.configuration.utf8)),
            credentials: try dependencies.openCredentials(registration)
        )
        let attachmentConfiguration = try attachment.map { try JSONValue(parsing: Data($0.configuration.utf8)) } ?? .object([:])
        let delivered = Dictionary(
            loaded.parts.filter { $0.outcome == .delivered }.map { ($0.partID, $0.reference ?? "") },
            uniquingKeysWith: { first, _ in first }
        )
        let progress = DeliveryProgress(deliveryID: delivery.id, attempt: delivery.attempts + 1, deliveredParts: delivered)

        guard let attestation else {
            return PreparedExecution(
                kind: kind,
                request: TestEvent.request(
                    deliveryID: delivery.id,
                    at: dependencies.now(),
                    registration: registrationState,
                    attachmentConfiguration: attachmentConfiguration,
                    progress: progress
                )
            )
        }
        guard let workflow = loaded.workflow ?? nil else {
            throw DeliveryProblem(kind: kind, outcome: .skipped(reason: "The workflow was deleted before the delivery could be made."))
        }
        let materials = try await subscribedMaterials(of: attestation, for: descriptor)
        let request = ExecutionRequest(
            workflow: WorkflowMetadata(id: workflow.id, name: workflow.name, team: workflow.team, project: workflow.projectName),
            run: RunMetadata(
                id: attestation.id,
                state: "success",
                startedAt: attestation.startedAt ?? attestation.createdAt,
                finishedAt: attestation.createdAt,
                runnerType: attestation.runnerType,
                runURL: attestation.runURL,
                attestationDigest: attestation.digest
            ),
            attestation: AttestationInput(envelope: attestation.envelope, hash: attestation.digest, annotations: attestation.annotations),
            materials: materials,
            registration: registrationState,
            attachmentConfiguration: attachmentConfiguration,
            progress: progress
        )
        return PreparedExecution(kind: kind, request: request)
    }

    /// The attestation's materials of the types the integration subscribes to, with their content readable; a CAS
    /// material not uploaded yet makes the attempt retryable without running the integration.
    private func subscribedMaterials(of attestation: AttestationRecord, for descriptor: IntegrationDescriptor) async throws -> [ExecutionMaterial] {
        var materials: [ExecutionMaterial] = []
        var missing: [String] = []
        for material in attestation.materials where descriptor.isSubscribed(to: material.type) {
            guard let type = MaterialType(rawValue: material.type) else { continue }
            let content: MaterialContent
            if material.uploadedToCAS, let digest = material.digest {
                let openContent = dependencies.openContent
                guard let size = try await dependencies.contentSize(digest) else {
                    missing.append(digest)
                    continue
                }
                content = MaterialContent(size: size, digest: try? ContentDigest(parsing: digest)) {
                    guard let reader = try openContent(digest) else { throw MissingContent(digest: digest) }
                    return reader
                }
            } else {
                content = .inline(material.inlineContent ?? Data((material.value ?? "").utf8))
            }
            materials.append(
                ExecutionMaterial(
                    name: material.name,
                    type: type,
                    filename: material.filename,
                    value: material.value,
                    digest: material.digest,
                    annotations: material.annotations,
                    content: content
                )
            )
        }
        if !missing.isEmpty {
            let reason = "Waiting for content \(missing.joined(separator: ", ")) to be uploaded to CAS (courier attestation push uploads it)."
            throw DeliveryProblem(kind: descriptor.id, outcome: .retryable(reason: reason, retryAfter: nil))
        }
        return materials
    }

    // MARK: Recording

    /// Records the attempt, the parts it touched and the delivery's new state, unless another worker took over.
    private func record(_ outcome: ExecutionOutcome, of delivery: Delivery, startedAt: Date, duration: Duration, httpStatus: Int?) async throws {
        let now = dependencies.now()
        let overall = outcome.overall
        let attemptNumber = delivery.attempts + 1
        var updated = delivery
        updated.attempts = attemptNumber
        updated.leaseOwner = nil
        updated.leaseExpiresAt = nil
        updated.updatedAt = now
        var retryAfterMilliseconds: Int64?
        switch overall {
        case .delivered, .parts:
            updated.state = .delivered
            updated.reason = ""
        case .skipped(let reason):
            updated.state = .skipped
            updated.reason = reason
        case .rejected(let reason):
            updated.state = .failed
            updated.reason = reason
        case .retryable(let reason, let retryAfter):
            retryAfterMilliseconds = retryAfter.map { Int64(Self.seconds($0) * 1000) }
            if let delay = configuration.retryPolicy.delay(
                afterAttempts: attemptNumber - delivery.budgetStart, retryAfter: retryAfter, random: dependencies.random())
            {
                updated.state = .retrying
                updated.reason = reason
                updated.nextAttemptAt = now.addingTimeInterval(Self.seconds(delay))
            } else {
                updated.state = .failed
                updated.reason = "Gave up after \(attemptNumber - delivery.budgetStart) attempts: \(reason)"
            }
        }
        let attempt = DeliveryAttempt(
            deliveryID: delivery.id,
            number: attemptNumber,
            startedAt: startedAt,
            durationMilliseconds: Int64(Self.seconds(duration) * 1000),
            outcome: Self.attemptOutcome(overall),
            httpStatus: httpStatus,
            error: Self.reason(of: overall),
            retryAfterMilliseconds: retryAfterMilliseconds
        )
        let parts: [DeliveryPart] =
            if case .parts(let partOutcomes) = outcome {
                partOutcomes.map { part in
                    let reference: String? = if case .delivered(let reference) = part.outcome.overall { reference } else { nil }
                    return DeliveryPart(
                        deliveryID: delivery.id,
                        partID: part.partID,
                        outcome: Self.attemptOutcome(part.outcome.overall),
                        reference: reference,
                        updatedAt: now
                    )
                }
            } else {
                []
            }
        let final = updated
        try await attemptLog.submit(AttemptRecord(delivery: final, attempt: attempt, parts: parts))
        // The workers may be sleeping until a later due time, chosen before this retry was scheduled.
        if final.state == .retrying { doorbell.ring() }
        logger.log(
            final.state == .failed ? .warning : .debug,
            "Delivery attempt recorded",
            [
                "delivery.id": delivery.id, "delivery.attempt": String(attemptNumber), "delivery.outcome": attempt.outcome.rawValue,
                "delivery.state": final.state.rawValue,
            ]
        )
    }

    static func attemptOutcome(_ outcome: ExecutionOutcome) -> AttemptOutcome {
        switch outcome {
        case .delivered, .parts: .delivered
        case .skipped: .skipped
        case .retryable: .retryable
        case .rejected: .rejected
        }
    }

    static func reason(of outcome: ExecutionOutcome) -> String {
        switch outcome {
        case .delivered, .parts: ""
        case .skipped(let reason), .rejected(let reason), .retryable(let reason, _): reason
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = seconds(duration)
        return seconds >= 1 ? "\(Int(seconds.rounded())) s" : "\(Int((seconds * 1000).rounded())) ms"
    }
}

/// What one attempt changes: its attempt row, the parts it touched and the delivery's new state.
struct AttemptRecord: Sendable {
    /// The delivery as the attempt leaves it (attempt count, state, reason, next attempt, lease cleared).
    var delivery: Delivery
    var attempt: DeliveryAttempt
    var parts: [DeliveryPart]

    /// Writes the record; the delivery's new state only if this worker still holds the lease (another worker may have
    /// taken the delivery over after this lease expired: its record wins). Writing the same record twice changes
    /// nothing; a part delivered earlier stays delivered (the store keeps it).
    func write(in tx: any StoreTransaction, owner: String) throws {
        guard let current = try tx.lockDelivery(organizationID: delivery.organizationID, id: delivery.id) else { return }
        try tx.insertAttempt(attempt)
        for part in parts { try tx.upsertPart(part) }
        if current.leaseOwner == owner && !current.state.isFinal {
            try tx.updateDelivery(delivery)
        }
    }
}

/// A CAS material that vanished between the check and the read.
struct MissingContent: Error, CustomStringConvertible {
    var digest: String
    var description: String { "Content \(digest) is not in CAS." }
}
