import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn` whose standard output and error are captured, and which inherits no
/// other descriptor.
///
/// Tests use it instead of Foundation's `Process`, whose exit monitoring on Linux can miss a child that exits very
/// quickly: the waiting test then never resumes. Here the exit is learned with `waitpid` on the child's own pid.
public final class ChildProcess: Sendable {
    /// The process ID.
    public let pid: pid_t
    private let exitStatus = Mutex<Int32?>(nil)
    /// What the child wrote to standard output and standard error.
    public let standardOutput = OutputBuffer()
    public let standardError = OutputBuffer()

    /// Starts `executable` with `arguments` and exactly `environment`; standard input is `/dev/null`.
    public init(executable: String, arguments: [String], environment: [String: String]) throws {
        let out = try Self.pipe()
        let err = try Self.pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out.write, 1)
        posix_spawn_file_actions_adddup2(&actions, err.write, 2)
        // Nothing else is inherited: a server holding a copy of a test's pipe or socket would keep that test from ever
        // seeing end-of-file or a closed connection.
        if let closeFrom = closeFromAction { _ = closeFrom(&actions, 3) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(out.write)
        close(err.write)
        guard result == 0 else {
            close(out.read)
            close(err.read)
            throw SpawnFailure(description: "Cannot start \(executable): \(String(cString: strerror(result))).")
        }
        self.pid = pid
        standardOutput.drain(out.read)
        standardError.drain(err.read)
    }

    /// Whether the child is still running (reaps it once it has exited).
    public var isRunning: Bool { status == nil }

    /// The exit code, or the signal number for a child killed by a signal; `nil` while it runs.
    public var status: Int32? {
        exitStatus.withLock { known in
            if let known { return known }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            let decoded = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f
            known = decoded
            return decoded
        }
    }

    /// Waits for the child to exit, polling every 10 ms, up to `timeout`.
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        try await ServerProcess.poll(timeout: timeout, what: "process \(pid) to exit") { status }
    }

    /// Sends `signal` to the child if it still runs.
    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard Glibc.pipe(&descriptors) == 0 else {
            throw SpawnFailure(description: "pipe() failed: \(String(cString: strerror(errno))).")
        }
        // Close-on-exec, so that only the child started with these ends (through dup2) inherits them.
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return (descriptors[0], descriptors[1])
    }
}

/// A child process could not be started.
public struct SpawnFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not export.
private let closeFromAction: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()
