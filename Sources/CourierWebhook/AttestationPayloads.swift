import CourierIntegrationKit
import Foundation

/// The `ATTESTATION` payloads built most recently, by attestation hash. Each attachment of a workflow is a delivery of
/// its own, so the same attestation is usually sent several times in a row; the payload is a function of the envelope,
/// whose SHA-256 is the key, so a held payload is always the right one.
final class AttestationPayloads: Sendable {
    /// The payloads of this process's webhook deliveries.
    static let shared = AttestationPayloads()

    private let payloads: RecentValues<Data>

    /// Payloads of at most `byteLimit` bytes in all.
    init(byteLimit: Int = 8 << 20) {
        payloads = RecentValues(byteLimit: byteLimit) { $0.count }
    }

    /// The payload for `attestation`, built unless held.
    ///
    /// - Throws: ``PayloadFailure/rejected(_:)`` when the envelope is not DSSE JSON with a JSON payload.
    func payload(for attestation: AttestationInput) throws(PayloadFailure) -> Data {
        if let held = payloads[attestation.hash] { return held }
        let payload = try WebhookBody.attestationData(attestation)
        payloads.insert(payload, for: attestation.hash)
        return payload
    }
}
