import CourierAPI
import CourierCore
import CourierCrypto
import CourierHTTP
import CourierLogging
import CourierSQLite
import CourierStorage
import Dispatch
import Foundation

/// Runs `courier serve`: the composition root that builds every component and serves until a
/// stop signal.
public enum CourierServerMain {
    /// Starts the server, prints the readiness line, serves until SIGTERM or SIGINT, then returns 0.
    /// Start-up failures print one sentence to standard error and return 1.
    public static func run(_ options: ServeOptions) async -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let level = environment["COURIER_LOG_LEVEL"].flatMap(LogLevel.init(name:)) ?? .info
        let logger = Logger(handler: StreamLogHandler(), level: level)
        do {
            let configuration = try ServerConfiguration(options: options, environment: environment)
            try await serve(configuration, logger: logger)
            return 0
        } catch let error as CourierError {
            printError(error.message)
        } catch {
            printError("\(error)")
        }
        return 1
    }

    /// Builds the application and serves until a stop signal arrives.
    static func serve(_ configuration: ServerConfiguration, logger: Logger) async throws {
        let stopSignals = StopSignals()
        let application = try await Application.start(configuration, logger: logger)
        FileHandle.standardOutput.write(Data("courier listening on http://\(configuration.host):\(application.server.port)\n".utf8))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.server.run() }
            group.addTask { await application.engine.run() }
            group.addTask { await stopSignals.next() }
            try await group.next()
            group.cancelAll()
            try await group.waitForAll()
        }
        logger.info("Stopped")
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
    }
}

/// SIGTERM and SIGINT, delivered as an async event instead of killing the process.
///
/// `@unchecked Sendable`: `sources` is written once in `init` and only kept alive afterwards; dispatch sources are
/// thread-safe, and the stream is `Sendable`.
final class StopSignals: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    /// Returns when the first stop signal arrives.
    func next() async {
        for await _ in stream { return }
    }
}
