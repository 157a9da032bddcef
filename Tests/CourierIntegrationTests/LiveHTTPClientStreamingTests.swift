import CourierCore
import CourierHTTP
import CourierHTTPClient
import CourierIntegrationKit
import CourierLogging
import Foundation
import Synchronization
import Testing

/// A server on 127.0.0.1 that records every request's method, `Content-Length` and body and answers 201.
private final class BodyRecorder: HTTPResponder {
    struct Received: Sendable {
        var method: HTTPMethod
        var contentLength: String?
        var expect: String?
        var body: Data
    }

    let received = Mutex<[Received]>([])

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        received.withLock {
            $0.append(
                Received(
                    method: request.method, contentLength: request.headers["Content-Length"], expect: request.headers["Expect"],
                    body: request.body
                ))
        }
        return HTTPResponse(status: 201, body: Data("stored".utf8))
    }

    /// Runs `body` with the server listening (bodies up to 16 MiB); the server stops at the end, without waiting
    /// long for a request whose client gave up mid-body (the server keeps such a connection until its drain timeout).
    func serve<Result: Sendable>(_ body: @Sendable (_ url: URL) async throws -> Result) async throws -> Result {
        let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: 16 << 20, drainTimeout: .milliseconds(100))
        let server = try HTTPServer(configuration: configuration, responder: self, logger: .disabled)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            return try await body(URL(string: "http://127.0.0.1:\(server.port)/upload")!)
        }
    }
}

/// Yields `prefix` in chunks, then throws.
private final class FailingReader: ContentReader {
    struct StoreDown: Error, CustomStringConvertible {
        var description: String { "the store went away" }
    }

    let size: Int64
    private let prefix: ChunkedReader

    init(size: Int64, failingAfter prefix: Data) {
        self.size = size
        self.prefix = ChunkedReader(prefix, chunkSize: 64 << 10)
    }

    func nextChunk() throws -> Data? {
        guard let chunk = try prefix.nextChunk() else { throw StoreDown() }
        return chunk
    }

    func close() { prefix.close() }
}

/// The live client's answer to `request`, or its failure.
private func sendCapturingFailure(_ request: OutboundHTTPRequest) async -> Result<OutboundHTTPResponse, HTTPClientError> {
    do throws(HTTPClientError) {
        return .success(try await LiveHTTPClient().send(request))
    } catch {
        return .failure(error)
    }
}

@Suite struct LiveHTTPClientStreamingTests {
    @Test func aStreamedBodyArrivesWholeWithItsLength() async throws {
        let payload = patternedBytes(5 << 20 + 17)
        let recorder = BodyRecorder()
        let response = try await recorder.serve { url in
            // Chunks larger than libcurl's upload buffer, so that each is handed over in several pieces.
            let stream = HTTPBodyStream(length: Int64(payload.count)) { ChunkedReader(payload, chunkSize: 300_007) }
            return try await LiveHTTPClient().send(OutboundHTTPRequest(method: "PUT", url: url, body: .stream(stream), timeout: .seconds(60)))
        }
        #expect(response.status == 201 && response.body == Data("stored".utf8))
        let received = try #require(recorder.received.withLock { $0 }.first)
        #expect(received.method == .put)
        #expect(received.contentLength == String(payload.count))
        #expect(received.expect == nil)
        #expect(received.body.count == payload.count)
        #expect(received.body == payload)
    }

    @Test func anEmptyStreamIsAnEmptyBody() async throws {
        let recorder = BodyRecorder()
        let response = try await recorder.serve { url in
            try await LiveHTTPClient().send(
                OutboundHTTPRequest(method: "POST", url: url, body: .stream(HTTPBodyStream(Data())), timeout: .seconds(60)))
        }
        #expect(response.status == 201)
        #expect(recorder.received.withLock { $0.map(\.body) } == [Data()])
    }

    @Test func aReaderThatFailsMidBodyFailsTheRequest() async throws {
        let recorder = BodyRecorder()
        let outcome = try await recorder.serve { url in
            let stream = HTTPBodyStream(length: 4 << 20) { FailingReader(size: 4 << 20, failingAfter: patternedBytes(100_000)) }
            return await sendCapturingFailure(OutboundHTTPRequest(method: "POST", url: url, body: .stream(stream), timeout: .seconds(60)))
        }
        guard case .failure(.transportFailed(let message)) = outcome else {
            Issue.record("expected a transport failure, got \(outcome)")
            return
        }
        #expect(message.hasPrefix("sending the request body to 127.0.0.1:") && message.hasSuffix("failed: the store went away"))
        #expect(recorder.received.withLock { $0.isEmpty })
    }

    @Test func aStreamShorterThanItsLengthFailsTheRequest() async throws {
        let recorder = BodyRecorder()
        let outcome = try await recorder.serve { url in
            let stream = HTTPBodyStream(length: 10) { DataReader(Data("short".utf8)) }
            return await sendCapturingFailure(OutboundHTTPRequest(method: "POST", url: url, body: .stream(stream), timeout: .seconds(60)))
        }
        guard case .failure(.transportFailed(let message)) = outcome else {
            Issue.record("expected a transport failure, got \(outcome)")
            return
        }
        #expect(message.hasSuffix("failed: the body ended after 5 of its 10 bytes"))
    }
}
