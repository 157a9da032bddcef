import CourierIntegrationKit
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which destinations integrations may reach (product spec §7): link-local and cloud-metadata addresses are refused
/// unless allowed, and operators may allow or deny more blocks. Loopback and private ranges stay reachable by default,
/// so local sinks and on-premises services work.
///
/// A destination is checked address by address, after resolving its host: an address in ``denied`` is refused; else
/// one in ``allowed`` passes; else one in ``blockedByDefault`` is refused; anything else passes. One refused address
/// refuses the destination, so a name cannot smuggle a metadata address in among public ones.
public struct EgressPolicy: Sendable, Hashable {
    /// Refused unless allowed: IPv4 and IPv6 link-local (which hold AWS, GCP and Azure metadata at 169.254.169.254)
    /// and AWS's IPv6 metadata address.
    public static let blockedByDefault: [CIDRBlock] = ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254"]
    /// Cloud-metadata host names, refused by name before any lookup.
    public static let blockedHostNames: Set<String> = ["metadata.google.internal"]

    /// Blocks let through even though ``blockedByDefault`` covers them, e.g. `169.254.10.0/24` for a link-local
    /// service an operator trusts.
    public var allowed: [CIDRBlock]
    /// Blocks always refused, whatever ``allowed`` says, e.g. `10.0.0.0/8`.
    public var denied: [CIDRBlock]

    /// A policy with the default blocks plus the operator's lists.
    public init(allowed: [CIDRBlock] = [], denied: [CIDRBlock] = []) {
        self.allowed = allowed
        self.denied = denied
    }

    /// Why connecting to `host` at `address` is refused, or `nil` when it is allowed.
    public func refusal(host: String, address: IPAddress) -> String? {
        if let block = denied.first(where: { $0.contains(address) }) {
            return "Refusing to connect to \(Self.destination(host, address)): the address is in the egress deny list (\(block))"
        }
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        guard let block = Self.blockedByDefault.first(where: { $0.contains(address) }) else { return nil }
        return "Refusing to connect to \(Self.destination(host, address)): link-local and cloud-metadata addresses are blocked; "
            + "allow it with an egress allow-list entry (COURIER_EGRESS_ALLOW) such as \(address.unmapped)/\(block.network.isIPv4 ? 32 : 128)"
    }

    /// Why `host` is refused by name, or `nil`.
    public func refusal(host: String) -> String? {
        let name = host.lowercased().hasSuffix(".") ? String(host.lowercased().dropLast()) : host.lowercased()
        guard Self.blockedHostNames.contains(name) else { return nil }
        return "Refusing to connect to \(host): link-local and cloud-metadata addresses are blocked; "
            + "allow its address with an egress allow-list entry (COURIER_EGRESS_ALLOW) and use the address instead of the name"
    }

    private static func destination(_ host: String, _ address: IPAddress) -> String {
        IPAddress(host) == nil ? "\(host) (\(address))" : "\(address)"
    }
}

/// Resolves host names to addresses; injected so that tests can make any name resolve anywhere.
public protocol HostResolver: Sendable {
    /// The addresses of `host`.
    ///
    /// - Throws: ``HTTPClientError/connectionFailed(_:)`` when the name does not resolve.
    func addresses(of host: String) async throws(HTTPClientError) -> [IPAddress]
}

/// Resolves with the system's `getaddrinfo` on a Dispatch thread, so the cooperative pool never blocks on DNS. A
/// cancelled caller returns at once; the lookup itself finishes in the background and its answer is dropped.
public struct SystemHostResolver: HostResolver {
    /// Creates the resolver.
    public init() {}

    public func addresses(of host: String) async throws(HTTPClientError) -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        let answer = FirstAnswer<Result<[IPAddress], HTTPClientError>>()
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                answer.deliver(to: continuation)
                DispatchQueue.global().async { answer.resolve(with: Self.lookUp(host)) }
            }
        } onCancel: {
            answer.resolve(with: .failure(.transportFailed("resolving \(host) was cancelled")))
        }
        return try result.get()
    }

    private static func lookUp(_ host: String) -> Result<[IPAddress], HTTPClientError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            let reason = String(cString: gai_strerror(status))
            return .failure(.connectionFailed("could not resolve host \(host): \(reason)"))
        }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        for entry in sequence(first: first, next: { $0.pointee.ai_next }) {
            guard let socketAddress = entry.pointee.ai_addr else { continue }
            switch Int32(entry.pointee.ai_family) {
            case AF_INET:
                socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    var raw = pointer.pointee.sin_addr
                    addresses.append(IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) })!)
                }
            case AF_INET6:
                socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var raw = pointer.pointee.sin6_addr
                    addresses.append(IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) })!)
                }
            default:
                continue
            }
        }
        guard !addresses.isEmpty else { return .failure(.connectionFailed("could not resolve host \(host): no addresses")) }
        return .success(addresses)
    }
}

/// The first of several possible answers (a lookup's result, a cancellation), handed to one continuation exactly
/// once, whichever of ``resolve(with:)`` and ``deliver(to:)`` comes first.
private final class FirstAnswer<Value: Sendable>: Sendable {
    private enum State {
        case unanswered
        case answered(Value)
        case awaiting(UnsafeContinuation<Value, Never>)
        case delivered
    }

    private let state = Mutex(State.unanswered)

    /// Records `value` if it is the first answer, and hands it over if the continuation is already waiting.
    func resolve(with value: Value) {
        let waiting: UnsafeContinuation<Value, Never>? = state.withLock { state in
            switch state {
            case .unanswered:
                state = .answered(value)
                return nil
            case .awaiting(let continuation):
                state = .delivered
                return continuation
            case .answered, .delivered:
                return nil
            }
        }
        waiting?.resume(returning: value)
    }

    /// Hands the first answer to `continuation`, now if there is one, else when it arrives.
    func deliver(to continuation: UnsafeContinuation<Value, Never>) {
        let ready: Value? = state.withLock { state in
            guard case .answered(let value) = state else {
                state = .awaiting(continuation)
                return nil
            }
            state = .delivered
            return value
        }
        if let ready { continuation.resume(returning: ready) }
    }
}

/// Applies an ``EgressPolicy`` to a URL before any connection: refuses blocked names, resolves the host and refuses
/// it if any of its addresses is blocked.
///
/// The check and the connection resolve separately, so a name whose records change in between (DNS rebinding) can
/// still slip through; literal addresses and stable names cannot.
public struct EgressGuard: Sendable {
    /// The policy applied.
    public let policy: EgressPolicy
    private let resolver: any HostResolver

    /// A guard applying `policy`, resolving names with `resolver`.
    public init(policy: EgressPolicy = EgressPolicy(), resolver: any HostResolver = SystemHostResolver()) {
        self.policy = policy
        self.resolver = resolver
    }

    /// Returns normally when `url`'s host may be reached.
    ///
    /// - Throws: ``HTTPClientError/destinationRefused(_:)`` with the reason, or ``HTTPClientError/connectionFailed(_:)``
    ///   when the host does not resolve.
    public func check(_ url: URL) async throws(HTTPClientError) {
        guard let host = url.host(percentEncoded: false), !host.isEmpty else {
            throw .connectionFailed("the URL has no host")
        }
        if let refusal = policy.refusal(host: host) { throw .destinationRefused(refusal) }
        for address in try await resolver.addresses(of: host) {
            if let refusal = policy.refusal(host: host, address: address) { throw .destinationRefused(refusal) }
        }
    }
}
