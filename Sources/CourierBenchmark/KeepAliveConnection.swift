import Foundation

/// A minimal HTTP/1.1 client connection on a blocking loopback socket, kept alive across requests.
///
/// The load generator of the closed-loop scenarios: URLSession on Linux spends about three times the server's CPU on
/// each small request, so with it the benchmark would measure itself. Used from one thread at a time; responses
/// must carry `Content-Length` (every Courier answer the benchmark reads does). Unchecked `Sendable`: a connection is
/// handed from thread to thread, by ``ConnectionPool`` or a closed-loop worker, but only ever used by one at a time.
final class KeepAliveConnection: @unchecked Sendable {
    private let port: UInt16
    private var socket: Int32 = -1
    private var buffer = [UInt8]()

    /// A connection to `127.0.0.1:port`, opened on first use.
    init(port: Int) { self.port = UInt16(port) }

    deinit { if socket >= 0 { close(socket) } }

    /// Sends one request and reads its response; reconnects once if the server closed an idle connection.
    func send(_ method: String, _ path: String, token: String, body: Data = Data()) throws -> (status: Int, body: Data) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        var request = Data(head.utf8)
        request.append(body)
        let reused = socket >= 0
        do {
            try connectIfNeeded()
            try write(request)
            return try readResponse(method: method)
        } catch ConnectionClosed.beforeResponse where reused {
            disconnect()
            try connectIfNeeded()
            try write(request)
            return try readResponse(method: method)
        }
    }

    private enum ConnectionClosed: Error {
        case beforeResponse
    }

    private func connectIfNeeded() throws {
        guard socket < 0 else { return }
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Self.systemError("socket") }
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Self.systemError("connect to 127.0.0.1:\(port)")
        }
        socket = descriptor
        buffer.removeAll(keepingCapacity: true)
    }

    private func disconnect() {
        if socket >= 0 { close(socket) }
        socket = -1
        buffer.removeAll(keepingCapacity: true)
    }

    private func write(_ data: Data) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    disconnect()
                    throw ConnectionClosed.beforeResponse
                }
                offset += written
            }
        }
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw Self.systemError("recv") }
            buffer.append(contentsOf: chunk[..<count])
            return count > 0
        }
    }

    private func readResponse(method: String) throws -> (status: Int, body: Data) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = buffer.firstRange(of: separator)?.upperBound
            guard headerEnd == nil else { break }
            guard try fill() else {
                let partial = !buffer.isEmpty
                disconnect()
                if partial { throw BenchmarkError("The server closed the connection in the middle of a response.") }
                throw ConnectionClosed.beforeResponse
            }
        }
        let headerLength = headerEnd ?? 0
        let header = String(decoding: buffer[..<headerLength], as: UTF8.self)
        let lines = header.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."),
            let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else { throw BenchmarkError("Unreadable response from the server: \(header.prefix(200))") }
        var contentLength: Int?
        var closes = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            switch parts[0].lowercased() {
            case "content-length": contentLength = Int(value)
            case "connection": closes = value.lowercased() == "close"
            case "transfer-encoding": throw BenchmarkError("The benchmark's client reads no chunked responses (\(method)).")
            default: break
            }
        }
        let length = method == "HEAD" || status == 204 || status == 304 ? 0 : (contentLength ?? 0)
        while buffer.count < headerLength + length {
            guard try fill() else {
                disconnect()
                throw BenchmarkError("The server closed the connection in the middle of a response body.")
            }
        }
        let body = Data(buffer[headerLength..<(headerLength + length)])
        buffer.removeSubrange(..<(headerLength + length))
        if closes { disconnect() }
        return (status, body)
    }

    private static func systemError(_ operation: String) -> BenchmarkError {
        BenchmarkError("Cannot \(operation): \(String(cString: strerror(errno))).")
    }
}

/// Runs blocking work on a thread of its own, so that it never holds one of Swift's few cooperative threads.
func onDedicatedThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}

/// Idle keep-alive connections to one port, lent to one request at a time.
final class ConnectionPool: Sendable {
    private let port: Int
    private let idle = Shared<[KeepAliveConnection]>([])

    /// An empty pool of connections to `127.0.0.1:port`.
    init(port: Int) { self.port = port }

    /// Runs `body` on a thread of its own with an idle connection, or a new one; the connection goes back afterwards.
    func withConnection<Value: Sendable>(_ body: @escaping @Sendable (KeepAliveConnection) throws -> Value) async throws -> Value {
        let connection = idle.withLock { $0.popLast() } ?? KeepAliveConnection(port: port)
        let value = try await onDedicatedThread { try body(connection) }
        idle.withLock { $0.append(connection) }
        return value
    }
}
