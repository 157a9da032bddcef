import CourierServer
import CourierWire
import Foundation
import Synchronization

@testable import CourierCLI

/// A ``TextSink`` that keeps what is written.
final class CapturedOutput: TextSink {
    private let buffer = Mutex("")

    func write(_ text: String) {
        buffer.withLock { $0 += text }
    }

    var text: String { buffer.withLock { $0 } }
}

/// An ``HTTPTransport`` that records requests and answers from a table of canned responses.
final class FakeTransport: HTTPTransport {
    private struct State {
        var responses: [String: Result<TransportResponse, TransportError>] = [:]
        var requests: [TransportRequest] = []
    }

    private let state = Mutex(State())

    /// Answers `method path` (path without the query) with `status` and `body` encoded by `Wire.encoder`.
    func respond(_ method: String, _ path: String, status: Int = 200, json body: some Encodable) {
        let data = (try? Wire.encoder.encode(body)) ?? Data()
        respond(method, path, with: .success(TransportResponse(status: status, body: data)))
    }

    /// Answers `method path` with `result`.
    func respond(_ method: String, _ path: String, with result: Result<TransportResponse, TransportError>) {
        state.withLock { $0.responses["\(method) \(path)"] = result }
    }

    var requests: [TransportRequest] { state.withLock { $0.requests } }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        let result = state.withLock { state in
            state.requests.append(request)
            return state.responses["\(request.method) \(request.url.path)"]
                ?? .success(TransportResponse(status: 404, body: Data(#"{"error":{"code":"not_found","message":"No route."}}"#.utf8)))
        }
        return try result.get()
    }
}

/// What a run of the command line produced.
struct RunResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs `courier` in process with captured output, a fake transport, a temporary home directory and chosen
/// environment variables; records the options `courier serve` was called with.
final class Harness: Sendable {
    let transport = FakeTransport()
    let home: URL
    let servedOptions = Mutex<[ServeOptions]>([])
    let serveStatus: Int32

    init(serveStatus: Int32 = 0) {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("courier-cli-tests-\(UUID().uuidString)", isDirectory: true)
        self.serveStatus = serveStatus
        try? FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: home)
    }

    /// `$HOME/.config/courier/config.json` of the temporary home.
    var configFile: URL {
        home.appendingPathComponent(".config/courier/config.json")
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) async -> RunResult {
        let output = CapturedOutput()
        let error = CapturedOutput()
        let context = CommandContext(
            standardOutput: output,
            standardError: error,
            environment: CLIEnvironment(variables: ["HOME": home.path].merging(environment) { _, given in given }, fallbackHomeDirectory: home.path),
            transport: transport,
            serve: { [self] options in
                servedOptions.withLock { $0.append(options) }
                return serveStatus
            }
        )
        let status = await CourierCommand.run(arguments: arguments, context: context)
        return RunResult(status: status, standardOutput: output.text, standardError: error.text)
    }

    /// Runs `arguments` with `--token secret` appended.
    func runAuthenticated(_ arguments: [String]) async -> RunResult {
        await run(arguments + ["--token", "courier_secret"])
    }
}

/// 2026-12-04 15:24:42 UTC.
let sampleDate = Date(timeIntervalSince1970: 1_796_397_882)

func decodeJSON<Value: Decodable>(_ type: Value.Type, _ text: String) throws -> Value {
    try Wire.decoder.decode(Value.self, from: Data(text.utf8))
}
