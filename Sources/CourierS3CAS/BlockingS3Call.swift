import Dispatch
import Synchronization

/// Runs an S3 call to completion for the synchronous methods of `ContentStore`.
///
/// The call runs in a detached task that prefers ``DispatchTaskExecutor``: its jobs, and those of the HTTP client's
/// child tasks, run on Dispatch's threads rather than Swift's cooperative pool. The caller, which may hold a
/// cooperative thread, blocks on a semaphore; since the call never needs a cooperative thread, it finishes even
/// when every cooperative thread is blocked in such a wait.
enum BlockingS3Call {
    private static let executor = DispatchTaskExecutor()

    /// The result of `operation`, waiting for it on the calling thread.
    static func run<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) throws -> Value {
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Task.detached(executorPreference: executor) {
            do {
                let value = try await operation()
                outcome.withLock { $0 = .success(value) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            finished.signal()
        }
        finished.wait()
        guard let result = outcome.withLock({ $0 }) else { preconditionFailure("The S3 call signalled before storing its outcome") }
        return try result.get()
    }
}

/// A task executor running every job on Dispatch's global concurrent queue.
final class DispatchTaskExecutor: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        DispatchQueue.global().async { job.runSynchronously(on: executor) }
    }
}
