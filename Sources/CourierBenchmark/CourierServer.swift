import Foundation

/// Why the benchmark stopped; the message says what to do.
public struct BenchmarkError: Error, CustomStringConvertible {
    /// One or two sentences for the terminal.
    public var description: String

    /// An error with `description`.
    public init(_ description: String) { self.description = description }
}

/// A `courier serve` child process on `127.0.0.1:0` and a temporary data directory, stopped and cleaned up by
/// ``CourierServer/run(binary:environment:_:)`` whatever happens.
public final class CourierServer: Sendable {
    /// `http://127.0.0.1:PORT`, from the readiness line.
    public let baseURL: String
    /// The TCP port from `baseURL`.
    public var port: Int { URLComponents(string: baseURL)?.port ?? 0 }
    /// The owner token the first start wrote to the data directory.
    public let ownerToken: String
    /// The server's process id, for reading `/proc/<pid>/status`.
    public let processIdentifier: Int32

    private init(process: Process, baseURL: String, ownerToken: String) {
        self.baseURL = baseURL
        self.ownerToken = ownerToken
        processIdentifier = process.processIdentifier
    }

    /// The `courier` executable beside the running benchmark, where `swift build` puts both products.
    public static func binaryBesideBenchmark() throws -> URL {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let binary = executable.deletingLastPathComponent().appendingPathComponent("courier")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchmarkError(
                "No courier executable at \(binary.path). Build it beside the benchmark: swift build -c release --product courier."
            )
        }
        return binary
    }

    /// Starts a server, waits (up to 30 s) for its readiness line, runs `body`, then stops the server (SIGTERM, then
    /// SIGKILL after 15 s) and removes its data directory, also when starting or `body` fails.
    ///
    /// - Parameters:
    ///   - arguments: more `courier serve` arguments, e.g. `--database postgres://…`.
    ///   - ownerToken: the owner token, for a server that does not bootstrap (a replica joining a database that
    ///     another replica bootstrapped); otherwise it is read from the data directory.
    public static func run<T: Sendable>(
        binary: URL,
        environment: [String: String] = [:],
        arguments: [String] = [],
        ownerToken: String? = nil,
        _ body: (CourierServer) async throws -> T
    ) async throws -> T {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("courier-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let standardOutput = dataDirectory.appendingPathComponent("serve.out")
        let standardError = dataDirectory.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: standardOutput.path, contents: nil)
        _ = FileManager.default.createFile(atPath: standardError.path, contents: nil)

        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDirectory.appendingPathComponent("data").path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, chosen in chosen }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: standardOutput)
        process.standardError = try FileHandle(forWritingTo: standardError)
        try process.run()
        defer { stop(process) }

        let prefix = "courier listening on "
        let deadline = ContinuousClock.now + .seconds(30)
        var readiness: String?
        while readiness == nil {
            readiness = (try? String(contentsOf: standardOutput, encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
            guard readiness == nil else { break }
            guard process.isRunning, ContinuousClock.now < deadline else {
                let log = (try? String(contentsOf: standardError, encoding: .utf8)) ?? ""
                throw BenchmarkError("courier serve did not become ready within 30 s. Its log:\n\(log.suffix(2_000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let token =
            try ownerToken
            ?? String(contentsOf: dataDirectory.appendingPathComponent("data/owner.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = CourierServer(process: process, baseURL: readiness ?? "", ownerToken: token)
        do {
            return try await body(server)
        } catch {
            // The log goes with the data directory: keep the end of it with the error.
            let log = (try? String(contentsOf: standardError, encoding: .utf8)) ?? ""
            throw BenchmarkError("\(error)\nThe end of the log of courier serve at \(server.baseURL):\n\(log.suffix(3_000))")
        }
    }

    /// Starts `count` replicas sharing the PostgreSQL database at `database`, one after the other so that the first
    /// bootstraps it (the others get its owner token), runs `body` with all of them, then stops them all as `run` does.
    public static func runReplicas<T: Sendable>(
        _ count: Int,
        binary: URL,
        database: String,
        environment: [String: String],
        _ body: ([CourierServer]) async throws -> T
    ) async throws -> T {
        func start(after running: [CourierServer]) async throws -> T {
            guard running.count < count else { return try await body(running) }
            return try await run(
                binary: binary, environment: environment, arguments: ["--database", database], ownerToken: running.first?.ownerToken
            ) { server in try await start(after: running + [server]) }
        }
        return try await start(after: [])
    }

    /// SIGTERM, a bounded wait, then SIGKILL: the benchmark never leaves a server behind.
    private static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The server's memory figures from `/proc/<pid>/status`.
    public func memory() throws -> ProcessMemory { try ProcessMemory(pid: processIdentifier) }

    /// Resets the server's peak resident set size (VmHWM) to its current size, so that a scenario's peak is its own.
    /// Returns false when the kernel refuses (`/proc/<pid>/clear_refs` needs Linux 4.0 and the same user).
    @discardableResult
    public func resetPeakMemory() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/\(processIdentifier)/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    /// CPU seconds (user + system) the server has used so far.
    public func cpuSeconds() throws -> Double { try ProcessCPU.seconds(pid: processIdentifier) }
}

/// Resident memory of a process, in bytes.
public struct ProcessMemory: Sendable, Equatable {
    /// VmRSS: resident now.
    public var residentBytes: Int
    /// VmHWM: the peak resident size since start or the last reset.
    public var peakResidentBytes: Int

    /// Reads `/proc/<pid>/status`.
    public init(pid: Int32) throws {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        self.init(status: status)
    }

    /// Parses the text of a `/proc/<pid>/status` file; missing fields read as 0.
    public init(status: String) {
        func kilobytes(_ field: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") }
            return (line?.split(separator: " ").dropFirst().first).flatMap { Int($0) }.map { $0 * 1_024 } ?? 0
        }
        residentBytes = kilobytes("VmRSS")
        peakResidentBytes = kilobytes("VmHWM")
    }
}

/// CPU time of processes, to show whether the load generator or the server used the machine.
public enum ProcessCPU {
    /// User + system seconds of `pid`, from fields 14 and 15 of `/proc/<pid>/stat`.
    public static func seconds(pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name in parentheses may contain spaces: count fields after its closing parenthesis.
        guard let close = stat.lastIndex(of: ")") else { throw BenchmarkError("Unreadable /proc/\(pid)/stat.") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchmarkError("Unreadable /proc/\(pid)/stat.")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// User + system seconds of the benchmark process itself.
    public static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Busy seconds of all CPUs together since boot (everything but idle and I/O wait), from the `cpu` line of
    /// `/proc/stat`: with the servers' and the benchmark's own, it shows what the rest (PostgreSQL, other work) used.
    public static func machineBusySeconds() -> Double {
        let line = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("cpu ") }
        let ticks = line?.split(separator: " ").dropFirst().compactMap { Double($0) } ?? []
        guard ticks.count >= 5 else { return 0 }
        return (ticks.reduce(0, +) - ticks[3] - ticks[4]) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The 1-minute load average, from `/proc/loadavg`.
    public static func loadAverage() -> Double {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first).flatMap { Double($0) } ?? 0
    }
}
