import Foundation
import Synchronization

/// How important a log record is.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case trace, debug, info, warning, error

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }

    /// Parses `trace`, `debug`, `info`, `warning` or `error`.
    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = level
    }
}

/// One log line: a short constant message with its values in dotted metadata keys
/// (`request.id`, `http.status`, …).
public struct LogRecord: Sendable {
    public var timestamp: Date
    public var level: LogLevel
    public var message: String
    public var metadata: [String: String]
}

/// Where log records go. Implementations must be thread-safe.
public protocol LogHandler: Sendable {
    func write(_ record: LogRecord)
}

/// A value-type logger carrying its handler, minimum level and metadata.
///
/// Loggers are passed down explicitly (never global); `with(_:_:)` returns a copy stamped with
/// more metadata, e.g. the request id.
public struct Logger: Sendable {
    public var handler: any LogHandler
    public var level: LogLevel
    public var metadata: [String: String]

    public init(handler: any LogHandler, level: LogLevel = .info, metadata: [String: String] = [:]) {
        self.handler = handler
        self.level = level
        self.metadata = metadata
    }

    /// A logger that drops everything.
    public static var disabled: Logger { Logger(handler: NullLogHandler(), level: .error) }

    /// A copy with `key` set to `value` in its metadata.
    public func with(_ key: String, _ value: String) -> Logger {
        var copy = self
        copy.metadata[key] = value
        return copy
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        guard level >= self.level else { return }
        handler.write(
            LogRecord(
                timestamp: Date(),
                level: level,
                message: message(),
                metadata: self.metadata.merging(metadata) { _, new in new }
            )
        )
    }

    public func trace(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.trace, message(), metadata)
    }
    public func debug(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.debug, message(), metadata)
    }
    public func info(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.info, message(), metadata)
    }
    public func warning(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.warning, message(), metadata)
    }
    public func error(_ message: @autoclosure () -> String, _ metadata: [String: String] = [:]) {
        log(.error, message(), metadata)
    }
}

/// Drops every record.
public struct NullLogHandler: LogHandler {
    public init() {}
    public func write(_ record: LogRecord) {}
}

/// Writes one line per record to standard error:
/// `2026-12-04T15:24:42Z info Request handled http.status=200 request.id=…`.
public final class StreamLogHandler: LogHandler {
    private let lock = Mutex(())

    public init() {}

    public func write(_ record: LogRecord) {
        var line = "\(Self.timestamp(record.timestamp)) \(record.level) \(record.message)"
        for key in record.metadata.keys.sorted() {
            line += " \(key)=\(Self.quoted(record.metadata[key] ?? ""))"
        }
        line += "\n"
        lock.withLock { _ in
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    private static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
    }
}

/// Keeps records in memory, for tests that assert what was logged (and what was not).
public final class InMemoryLogHandler: LogHandler {
    private let storage = Mutex<[LogRecord]>([])

    public init() {}

    public func write(_ record: LogRecord) {
        storage.withLock { $0.append(record) }
    }

    /// Every record written so far.
    public var records: [LogRecord] { storage.withLock { $0 } }

    /// Every record rendered as one string: message and metadata values, for "never contains" checks.
    public var renderedText: String {
        records.map { record in
            ([record.message] + record.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
        }.joined(separator: "\n")
    }
}
