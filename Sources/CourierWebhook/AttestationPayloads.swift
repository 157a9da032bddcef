import CourierIntegrationKit
import Foundation

/// The `ATTESTATION` payloads built most recently, by attestation hash. Each attachment of a workflow is a delivery of
/// its own, so the same attestation is usually sent several times in a row; the payload is a function of the envelope,
/// whose SHA-256 is the key, so a held payload is always the right one.
final class AttestationPayloads: Sendable {
    /// The payloads of this process's webhook deliveries.
    static let shared = AttestationPayloads()

    private let payloads: SharedLoads<Data>

    /// Payloads of at most `byteLimit` bytes in all.
    init(byteLimit: Int = 8 << 20) {
        payloads = SharedLoads(byteLimit: byteLimit) { $0.count }
    }

    /// The payload for `attestation`, built unless held or being built (the deliveries of one push to several webhooks
    /// start together).
    ///
    /// - Throws: ``PayloadFailure/rejected(_:)`` when the envelope is not DSSE JSON with a JSON payload.
    func payload(for attestation: AttestationInput) async throws(PayloadFailure) -> Data {
        do {
            // Building never answers `nil`.
            return try await payloads.value(for: attestation.hash) { try WebhookBody.attestationData(attestation) } ?? Data()
        } catch let failure as PayloadFailure {
            throw failure
        } catch {
            throw .rejected("the attestation payload could not be built: \(error)")
        }
    }
}
