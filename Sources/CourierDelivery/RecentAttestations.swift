import CourierCore
import Synchronization

/// The attestations most recently loaded for delivery, by ID. An attestation never changes once stored, and its
/// deliveries (one per attachment) are usually attempted together, so all but the first skip reading and decoding it.
///
/// Bounded by the total size of the envelopes held; the oldest entries go first.
final class RecentAttestations: Sendable {
    private struct State {
        var records: [String: AttestationRecord] = [:]
        var order: [String] = []
        var bytes = 0
    }

    private let state = Mutex(State())
    private let byteLimit: Int

    /// A cache holding envelopes of at most `byteLimit` bytes in all.
    init(byteLimit: Int = 16 << 20) {
        self.byteLimit = byteLimit
    }

    /// The attestation `id`, if held.
    subscript(id: String) -> AttestationRecord? {
        state.withLock { $0.records[id] }
    }

    /// Holds `record`, evicting the oldest entries beyond the limit; one larger than the whole limit is not held.
    func insert(_ record: AttestationRecord) {
        let size = record.envelope.count
        guard size <= byteLimit else { return }
        state.withLock { state in
            guard state.records.updateValue(record, forKey: record.id) == nil else { return }
            state.order.append(record.id)
            state.bytes += size
            while state.bytes > byteLimit, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                state.bytes -= state.records.removeValue(forKey: oldest)?.envelope.count ?? 0
            }
        }
    }
}
