import Dispatch
import Foundation
import Synchronization

/// Threads for blocking work (a libcurl transfer, reading a large file or a remote object in chunks) that must not
/// occupy Swift's cooperative pool, kept parked between jobs so that busy callers do not create a thread per job.
/// Every job gets a thread at once (a parked one, or a new one), so a job that hangs never delays another; a thread
/// parked for ``idleLifetime`` exits.
///
/// Each parked thread waits on a semaphore of its own, and the most recently parked one is woken first: handing over a
/// job wakes exactly one thread, with no lock that the woken thread and the others contend for.
public final class BlockingThreads: Sendable {
    /// The threads shared by everything in the process that blocks.
    public static let shared = BlockingThreads()

    /// How long a thread waits for its next job before exiting.
    public let idleLifetime: TimeInterval

    /// Parked threads, the most recently parked last.
    private let parked = Mutex<[Parking]>([])

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
        if let parking = parked.withLock({ $0.popLast() }) {
            parking.hand(job)
            return
        }
        let thread = Thread { [self] in work(first: job) }
        thread.name = "courier-blocking"
        thread.start()
    }

    /// Runs `first`, then parks for the next job; exits after parking for `idleLifetime` without one.
    private func work(first: @escaping @Sendable () -> Void) {
        let parking = Parking()
        var job = first
        while true {
            job()
            parked.withLock { $0.append(parking) }
            if let next = parking.wait(upTo: idleLifetime) {
                job = next
                continue
            }
            let stillParked = parked.withLock { parked in
                guard let index = parked.firstIndex(where: { $0 === parking }) else { return false }
                parked.remove(at: index)
                return true
            }
            if stillParked { return }
            // A caller took this thread just as its wait ran out: its job is on the way.
            job = parking.waitForJob()
        }
    }
}

/// Where one parked thread waits for its next job.
private final class Parking: @unchecked Sendable {
    private let signal = DispatchSemaphore(value: 0)
    /// Written by the caller that took this thread off the parked list, before it signals; read after the wait.
    private var job: (@Sendable () -> Void)?

    func hand(_ job: @escaping @Sendable () -> Void) {
        self.job = job
        signal.signal()
    }

    /// The job handed over within `timeout`, or `nil`.
    func wait(upTo timeout: TimeInterval) -> (@Sendable () -> Void)? {
        guard signal.wait(timeout: .now() + timeout) == .success else { return nil }
        return take()
    }

    /// The job handed over, however long it takes.
    func waitForJob() -> @Sendable () -> Void {
        signal.wait()
        return take()
    }

    private func take() -> @Sendable () -> Void {
        defer { job = nil }
        return job!
    }
}
