import Foundation

/// Whether `host` names this machine's loopback interface: `localhost` (and names under `.localhost`), an IPv4
/// address in 127.0.0.0/8, or `::1` (bracketed or not). Integrations allow plain-text protocols to loopback
/// peers only, unless the operator opts in.
public func isLoopbackHost(_ host: String) -> Bool {
    let name = host.lowercased().trimmingCharacters(in: ["[", "]"])
    if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
    let octets = name.split(separator: ".", omittingEmptySubsequences: false)
    guard octets.count == 4, octets.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } && UInt8($0) != nil }) else { return false }
    return octets[0] == "127"
}
