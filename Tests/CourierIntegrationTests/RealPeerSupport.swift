import CourierTestSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Helpers for tests against real servers ("peers") on loopback: locating the tools `scripts/install-test-servers`
/// installs, spawning processes, free ports and deadline-bounded polling.
enum RealPeers {
    /// The repository root, three levels above this file.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The Python of the repository's `.venv`, which has aiosmtpd and cryptography.
    static var python: String { repositoryRoot.appendingPathComponent(".venv/bin/python").path }

    /// Whether `executable` exists and is executable.
    static func isInstalled(_ executable: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: executable)
    }

    /// A fresh temporary directory.
    static func makeDirectory(_ label: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("courier-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A socket listening on 127.0.0.1 that never accepts: clients connect (the kernel completes the handshake) and
    /// then wait for a greeting that never comes. Close the descriptor when done.
    static func silentListener() throws -> (descriptor: Int32, port: Int) {
        let (descriptor, port) = try LoopbackSocket.bound()
        guard listen(descriptor, 8) == 0 else {
            close(descriptor)
            throw PeerError("listen() failed")
        }
        return (descriptor, port)
    }

    /// Calls `check` every 50 ms until it returns true; throws once `timeout` has passed without success.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ check: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await check() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PeerError("timed out waiting for \(what)")
    }

    /// Runs a short-lived tool to completion and returns its standard output; throws when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Data {
        let directory = try makeDirectory("tool")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("stdout")
        let errors = directory.appendingPathComponent("stderr")
        let process = try SpawnedProcess(executable, arguments, standardOutput: output.path, standardError: errors.path)
        let status = try await process.waitForExit(timeout: timeout)
        let stdout = (try? Data(contentsOf: output)) ?? Data()
        guard status == 0 else {
            let stderr = String(decoding: (try? Data(contentsOf: errors)) ?? Data(), as: UTF8.self)
            throw PeerError("\(executable) \(arguments.joined(separator: " ")) exited with \(status): \(stderr)")
        }
        return stdout
    }
}

/// A failure of the test setup.
struct PeerError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not export.
private let closeFromAction: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

/// A child process started with `posix_spawn`, its output sent to files and no other descriptor inherited. Only its
/// pid is kept, so it is a value that any task may stop.
struct SpawnedProcess: Sendable {
    /// The process ID.
    let pid: pid_t

    /// Starts `executable` with `arguments`, the current environment, and standard output and error sent to the
    /// given files (appended).
    init(_ executable: String, _ arguments: [String], standardOutput: String, standardError: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // Nothing else is inherited: a long-lived peer holding a copy of another test's pipe or socket would keep that
        // test from ever seeing end-of-file or a closed connection.
        guard let closeFrom = closeFromAction, closeFrom(&actions, 3) == 0 else {
            throw PeerError("posix_spawn_file_actions_addclosefrom_np (glibc 2.34+) is unavailable")
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard result == 0 else { throw PeerError("starting \(executable) failed: \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    /// The exit status once the process has exited, `nil` while it runs.
    func exitStatus() -> Int32? {
        var status: Int32 = 0
        let waited = waitpid(pid, &status, WNOHANG)
        guard waited == pid else { return waited < 0 ? -1 : nil }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Waits for the process to exit, polling; kills it and throws after `timeout`.
    func waitForExit(timeout: Duration) async throws -> Int32 {
        var status: Int32?
        do {
            try await RealPeers.waitUntil("process \(pid) to exit", timeout: timeout) {
                status = exitStatus()
                return status != nil
            }
        } catch {
            await stop()
            throw error
        }
        return status ?? -1
    }

    /// Sends SIGTERM, then SIGKILL if the process is still running 5 s later, and reaps it.
    func stop() async {
        kill(pid, SIGTERM)
        if (try? await RealPeers.waitUntil("process \(pid) to stop", timeout: .seconds(5)) { exitStatus() != nil }) == nil {
            kill(pid, SIGKILL)
            _ = try? await RealPeers.waitUntil("process \(pid) to be killed", timeout: .seconds(5)) { exitStatus() != nil }
        }
    }

    /// Runs `body`, then stops the process, also when `body` throws.
    func whileRunning<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        do {
            let result = try await body()
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }
}
