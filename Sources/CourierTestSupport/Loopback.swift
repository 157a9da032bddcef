import CourierLocalServers
import Foundation

/// Free loopback ports, from `CourierLocalServers`, which the benchmark shares.
public typealias LoopbackSocket = CourierLocalServers.LoopbackSocket

/// A loopback port that refuses connections for as long as this value lives: its socket is bound but never listens,
/// so nothing else can take the port meanwhile (a port merely found free can be taken by another test's server).
public final class RefusingPort: Sendable {
    /// The port; connecting to 127.0.0.1 on it is refused.
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        (descriptor, port) = try LoopbackSocket.bound()
    }

    deinit { close(descriptor) }
}
