import CourierServer
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Somewhere text goes: standard output, standard error, or a buffer in tests.
public protocol TextSink: Sendable {
    /// Writes `text` as is (callers add the newlines).
    func write(_ text: String)
}

/// A file descriptor of this process, written unbuffered.
public struct FileDescriptorSink: TextSink {
    public static let standardOutput = FileDescriptorSink(descriptor: 1)
    public static let standardError = FileDescriptorSink(descriptor: 2)

    private let descriptor: Int32

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    public func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// The process's environment variables and the files the CLI reads and writes, injected so
/// tests never touch the real home directory.
public struct CLIEnvironment: Sendable {
    /// Environment variables (`COURIER_SERVER`, `COURIER_TOKEN`, `COURIER_DATA_DIR`, `XDG_CONFIG_HOME`, `HOME`).
    public var variables: [String: String]
    /// The home directory, used when neither `XDG_CONFIG_HOME` nor `HOME` is set.
    public var fallbackHomeDirectory: String

    public init(variables: [String: String], fallbackHomeDirectory: String = NSHomeDirectory()) {
        self.variables = variables
        self.fallbackHomeDirectory = fallbackHomeDirectory
    }

    /// The environment of this process.
    public static var process: CLIEnvironment {
        CLIEnvironment(variables: ProcessInfo.processInfo.environment)
    }

    /// A variable's value, treating an empty value as unset.
    public func variable(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// `$XDG_CONFIG_HOME/courier/config.json`, else `$HOME/.config/courier/config.json`.
    public var configFile: URL {
        let configHome =
            variable("XDG_CONFIG_HOME").map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? URL(fileURLWithPath: variable("HOME") ?? fallbackHomeDirectory, isDirectory: true)
            .appendingPathComponent(".config", isDirectory: true)
        return configHome.appendingPathComponent("courier", isDirectory: true).appendingPathComponent("config.json")
    }
}

/// Everything a command touches outside itself: output streams, environment, network, server.
public struct CommandContext: Sendable {
    /// Where data goes.
    public var standardOutput: any TextSink
    /// Where errors and notes go.
    public var standardError: any TextSink
    public var environment: CLIEnvironment
    /// How the API client reaches the server.
    public var transport: any HTTPTransport
    /// Runs `courier serve` (``CourierServerMain/run(_:)`` outside tests).
    public var serve: @Sendable (ServeOptions) async -> Int32

    public init(
        standardOutput: any TextSink,
        standardError: any TextSink,
        environment: CLIEnvironment,
        transport: any HTTPTransport,
        serve: @escaping @Sendable (ServeOptions) async -> Int32
    ) {
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.environment = environment
        self.transport = transport
        self.serve = serve
    }

    /// The real process: its standard streams and environment, URLSession, the real server.
    public static var live: CommandContext {
        CommandContext(
            standardOutput: FileDescriptorSink.standardOutput,
            standardError: FileDescriptorSink.standardError,
            environment: .process,
            transport: URLSessionTransport(),
            serve: { options in await CourierServerMain.run(options) }
        )
    }
}
