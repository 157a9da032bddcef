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

/// Runs `courier` with `arguments` to completion.
public func runCourier(_ arguments: [String], environment: [String: String]) async throws -> CommandResult {
    try await runProgram(CourierBinary.url.path, arguments, environment: environment)
}

/// Runs `executable` with `arguments` and exactly `environment` to completion (up to 5 minutes).
public func runProgram(_ executable: String, _ arguments: [String], environment: [String: String]) async throws -> CommandResult {
    let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment)
    let status = try await child.waitForExit(timeout: .seconds(300))
    // The pipes reach end-of-file once the child and any descendants closed them.
    _ = try await ServerProcess.poll(timeout: .seconds(30), what: "the output of \(executable)") {
        child.standardOutput.isComplete && child.standardError.isComplete ? true : nil
    }
    return CommandResult(status: status, stdout: child.standardOutput.text, stderr: child.standardError.text)
}

/// A `courier serve` process on a free loopback port and a temporary data directory.
public final class ServerProcess: Sendable {
    public let process: ChildProcess
    public let dataDirectory: TemporaryDirectory
    public let home: TemporaryDirectory
    /// `http://127.0.0.1:PORT`, from the readiness line.
    public let url: String
    /// Starts the server and waits (up to 30 s) for its readiness line.
    public init(
        listen: String = "127.0.0.1:0",
        extraArguments: [String] = [],
        environment: [String: String] = [:],
        dataDirectory: TemporaryDirectory? = nil
    ) async throws {
        self.dataDirectory = try dataDirectory ?? TemporaryDirectory()
        home = try TemporaryDirectory()
        let process = try ChildProcess(
            executable: CourierBinary.url.path,
            arguments: ["serve", "--listen", listen, "--data-dir", self.dataDirectory.url.path] + extraArguments,
            environment: environment.merging(
                ["HOME": home.url.path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            ) { _, fixed in fixed }
        )
        self.process = process
        let stdoutBuffer = process.standardOutput
        let prefix = "courier listening on "
        let line = try await Self.poll(timeout: .seconds(30), what: "the readiness line") {
            stdoutBuffer.text
                .split(separator: "\n").first { $0.hasPrefix(prefix) }
                .map { String($0.dropFirst(prefix.count)) }
        }
        url = line
    }

    deinit {
        process.signal(SIGTERM)
    }

    /// Everything the server wrote to standard error so far.
    public var standardError: String { process.standardError.text }

    /// Everything the server wrote to standard output so far.
    public var standardOutput: String { process.standardOutput.text }

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
        process.signal(signal)
        return try await process.waitForExit(timeout: .seconds(30))
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
    private let complete = Mutex(false)

    /// Whether the writer closed its end and everything was read.
    public var isComplete: Bool { complete.withLock { $0 } }

    /// An empty buffer.
    public init() {}

    /// Reads `descriptor` to its end on a thread of its own, appending as bytes arrive, then closes it.
    ///
    /// Reads with `read(2)` and retries on EINTR. The thread is not Dispatch's: a read blocked for the life of a
    /// server would hold one of its shared threads.
    public func drain(_ descriptor: Int32) {
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
            close(descriptor)
            self.complete.withLock { $0 = true }
        }
    }

    /// Everything written so far, as text.
    public var text: String { String(decoding: data.withLock { $0 }, as: UTF8.self) }
}
