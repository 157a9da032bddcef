import Synchronization

/// Commits entries submitted concurrently in shared transactions: while one batch is being written, new entries wait,
/// and the next submitter to lead writes all of them at once. Under load many attempts share one durable commit; alone,
/// an entry is written at once.
///
/// No task of its own: the first waiting submitter leads the next batch, so nothing runs when nothing is submitted.
final class GroupCommit<Entry: Sendable>: Sendable {
    private struct Waiter {
        var entry: Entry
        var continuation: CheckedContinuation<Turn, Never>
    }

    /// What a waiting submitter is woken with.
    private enum Turn {
        /// Its entry was committed by another leader (with this error, if the commit failed).
        case done((any Error)?)
        /// It leads the next batch.
        case lead
    }

    private struct State {
        var leading = false
        var waiting: [Waiter] = []
    }

    private let state = Mutex(State())
    private let commit: @Sendable ([Entry]) async throws -> Void

    /// Batches commit through `commit`, which writes all its entries in one transaction or none of them.
    init(commit: @escaping @Sendable ([Entry]) async throws -> Void) {
        self.commit = commit
    }

    /// Returns once `entry` is committed.
    ///
    /// - Throws: The error of the commit that wrote `entry`. When a shared batch fails, each of its entries is tried
    ///   again alone, so one bad entry does not fail the others.
    func submit(_ entry: Entry) async throws {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let leadsNow = state.withLock { state -> Bool in
                guard state.leading else {
                    state.leading = true
                    return true
                }
                state.waiting.append(Waiter(entry: entry, continuation: continuation))
                return false
            }
            if leadsNow { continuation.resume(returning: .lead) }
        }
        if case .done(let error) = turn {
            if let error { throw error }
            return
        }
        let followers = state.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }
        let (ownError, followerErrors) = await write(entry, followers.map(\.entry))
        for (follower, error) in zip(followers, followerErrors) { follower.continuation.resume(returning: .done(error)) }
        // Entries that arrived during this commit: the first of them leads the next batch.
        let next = state.withLock { state -> Waiter? in
            guard !state.waiting.isEmpty else {
                state.leading = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        if let ownError { throw ownError }
    }

    /// Commits the leader's entry with its followers'; the error of each, `nil` when committed.
    private func write(_ own: Entry, _ followers: [Entry]) async -> ((any Error)?, [(any Error)?]) {
        do {
            try await commit([own] + followers)
            return (nil, Array(repeating: nil, count: followers.count))
        } catch {
            guard !followers.isEmpty else { return (error, []) }
            var errors: [(any Error)?] = []
            for entry in [own] + followers {
                do {
                    try await commit([entry])
                    errors.append(nil)
                } catch {
                    errors.append(error)
                }
            }
            return (errors[0], Array(errors.dropFirst()))
        }
    }
}
