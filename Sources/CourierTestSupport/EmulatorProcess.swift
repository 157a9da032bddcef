import CourierHTTPClient
import CourierIntegrationKit
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A storage emulator from the repository's `.venv` (installed by `scripts/install-test-servers`), running on a free
/// loopback port until ``stop()`` or, at the latest, until it is released; its output goes to a log file that
/// failures can show.
public final class EmulatorProcess: Sendable {
    /// The repository root, found from this file's path.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The loopback port it listens on.
    public let port: Int
    /// Where its output goes.
    public let logURL: URL
    private let process: Process

    /// The base URL, `http://127.0.0.1:<port>`.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Starts `.venv/bin/<executable>` with `arguments(port)` and `environment`, and waits until `readinessPath`
    /// answers (any status) or `deadline` passes.
    public init(
        _ executable: String, arguments: (Int) -> [String], environment: [String: String] = [:], readinessPath: String,
        deadline: Duration = .seconds(60)
    ) async throws {
        let path = Self.repositoryRoot.appending(path: ".venv/bin/\(executable)").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw EmulatorError("\(path) is missing; run scripts/install-test-servers")
        }
        port = try LoopbackSocket.freePort()
        logURL = FileManager.default.temporaryDirectory.appending(path: "courier-\(executable)-\(port).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments(port)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        do {
            try await waitUntilReady(path: readinessPath, deadline: deadline)
        } catch {
            await stop()
            throw error
        }
    }

    /// Kills an emulator a test forgot to stop, without waiting.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Kills the emulator and waits, polling, until it has exited. SIGKILL, because a child of the test process
    /// inherits its blocked signals (SIGTERM and SIGINT would wait), and the emulators keep nothing worth flushing.
    public func stop() async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// What the emulator logged, for failure messages.
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Polls `path` until it answers 2xx while the emulator still runs, or the deadline passes. The port was free
    /// when it was chosen, but another test's server may take it before the emulator binds it (the emulator then
    /// exits): any other answer, or one from a port the emulator no longer holds, is not readiness.
    private func waitUntilReady(path: String, deadline: Duration) async throws {
        let client = LiveHTTPClient()
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            guard process.isRunning else { throw EmulatorError("the emulator exited early: \(log)") }
            let probe = OutboundHTTPRequest(method: "GET", url: baseURL.appending(path: path), timeout: .seconds(2))
            if let answer = try? await client.send(probe), answer.isSuccess, process.isRunning { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EmulatorError("the emulator did not answer within \(deadline): \(log)")
    }
}

/// An emulator could not be started.
public struct EmulatorError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
