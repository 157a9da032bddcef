import Glibc

/// A bound, listening IPv4 TCP socket, created before libmicrohttpd starts so that bind errors are clear and
/// `SO_REUSEADDR` is set (a restart right after a crash or `kill -9` can bind again at once).
enum ListeningSocket {
    /// Binds and listens; returns the descriptor and the port actually bound (useful with port 0).
    static func open(host: String, port: Int) throws(HTTPServerError) -> (descriptor: Int32, port: Int) {
        func failure(_ reason: String) -> HTTPServerError { .cannotListen(host: host, port: port, reason: reason) }

        guard (0...Int(UInt16.max)).contains(port) else { throw failure("the port must be between 0 and 65535") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw failure("the host must be an IPv4 address such as 127.0.0.1 or 0.0.0.0")
        }

        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure(lastErrorReason()) }
        var reuse: Int32 = 1
        let addressSize = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size)) == 0,
            withUnsafePointer(to: &address, { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, addressSize) }
            }) == 0,
            listen(descriptor, SOMAXCONN) == 0
        else {
            let reason = lastErrorReason()
            close(descriptor)
            throw failure(reason)
        }

        var boundAddress = sockaddr_in()
        var boundSize = addressSize
        _ = withUnsafeMutablePointer(to: &boundAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &boundSize) }
        }
        return (descriptor, Int(UInt16(bigEndian: boundAddress.sin_port)))
    }

    /// `strerror(errno)` with a lowercase first letter, to read well inside a sentence.
    private static func lastErrorReason() -> String {
        let message = String(cString: strerror(errno))
        return message.prefix(1).lowercased() + message.dropFirst()
    }
}
