import Foundation

/// A thread of its own that runs submitted jobs one at a time, in order.
///
/// libpq calls block until the server answers. Run on libdispatch queues they would hold threads of
/// the pool that Swift concurrency also uses, which on Linux only grows slowly, and stall every
/// task in the process; a dedicated thread blocks nobody else.
///
/// `@unchecked Sendable` is safe because `jobs` and `isStopping` are only read and written while
/// `condition` is locked.
final class ConnectionThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var isStopping = false

    /// Starts the thread, named `name`.
    init(name: String) {
        let thread = Thread { [self] in runJobs() }
        thread.name = name
        thread.start()
    }

    /// Queues `job` to run on the thread after the jobs already queued.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once it has run the jobs already queued.
    func stop() {
        condition.lock()
        isStopping = true
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while true {
            condition.lock()
            while jobs.isEmpty && !isStopping { condition.wait() }
            guard !jobs.isEmpty else {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
