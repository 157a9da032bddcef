import CourierCrypto
import CourierHTTP
import Foundation
import FoundationNetworking
import Glibc
import Synchronization
import Testing

/// A router with streaming routes: `PUT /hash` hashes the body chunk by chunk, `PUT /slow` reads one chunk and then
/// waits for `gate` before reading the rest, `PUT /small` has a 1 MiB limit, `GET /file` streams `file`.
private func streamingRouter(gate: Gate = Gate(), file: URL? = nil, failures: ErrorLog = ErrorLog()) -> Router {
    var router = Router(errorResponse: { error, _ in HTTPResponse(status: 500, body: Data("\(error)".utf8)) })
    router.addStreaming(.put, "/hash", bodyLimit: 64 << 20) { _, body in
        var hasher = SHA256.Hasher()
        var chunks = 0
        for try await chunk in body {
            chunks += 1
            hasher.update(chunk)
        }
        return HTTPResponse(status: 200, body: Data("\(chunks) \(hasher.finalize().hexString)".utf8))
    }
    router.addStreaming(.put, "/slow", bodyLimit: 256 << 20) { _, body in
        var iterator = body.makeAsyncIterator()
        var bytes = try await iterator.next()?.count ?? 0
        await gate.wait()
        while let chunk = try await iterator.next() { bytes += chunk.count }
        return HTTPResponse(status: 200, body: Data("\(bytes)".utf8))
    }
    router.addStreaming(.put, "/small", bodyLimit: 1 << 20) { _, body in
        do {
            for try await _ in body {}
        } catch {
            failures.record(error)
            throw error
        }
        return HTTPResponse(status: 200)
    }
    router.add(.get, "/file") { _ in
        guard let file, let source = FileBodySource(file) else { return HTTPResponse(status: 404) }
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], length: source.length, source: source)
    }
    return router
}

/// Errors a handler saw, in order.
private final class ErrorLog: Sendable {
    private let entries = Mutex<[String]>([])

    func record(_ error: any Error) { entries.withLock { $0.append("\(error)") } }

    var descriptions: [String] { entries.withLock { $0 } }
}

/// Reads a file in 64 KiB chunks.
///
/// `@unchecked Sendable`: the server calls a source from one connection's thread, one call at a time.
private final class FileBodySource: HTTPBodySource, @unchecked Sendable {
    let handle: FileHandle
    let length: Int64

    init?(_ url: URL) {
        guard let handle = try? FileHandle(forReadingFrom: url), let end = try? handle.seekToEnd() else { return nil }
        try? handle.seek(toOffset: 0)
        self.handle = handle
        self.length = Int64(end)
    }

    func nextChunk() throws -> Data? {
        let chunk = try handle.read(upToCount: 64 << 10) ?? Data()
        return chunk.isEmpty ? nil : chunk
    }

    func close() { try? handle.close() }
}

/// `count` bytes of a repeating, position-dependent pattern.
private func patternedData(count: Int) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) })
}

@Suite(.timeLimit(.minutes(2))) struct StreamingBodyTests {
    @Test func aLargeUploadReachesTheHandlerInManyChunks() async throws {
        let payload = patternedData(count: 20 << 20)
        try await withRunningServer(responder: streamingRouter()) { server in
            var request = URLRequest(url: url(server, "/hash"))
            request.httpMethod = "PUT"
            let (body, response) = try await session.upload(for: request, from: payload)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let parts = body.text.split(separator: " ")
            #expect(parts.count == 2)
            #expect(Int(parts.first ?? "") ?? 0 > 100, "a 20 MB body arrives in many chunks, not one buffer")
            #expect(parts.last.map(String.init) == SHA256.hex(payload))
        }
    }

    @Test func aSlowHandlerPausesTheClientInsteadOfBufferingTheBody() async throws {
        let gate = Gate()
        let total = 96 << 20
        try await withRunningServer(responder: streamingRouter(gate: gate)) { server in
            let connection = try await onDedicatedThread { try RawHTTPConnection(port: server.port) }
            // While the handler waits at the gate, write until the connection stops taking bytes for half a second.
            let accepted = try await onDedicatedThread {
                var sendBuffer: Int32 = 64 << 10
                setsockopt(connection.descriptor, SOL_SOCKET, SO_SNDBUF, &sendBuffer, socklen_t(MemoryLayout<Int32>.size))
                var timeout = timeval(tv_sec: 0, tv_usec: 500_000)
                setsockopt(connection.descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                connection.write("PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Length: \(total)\r\n\r\n")
                return try writeZeros(to: connection.descriptor, count: total, stopWhenBlocked: true)
            }
            #expect(accepted < total / 4, "the server took \(accepted) of \(total) bytes while its handler was not reading")
            gate.open()
            let response = try await onDedicatedThread {
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(connection.descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                _ = try writeZeros(to: connection.descriptor, count: total - accepted, stopWhenBlocked: false)
                return try connection.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.body.text == String(total), "every byte reached the handler once the gate opened")
        }
    }

    @Test func aStreamedBodyOverTheRouteLimitIs413MidStream() async throws {
        let failures = ErrorLog()
        try await withRunningServer(responder: streamingRouter(failures: failures)) { server in
            let response = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                connection.write("PUT /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                let chunk = Data(repeating: 0x61, count: 256 << 10)
                for _ in 0..<8 { connection.write(Data("40000\r\n".utf8) + chunk + Data("\r\n".utf8)) }
                connection.write("0\r\n\r\n")
                return try connection.readResponse()
            }
            #expect(response.status == 413)
            #expect(response.body.text.contains(#""code":"payload_too_large""#))
            let declared = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                connection.write("PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: \(2 << 20)\r\n\r\n")
                return try connection.readResponse()
            }
            #expect(declared.status == 413, "a declared length over the route's limit is refused before the body")
        }
        #expect(failures.descriptions == [HTTPRequestBodyError.tooLarge(limit: 1 << 20).description])
    }

    @Test func aStreamingRouteCalledInProcessGetsTheBodyAsOneChunk() async throws {
        let router = streamingRouter()
        let payload = patternedData(count: 1000)
        let response = await router.respond(to: HTTPRequest(method: .put, path: "/hash", body: payload))
        #expect(response.body.text == "1 \(SHA256.hex(payload))")
        #expect(router.bodyMode(method: .put, rawPath: "/hash") == .streamed(limit: 64 << 20))
        #expect(router.bodyMode(method: .get, rawPath: "/file") == .buffered)
    }
}

@Suite(.timeLimit(.minutes(2))) struct StreamedResponseTests {
    @Test func aFileIsDownloadedByteForByte() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("courier-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("payload")
        let payload = patternedData(count: (5 << 20) + 12345)
        try payload.write(to: file)
        try await withRunningServer(responder: streamingRouter(file: file)) { server in
            let (status, response, body) = try await send(URLRequest(url: url(server, "/file")))
            #expect(status == 200)
            #expect(response.value(forHTTPHeaderField: "Content-Length") == String(payload.count))
            #expect(body == payload)

            let head = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                connection.write("HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n")
                return try connection.readHead()
            }
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == String(payload.count))
        }
    }
}

/// Writes `count` zero bytes; with `stopWhenBlocked`, stops at the first write that times out. Returns the bytes written.
private func writeZeros(to descriptor: Int32, count: Int, stopWhenBlocked: Bool) throws -> Int {
    let block = [UInt8](repeating: 0, count: 64 << 10)
    var written = 0
    while written < count {
        let result = block.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, min($0.count, count - written), Int32(MSG_NOSIGNAL)) }
        if result > 0 {
            written += result
        } else if stopWhenBlocked && (errno == EAGAIN || errno == EWOULDBLOCK) {
            return written
        } else if errno != EINTR {
            throw RawHTTPError(description: "send failed after \(written) bytes: errno \(errno)")
        }
    }
    return written
}
