import Synchronization

/// Values that never change once made (an attestation by ID), held while recent and loaded by one caller at a time:
/// callers that ask for a key while it is being loaded wait for that load instead of repeating it, as the deliveries of
/// one push, which start together, would.
public final class SharedLoads<Value: Sendable>: Sendable {
    private enum Turn {
        case loaded(Result<Value?, any Error>)
        case lead
    }

    private let recent: RecentValues<Value>
    /// Callers waiting for the load of each key in progress.
    private let waiting = Mutex<[String: [CheckedContinuation<Turn, Never>]]>([:])

    /// Holds values of at most `byteLimit` bytes in all, each as large as `size` says.
    public init(byteLimit: Int, size: @escaping @Sendable (Value) -> Int) {
        recent = RecentValues(byteLimit: byteLimit, size: size)
    }

    /// Holds `value`, made elsewhere, under `key`.
    public func insert(_ value: Value, for key: String) {
        recent.insert(value, for: key)
    }

    /// How many callers wait for the load of `key` in progress.
    public func followers(of key: String) -> Int {
        waiting.withLock { $0[key]?.count ?? 0 }
    }

    /// The value for `key`: held, loaded by another caller meanwhile, or loaded by `load` (`nil`: there is none, and
    /// nothing is held).
    ///
    /// - Throws: The error of the load this caller waited for or ran.
    public func value(for key: String, load: () async throws -> Value?) async throws -> Value? {
        if let held = recent[key] { return held }
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let leads = waiting.withLock { waiting -> Bool in
                if waiting[key] != nil {
                    waiting[key]?.append(continuation)
                    return false
                }
                waiting[key] = []
                return true
            }
            if leads { continuation.resume(returning: .lead) }
        }
        if case .loaded(let result) = turn { return try result.get() }
        let result: Result<Value?, any Error>
        do {
            result = .success(try await load())
        } catch {
            result = .failure(error)
        }
        if case .success(let value?) = result { recent.insert(value, for: key) }
        let followers = waiting.withLock { $0.removeValue(forKey: key) ?? [] }
        for follower in followers { follower.resume(returning: .loaded(result)) }
        return try result.get()
    }
}
