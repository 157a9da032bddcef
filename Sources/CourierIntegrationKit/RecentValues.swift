import Synchronization

/// The values most recently stored, by key, bounded by their total size: the oldest go first when a new one does not
/// fit, and one larger than the whole limit is not held. For values that never change once made (an attestation by
/// ID, a payload by the digest it is built from), so that a held value is always the right one.
public final class RecentValues<Value: Sendable>: Sendable {
    private struct State {
        var values: [String: Value] = [:]
        var order: [String] = []
        var bytes = 0
    }

    private let state = Mutex(State())
    private let byteLimit: Int
    private let size: @Sendable (Value) -> Int

    /// Holds values of at most `byteLimit` bytes in all, each as large as `size` says.
    public init(byteLimit: Int, size: @escaping @Sendable (Value) -> Int) {
        self.byteLimit = byteLimit
        self.size = size
    }

    /// The value for `key`, if held.
    public subscript(key: String) -> Value? {
        state.withLock { $0.values[key] }
    }

    /// Holds `value` under `key`, evicting the oldest values beyond the limit; a key already held keeps its value.
    public func insert(_ value: Value, for key: String) {
        let bytes = size(value)
        guard bytes <= byteLimit else { return }
        state.withLock { state in
            guard state.values[key] == nil else { return }
            state.values[key] = value
            state.order.append(key)
            state.bytes += bytes
            while state.bytes > byteLimit, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                state.bytes -= state.values.removeValue(forKey: oldest).map(size) ?? 0
            }
        }
    }
}
