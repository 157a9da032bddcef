import CourierHTTP
import CourierLogging
import Foundation
import FoundationNetworking
import Glibc
import Synchronization
import Testing

/// A one-shot latch: `wait()` returns once `open()` has been called. The wait ignores cancellation, like a
/// handler blocked on slow I/O would.
final class Gate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let alreadyOpen = state.withLock { state in
                if !state.isOpen { state.waiters.append(continuation) }
                return state.isOpen
            }
            if alreadyOpen { continuation.resume() }
        }
    }
}

/// A responder made of a closure.
struct ClosureResponder: HTTPResponder {
    let handler: @Sendable (HTTPRequest) async -> HTTPResponse
    func respond(to request: HTTPRequest) async -> HTTPResponse { await handler(request) }
}

/// Starts a server on 127.0.0.1 and a free port, runs `body` against it, then cancels `run()` and waits for it.
func withRunningServer<Result: Sendable>(
    _ configuration: HTTPServerConfiguration = HTTPServerConfiguration(host: "127.0.0.1", port: 0),
    logger: Logger = .disabled,
    responder: any HTTPResponder,
    _ body: @Sendable (HTTPServer) async throws -> Result
) async throws -> Result {
    let server = try HTTPServer(configuration: configuration, responder: responder, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        let result = try await body(server)
        group.cancelAll()
        try await group.waitForAll()
        return result
    }
}

let session = URLSession(configuration: .ephemeral)

func url(_ server: HTTPServer, _ pathAndQuery: String) -> URL {
    URL(string: "http://127.0.0.1:\(server.port)\(pathAndQuery)")!
}

/// Sends `request` and returns the status, the response and its body.
func send(_ request: URLRequest) async throws -> (status: Int, response: HTTPURLResponse, body: Data) {
    let (body, response) = try await session.data(for: request)
    let httpResponse = try #require(response as? HTTPURLResponse)
    return (httpResponse.statusCode, httpResponse, body)
}

/// Runs blocking work on its own thread, so that it never blocks Swift's small cooperative pool.
func onDedicatedThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
    }
}

struct RawHTTPError: Error, CustomStringConvertible {
    var description: String
}

/// A parsed HTTP/1.1 response read off a raw socket.
struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: Data
}

/// A blocking TCP client for what URLSession cannot do: bad framing, huge headers, chunked bodies, keep-alive checks.
/// Use it only inside `onDedicatedThread`.
///
/// `@unchecked Sendable`: a test may carry one connection across several `onDedicatedThread` calls, but it awaits
/// each call before the next, so only one thread uses the connection at a time and the awaits order the accesses.
final class RawHTTPConnection: @unchecked Sendable {
    let descriptor: Int32
    private var buffer = Data()

    /// Connects to 127.0.0.1:`port`; throws when the connection is refused.
    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(descriptor)
            throw RawHTTPError(description: "connect failed: errno \(code)")
        }
    }

    deinit { close(descriptor) }

    /// Writes all of `text`; returns false if the peer closed the connection midway.
    @discardableResult
    func write(_ bytes: Data) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
    }

    @discardableResult
    func write(_ text: String) -> Bool { write(Data(text.utf8)) }

    /// Reads one response framed by Content-Length.
    func readResponse() throws -> RawResponse {
        try readResponse(hasBody: true)
    }

    /// Reads the status line and headers of a response that has no body, such as the answer to `HEAD`.
    func readHead() throws -> RawResponse {
        try readResponse(hasBody: false)
    }

    private func readResponse(hasBody: Bool) throws -> RawResponse {
        let separator = Data("\r\n\r\n".utf8)
        while buffer.firstRange(of: separator) == nil { try fill() }
        let headerEnd = buffer.firstRange(of: separator)!
        let head = String(decoding: buffer[..<headerEnd.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawHTTPError(description: "bad status line: \(head)") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = hasBody ? Int(headers["content-length"] ?? "0") ?? 0 : 0
        buffer.removeSubrange(..<headerEnd.upperBound)
        while buffer.count < length { try fill() }
        let body = buffer.prefix(length)
        buffer.removeSubrange(..<(buffer.startIndex + length))
        return RawResponse(status: status, headers: headers, body: Data(body))
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(descriptor, &chunk, chunk.count, 0)
        guard count > 0 else { throw RawHTTPError(description: "connection ended (recv \(count), errno \(errno))") }
        buffer.append(contentsOf: chunk[..<count])
    }
}

/// True if nothing listens on 127.0.0.1:`port` any more.
func isConnectionRefused(port: Int) async throws -> Bool {
    try await onDedicatedThread {
        do {
            _ = try RawHTTPConnection(port: port)
            return false
        } catch {
            return true
        }
    }
}

extension Data {
    var text: String { String(decoding: self, as: UTF8.self) }
}
