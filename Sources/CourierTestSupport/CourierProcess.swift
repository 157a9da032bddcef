import Foundation
import Synchronization

/// The `courier` binary under test: `COURIER_BIN`, else `courier` beside the test bundle.
public enum CourierBinary {
    public static var url: URL {
        if let path = ProcessInfo.processInfo.environment["COURIER_BIN"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("courier")
    }
}

/// What a finished command printed and returned.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// A scratch directory removed when the test is done with it.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("courier-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Runs `courier` with `arguments` to completion without blocking Swift's cooperative threads.
public func runCourier(_ arguments: [String], environment: [String: String]) async throws -> CommandResult {
    let process = Process()
    process.executableURL = CourierBinary.url
    process.arguments = arguments
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let stdout = OutputBuffer()
    let stderr = OutputBuffer()
    return await withCheckedContinuation { continuation in
        // Blocking waits get threads of their own: parking them on Dispatch's shared pool starves other tests.
        Thread.detachNewThread {
            let group = DispatchGroup()
            stdout.drain(out.fileHandleForReading, group: group)
            stderr.drain(err.fileHandleForReading, group: group)
            group.wait()
            process.waitUntilExit()
            continuation.resume(returning: CommandResult(status: process.terminationStatus, stdout: stdout.text, stderr: stderr.text))
        }
    }
}

/// A `courier serve` process on a free loopback port and a temporary data directory.
public final class ServerProcess: Sendable {
    public let process: Process
    public let dataDirectory: TemporaryDirectory
    public let home: TemporaryDirectory
    /// `http://127.0.0.1:PORT`, from the readiness line.
    public let url: String
    private let stdout = OutputBuffer()
    private let stderr = OutputBuffer()

    /// Starts the server and waits (up to 30 s) for its readiness line.
    public init(
        listen: String = "127.0.0.1:0",
        extraArguments: [String] = [],
        environment: [String: String] = [:],
        dataDirectory: TemporaryDirectory? = nil
    ) async throws {
        self.dataDirectory = try dataDirectory ?? TemporaryDirectory()
        home = try TemporaryDirectory()
        let stdoutBuffer = stdout
        let stderrBuffer = stderr
        process = Process()
        process.executableURL = CourierBinary.url
        process.arguments = ["serve", "--listen", listen, "--data-dir", self.dataDirectory.url.path] + extraArguments
        process.environment = environment.merging(
            ["HOME": home.url.path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        ) { _, fixed in fixed }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdoutBuffer.drain(out.fileHandleForReading)
        stderrBuffer.drain(err.fileHandleForReading)
        let prefix = "courier listening on "
        let line = try await Self.poll(timeout: .seconds(30), what: "the readiness line") {
            stdoutBuffer.text
                .split(separator: "\n").first { $0.hasPrefix(prefix) }
                .map { String($0.dropFirst(prefix.count)) }
        }
        url = line
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// Everything the server wrote to standard error so far.
    public var standardError: String { stderr.text }

    /// Everything the server wrote to standard output so far.
    public var standardOutput: String { stdout.text }

    /// The owner token the first start wrote to the data directory.
    public func ownerToken() throws -> String {
        try String(contentsOf: dataDirectory.url.appendingPathComponent("owner.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a CLI command against this server, as `token` when given.
    public func courier(_ arguments: String..., token: String? = nil) async throws -> CommandResult {
        var environment = ["HOME": home.url.path, "COURIER_SERVER": url, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]
        if let token { environment["COURIER_TOKEN"] = token }
        return try await runCourier(arguments, environment: environment)
    }

    /// Sends a signal and waits (up to 30 s) for the process to exit; returns its exit status.
    public func stop(signal: Int32 = SIGTERM) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        _ = try await Self.poll(timeout: .seconds(30), what: "the server to exit") { self.process.isRunning ? nil : true }
        return process.terminationStatus
    }

    /// Calls `check` every 20 ms until it returns a value or `timeout` passes.
    public static func poll<T>(timeout: Duration, what: String, _ check: () throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = try check() { return value }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw PollTimeout(what: what)
    }
}

/// A condition polled for did not come true before its deadline.
public struct PollTimeout: Error, CustomStringConvertible {
    public var what: String
    public init(what: String) { self.what = what }
    public var description: String { "Timed out waiting for \(what)." }
}

/// Bytes a child process wrote, appended from its pipe's reader thread.
public final class OutputBuffer: Sendable {
    private let data = Mutex(Data())

    /// An empty buffer.
    public init() {}

    /// Reads `handle` to its end on a thread of its own, appending as bytes arrive; `group` is left when it ends.
    ///
    /// Reads with `read(2)` and retries on EINTR: Foundation's `availableData` traps on an interrupted read. The
    /// thread is not Dispatch's: a read blocked for the life of a server would hold one of its shared threads.
    public func drain(_ handle: FileHandle, group: DispatchGroup? = nil) {
        group?.enter()
        let descriptor = handle.fileDescriptor
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count > 0 {
                    let chunk = Data(buffer[..<count])
                    self.data.withLock { $0.append(chunk) }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            group?.leave()
        }
    }

    /// Everything written so far, as text.
    public var text: String { String(decoding: data.withLock { $0 }, as: UTF8.self) }
}
