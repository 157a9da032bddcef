import Foundation

/// Sockets on 127.0.0.1 for tests and the benchmark, which start servers of their own.
public enum LoopbackSocket {
    /// A socket failed to open or bind.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's pick for port 0).
    public static func freePort() throws -> Int {
        let (descriptor, port) = try bound()
        close(descriptor)
        return port
    }

    /// A socket bound to a free port on 127.0.0.1 (close-on-exec, not yet listening), with that port.
    public static func bound() throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket() failed: \(String(cString: strerror(errno))).") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let isBound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard isBound else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Failure(description: "Cannot bind a loopback port: \(reason).")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
