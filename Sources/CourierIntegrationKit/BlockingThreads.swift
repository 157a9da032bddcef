import Foundation

/// Threads for blocking work (a libcurl transfer, reading a large file or a remote object in chunks) that must not
/// occupy Swift's cooperative pool, kept parked between jobs so that busy callers do not create a thread per job.
/// Every job gets a thread at once (a parked one, or a new one), so a job that hangs never delays another; a thread
/// parked for ``idleLifetime`` exits.
public final class BlockingThreads: @unchecked Sendable {
    /// The threads shared by everything in the process that blocks.
    public static let shared = BlockingThreads()

    /// How long a thread waits for its next job before exiting.
    public let idleLifetime: TimeInterval

    // All guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    /// Parked threads not yet promised to a job.
    private var idle = 0
    /// Parked threads promised to a job but not yet awake.
    private var wakeups = 0

    /// A pool whose threads exit after `idleLifetime` seconds without a job.
    public init(idleLifetime: TimeInterval = 10) {
        self.idleLifetime = idleLifetime
    }

    /// The result of `work`, run on a thread of the pool while the caller suspends.
    public func value<T: Sendable>(of work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            run { continuation.resume(with: Result(catching: work)) }
        }
    }

    /// Runs `job` on a thread of the pool.
    public func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        let wakesParkedThread = idle > 0
        if wakesParkedThread {
            idle -= 1
            wakeups += 1
            condition.signal()
        }
        condition.unlock()
        guard !wakesParkedThread else { return }
        let thread = Thread { [self] in work() }
        thread.name = "courier-blocking"
        thread.start()
    }

    /// Runs queued jobs; parks when there are none, and exits after parking for `idleLifetime` without a job.
    private func work() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            idle += 1
            let deadline = Date(timeIntervalSinceNow: idleLifetime)
            while wakeups == 0 && condition.wait(until: deadline) {}
            if wakeups > 0 {
                wakeups -= 1
            } else {
                idle -= 1
                condition.unlock()
                return
            }
        }
    }
}
