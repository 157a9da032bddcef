import CourierAttestation
import CourierCore
import CourierCrypto
import Foundation

/// Accepting attestations (the outbox's producer), and the organization keys that verify them.
///
/// A push stores the attestation, finishes its run and creates one delivery per active attachment of the workflow in
/// one transaction, then wakes the delivery workers; it never waits for deliveries. Pushing the same envelope to the
/// same workflow again creates nothing.
public struct AttestationService: Sendable {
    let store: any Store
    let environment: ServiceEnvironment
    let engine: DeliveryEngine

    public init(store: any Store, environment: ServiceEnvironment, engine: DeliveryEngine) {
        self.store = store
        self.environment = environment
        self.engine = engine
    }

    /// The outcome of a push.
    public struct PushResult: Sendable {
        public var attestation: AttestationRecord
        public var workflow: Workflow
        /// Deliveries created (0 when `duplicate`).
        public var deliveries: Int
        /// Whether the workflow already had this attestation.
        public var duplicate: Bool
    }

    /// Accepts a DSSE envelope or Sigstore bundle for workflow `project/workflow`.
    ///
    /// - Throws: `permission_denied` unless the token may push to the workflow; `invalid_argument` for a document that
    ///   is not an acceptable attestation, or a signature that verifies with none of the organization's keys;
    ///   `not_found` for an unknown workflow.
    public func push(_ document: Data, project: String, workflow workflowName: String, by principal: Principal) async throws -> PushResult {
        try Names.validateLabel(project, what: "project name")
        try Names.validateLabel(workflowName, what: "workflow name")
        try principal.require(.push(WorkflowScope(project: project, workflow: workflowName)))
        let parsed = try AttestationDocument.parse(document)
        let organizationID = principal.organizationID
        let casDigests = Set(parsed.predicate.materials.filter(\.uploadedToCAS).compactMap(\.digest))
        let (workflow, keys, uploaded, attachmentCount) = try await store.read { tx in
            let workflow = try tx.requireWorkflow(organizationID: organizationID, project: project, name: workflowName)
            let uploaded = try casDigests.filter { try tx.contentSize(organizationID: organizationID, digest: $0) != nil }
            let attachments = try tx.attachments(organizationID: organizationID, workflowID: workflow.id, registrationID: nil)
            return (workflow, try tx.verificationKeys(organizationID: organizationID), uploaded, attachments.count)
        }
        var verifiedBy: String?
        if !keys.isEmpty {
            let verifier = DSSEVerifier(keys: try keys.map { try DSSEVerifier.NamedKey(name: $0.name, pem: $0.publicKeyPEM) })
            verifiedBy = try verifier.verify(parsed.envelope).keyName
        }
        let now = environment.now()
        let record = AttestationRecord(
            id: environment.newID(),
            organizationID: organizationID,
            workflowID: workflow.id,
            digest: parsed.hash,
            envelope: parsed.canonicalEnvelope,
            annotations: parsed.predicate.annotations,
            materials: parsed.predicate.materials.map(StoredMaterial.init),
            runnerType: parsed.predicate.runnerType,
            runURL: parsed.predicate.runnerURL,
            startedAt: Self.date(parsed.predicate.metadata.startedAt),
            verifiedBy: verifiedBy,
            warnings: parsed.predicate.materials.compactMap { material in
                guard material.uploadedToCAS, let digest = material.digest, !uploaded.contains(digest) else { return nil }
                return "Material '\(material.name)' (\(digest)) is not in CAS yet; deliveries that need it wait until it is uploaded."
            },
            createdAt: now
        )
        let env = environment
        // The deliveries this process's workers have room for are created leased to them and start once committed.
        let reservation = engine.reserveSlots(upTo: attachmentCount)
        let created: (result: PushResult, deliveries: [Delivery])
        do {
            created = try await store.write { tx in
                if let existing = try tx.attestation(organizationID: organizationID, workflowID: workflow.id, digest: record.digest) {
                    return (PushResult(attestation: existing, workflow: workflow, deliveries: 0, duplicate: true), [])
                }
                try tx.insertAttestation(record)
                let attachments = try tx.attachments(organizationID: organizationID, workflowID: workflow.id, registrationID: nil)
                let deliveries = attachments.enumerated().map { index, attachment in
                    let leased = index < reservation.count
                    return Delivery(
                        id: env.newID(),
                        organizationID: organizationID,
                        registrationID: attachment.registrationID,
                        attachmentID: attachment.id,
                        attestationID: record.id,
                        workflowID: workflow.id,
                        kind: .attestation,
                        nextAttemptAt: now,
                        leaseOwner: leased ? reservation.owner : nil,
                        leaseExpiresAt: leased ? reservation.leaseExpiresAt : nil,
                        createdAt: now,
                        updatedAt: now
                    )
                }
                for delivery in deliveries { try tx.insertDelivery(delivery) }
                return (PushResult(attestation: record, workflow: workflow, deliveries: deliveries.count, duplicate: false), deliveries)
            }
        } catch {
            engine.handOver([], attestation: nil, reservation: reservation)
            throw error
        }
        engine.handOver(created.deliveries, attestation: created.result.attestation, reservation: reservation)
        if created.deliveries.count > reservation.count { engine.wake() }
        return created.result
    }

    /// The organization's attestations, newest first, optionally of one workflow.
    public func list(project: String?, workflow workflowName: String?, limit: Int, by principal: Principal) async throws -> [(
        AttestationRecord, Workflow
    )] {
        try principal.require(.read)
        if (project == nil) != (workflowName == nil) {
            throw CourierError.invalid("Give both --project and --workflow to list one workflow's attestations, or neither.")
        }
        let organizationID = principal.organizationID
        return try await store.read { tx in
            var workflowID: String?
            if let project, let workflowName {
                let workflow = try tx.requireWorkflow(organizationID: organizationID, project: project, name: workflowName)
                workflowID = workflow.id
            }
            let attestations = try tx.attestations(
                organizationID: organizationID,
                workflowID: workflowID,
                since: nil,
                oldestFirst: false,
                limit: max(1, min(limit, 1_000))
            )
            return try attestations.compactMap { attestation in
                try Self.workflow(of: attestation, in: tx).map { (attestation, $0) }
            }
        }
    }

    /// The newest attestation with this digest, with its workflow and deliveries.
    public func describe(digest: String, by principal: Principal) async throws -> (AttestationRecord, Workflow, [DeliveryService.DeliveryView]) {
        try principal.require(.read)
        let organizationID = principal.organizationID
        let normalized = digest.hasPrefix("sha256:") ? digest : "sha256:" + digest
        return try await store.read { tx in
            for attestation in try tx.attestations(organizationID: organizationID, digest: normalized).reversed() {
                guard let workflow = try Self.workflow(of: attestation, in: tx) else { continue }
                let deliveries = try tx.deliveries(
                    organizationID: organizationID, filter: DeliveryFilter(attestationID: attestation.id, limit: 1_000))
                return (attestation, workflow, try deliveries.map { try DeliveryService.view(of: $0, in: tx) })
            }
            throw CourierError.notFound("No attestation with digest \(normalized); 'courier attestation list' shows the attestations.")
        }
    }

    /// Makes the deliveries waiting for content `digest` due now; called after the organization uploads it.
    public func contentUploaded(organizationID: String, digest: String) async throws {
        let now = environment.now()
        let woken = try await store.write { tx in
            let ids = try tx.attestationIDs(organizationID: organizationID, referencingContent: digest)
            try tx.wakeDeliveries(attestationIDs: ids, at: now)
            return ids.count
        }
        if woken > 0 { engine.wake() }
    }

    // MARK: Keys

    /// A key with what its PEM says about it.
    public struct KeyView: Sendable, Hashable {
        public var key: OrganizationKey
        /// The id signatures carry in `keyid`.
        public var keyID: String
        public var algorithm: String
    }

    /// Adds a verification key; from then on every push must verify with one of the organization's keys.
    public func addKey(name: String, publicKeyPEM: String, by principal: Principal) async throws -> KeyView {
        try principal.require(.manage)
        try Names.validateLabel(name, what: "key name")
        let parsed = try VerificationKey(pem: publicKeyPEM)
        let key = OrganizationKey(
            id: environment.newID(),
            organizationID: principal.organizationID,
            name: name,
            publicKeyPEM: parsed.pemRepresentation,
            createdAt: environment.now()
        )
        try await store.write { tx in try tx.insertVerificationKey(key) }
        return KeyView(key: key, keyID: parsed.id, algorithm: Self.algorithmName(parsed.type))
    }

    /// The organization's keys, by name.
    public func keys(by principal: Principal) async throws -> [KeyView] {
        try principal.require(.read)
        let organizationID = principal.organizationID
        return try await store.read { tx in try tx.verificationKeys(organizationID: organizationID) }.map { key in
            let parsed = try VerificationKey(pem: key.publicKeyPEM)
            return KeyView(key: key, keyID: parsed.id, algorithm: Self.algorithmName(parsed.type))
        }
    }

    // MARK: Helpers

    static func algorithmName(_ type: SigningKeyType) -> String {
        switch type {
        case .ecdsaP256: "ecdsa-p256"
        case .ed25519: "ed25519"
        case .rsa: "rsa"
        }
    }

    /// The attestation's workflow, even if it was deleted since (its name stays meaningful in history).
    static func workflow(of attestation: AttestationRecord, in tx: any StoreTransaction) throws -> Workflow? {
        try tx.workflow(organizationID: attestation.organizationID, id: attestation.workflowID)
    }

    static func date(_ text: String) -> Date? {
        guard !text.isEmpty else { return nil }
        return (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}

extension StoredMaterial {
    init(_ material: NormalizedMaterial) {
        self.init(
            name: material.name,
            type: material.typeName,
            filename: material.filename,
            value: material.value,
            digest: material.digest,
            tag: material.tag,
            uploadedToCAS: material.uploadedToCAS,
            embeddedInline: material.embeddedInline,
            inlineContent: material.inlineContent,
            annotations: material.annotations
        )
    }
}
