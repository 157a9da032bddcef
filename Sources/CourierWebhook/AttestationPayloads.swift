import CourierIntegrationKit
import Foundation
import Synchronization

/// The `ATTESTATION` payloads built most recently, by attestation hash. Each attachment of a workflow is a delivery of
/// its own, so the same attestation is usually sent several times in a row; the payload is a function of the envelope,
/// whose SHA-256 is the key, so a held payload is always the right one.
///
/// Bounded by the total size of the payloads held; the oldest go first.
final class AttestationPayloads: Sendable {
    /// The payloads of this process's webhook deliveries.
    static let shared = AttestationPayloads()

    private struct State {
        var payloads: [String: Data] = [:]
        var order: [String] = []
        var bytes = 0
    }

    private let state = Mutex(State())
    private let byteLimit: Int

    init(byteLimit: Int = 8 << 20) {
        self.byteLimit = byteLimit
    }

    /// The payload for `attestation`, built unless held.
    ///
    /// - Throws: ``PayloadFailure/rejected(_:)`` when the envelope is not DSSE JSON with a JSON payload.
    func payload(for attestation: AttestationInput) throws(PayloadFailure) -> Data {
        if let held = state.withLock({ $0.payloads[attestation.hash] }) { return held }
        let payload = try WebhookBody.attestationData(attestation)
        guard payload.count <= byteLimit else { return payload }
        state.withLock { state in
            guard state.payloads.updateValue(payload, forKey: attestation.hash) == nil else { return }
            state.order.append(attestation.hash)
            state.bytes += payload.count
            while state.bytes > byteLimit, !state.order.isEmpty {
                state.bytes -= state.payloads.removeValue(forKey: state.order.removeFirst())?.count ?? 0
            }
        }
        return payload
    }
}
