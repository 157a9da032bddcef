import Foundation

/// Threads for blocking libcurl transfers, kept parked between jobs so that a busy client does not create a thread per
/// request. Every job gets a thread at once (a parked one, or a new one), so a hanging transfer never delays another;
/// a thread parked for ``idleLifetime`` exits.
final class TransferThreads: @unchecked Sendable {
    /// How long a thread waits for its next job before exiting.
    let idleLifetime: TimeInterval

    // All guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    /// Parked threads not yet promised to a job.
    private var idle = 0
    /// Parked threads promised to a job but not yet awake.
    private var wakeups = 0

    init(idleLifetime: TimeInterval = 10) {
        self.idleLifetime = idleLifetime
    }

    /// Runs `job` on a thread of the pool.
    func run(_ job: @escaping @Sendable () -> Void) {
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
        thread.name = "courier-http"
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
