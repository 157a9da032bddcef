import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address, as its network-order bytes.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Parses a textual address (`169.254.169.254`, `fe80::1`, `[::1]`); `nil` when `text` is not one.
    public init?(_ text: String) {
        let literal = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        if inet_pton(AF_INET, literal, &ipv4) == 1 {
            bytes = withUnsafeBytes(of: &ipv4) { Array($0) }
        } else if inet_pton(AF_INET6, literal, &ipv6) == 1 {
            bytes = withUnsafeBytes(of: &ipv6) { Array($0) }
        } else {
            return nil
        }
    }

    /// An address from its network-order bytes; `nil` unless there are 4 or 16.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { bytes.count == 4 }

    /// The IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) stands for; otherwise the address itself.
    /// Policies match on this, so that the mapped form of a blocked IPv4 address is blocked too.
    public var unmapped: IPAddress {
        guard bytes.count == 16, bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else {
            return self
        }
        return IPAddress(bytes: Array(bytes.suffix(4)))!
    }

    /// The conventional text form (`169.254.169.254`, `fe80::1`).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        bytes.withUnsafeBytes { raw in
            _ = inet_ntop(isIPv4 ? AF_INET : AF_INET6, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A block of addresses in CIDR notation, e.g. `169.254.0.0/16` or `fe80::/10`; a bare address is a block of one.
public struct CIDRBlock: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The first address of the block (host bits cleared).
    public let network: IPAddress
    /// How many leading bits are fixed.
    public let prefixLength: Int

    /// Parses `address/prefix` or a bare address; `nil` when malformed or the prefix exceeds the address length.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0]))?.unmapped else { return nil }
        let bitCount = address.bytes.count * 8
        let prefixLength: Int
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...bitCount).contains(parsed) else { return nil }
            prefixLength = parsed
        } else {
            prefixLength = bitCount
        }
        self.network = IPAddress(bytes: Self.masked(address.bytes, prefixLength: prefixLength))!
        self.prefixLength = prefixLength
    }

    /// A block written in code; traps on malformed text, which is a programming error.
    public init(stringLiteral text: String) {
        guard let block = CIDRBlock(parsing: text) else { preconditionFailure("invalid CIDR block literal: \(text)") }
        self = block
    }

    /// Whether `address` (or the IPv4 address it maps) lies in the block.
    public func contains(_ address: IPAddress) -> Bool {
        let candidate = address.unmapped
        guard candidate.bytes.count == network.bytes.count else { return false }
        return Self.masked(candidate.bytes, prefixLength: prefixLength) == network.bytes
    }

    public var description: String { "\(network)/\(prefixLength)" }

    private static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let fixedBits = min(8, max(0, prefixLength - index * 8))
            return fixedBits == 0 ? 0 : byte & ~UInt8(truncatingIfNeeded: 0xff >> fixedBits)
        }
    }
}
