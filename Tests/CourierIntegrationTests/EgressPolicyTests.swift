import CourierHTTPClient
import CourierIntegrationKit
import Foundation
import Testing

/// Resolves every name to fixed addresses.
private struct FixedResolver: HostResolver {
    let addresses: [String: [String]]

    func addresses(of host: String) async throws(HTTPClientError) -> [IPAddress] {
        guard let texts = addresses[host] else { throw .connectionFailed("could not resolve host \(host)") }
        return texts.compactMap(IPAddress.init)
    }
}

@Suite struct CIDRBlockTests {
    @Test func parsesAndNormalises() throws {
        #expect(CIDRBlock(parsing: "169.254.0.0/16")?.description == "169.254.0.0/16")
        #expect(CIDRBlock(parsing: "10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(CIDRBlock(parsing: "fe80::1/10")?.description == "fe80::/10")
        #expect(CIDRBlock(parsing: "192.0.2.7")?.description == "192.0.2.7/32")
        #expect(CIDRBlock(parsing: "::1")?.description == "::1/128")
        for malformed in ["", "10.0.0.0/33", "fe80::/129", "10.0.0/8", "10.0.0.0/-1", "example.com/8", "10.0.0.0/x"] {
            #expect(CIDRBlock(parsing: malformed) == nil, "\(malformed)")
        }
    }

    @Test func matchesAddresses() throws {
        let linkLocal: CIDRBlock = "169.254.0.0/16"
        #expect(linkLocal.contains(IPAddress("169.254.169.254")!))
        #expect(linkLocal.contains(IPAddress("169.254.0.0")!))
        #expect(linkLocal.contains(IPAddress("169.254.255.255")!))
        #expect(!linkLocal.contains(IPAddress("169.253.255.255")!))
        #expect(!linkLocal.contains(IPAddress("169.255.0.0")!))
        #expect(linkLocal.contains(IPAddress("::ffff:169.254.169.254")!), "IPv4-mapped IPv6 matches the IPv4 block")
        #expect(!linkLocal.contains(IPAddress("fe80::1")!))

        let ipv6LinkLocal: CIDRBlock = "fe80::/10"
        #expect(ipv6LinkLocal.contains(IPAddress("fe80::1")!))
        #expect(ipv6LinkLocal.contains(IPAddress("febf:ffff::1")!))
        #expect(!ipv6LinkLocal.contains(IPAddress("fec0::1")!))
        #expect(!ipv6LinkLocal.contains(IPAddress("169.254.1.1")!))

        let odd: CIDRBlock = "10.0.0.128/25"
        #expect(odd.contains(IPAddress("10.0.0.200")!))
        #expect(!odd.contains(IPAddress("10.0.0.127")!))
        let everything: CIDRBlock = "0.0.0.0/0"
        #expect(everything.contains(IPAddress("203.0.113.9")!))
        #expect(IPAddress("[::1]")?.description == "::1")
    }
}

@Suite struct EgressPolicyTests {
    @Test func defaultPolicyBlocksLinkLocalAndMetadataButNotLoopbackOrPrivate() {
        let policy = EgressPolicy()
        #expect(
            policy.refusal(host: "169.254.169.254", address: IPAddress("169.254.169.254")!)
                == "Refusing to connect to 169.254.169.254: link-local and cloud-metadata addresses are blocked; "
                + "allow it with an egress allow-list entry (COURIER_EGRESS_ALLOW) such as 169.254.169.254/32"
        )
        for blocked in ["169.254.1.1", "fe80::1", "fd00:ec2::254", "::ffff:169.254.169.254"] {
            #expect(policy.refusal(host: blocked, address: IPAddress(blocked)!) != nil, "\(blocked)")
        }
        for allowed in ["127.0.0.1", "::1", "10.0.0.1", "192.168.1.1", "203.0.113.5", "fd00:ec2::253"] {
            #expect(policy.refusal(host: allowed, address: IPAddress(allowed)!) == nil, "\(allowed)")
        }
        #expect(policy.refusal(host: "metadata.google.internal")?.hasPrefix("Refusing to connect to metadata.google.internal") == true)
        #expect(policy.refusal(host: "METADATA.google.internal.") != nil)
        #expect(policy.refusal(host: "hooks.example.com") == nil)
    }

    @Test func allowListOverridesDefaultsAndDenyListWins() {
        let policy = EgressPolicy(allowed: ["169.254.10.0/24", "10.0.0.0/8"], denied: ["10.9.0.0/16", "127.0.0.2"])
        #expect(policy.refusal(host: "169.254.10.7", address: IPAddress("169.254.10.7")!) == nil)
        #expect(policy.refusal(host: "169.254.169.254", address: IPAddress("169.254.169.254")!) != nil)
        #expect(policy.refusal(host: "10.1.0.1", address: IPAddress("10.1.0.1")!) == nil)
        #expect(
            policy.refusal(host: "internal.example", address: IPAddress("10.9.1.1")!)
                == "Refusing to connect to internal.example (10.9.1.1): the address is in the egress deny list (10.9.0.0/16)"
        )
        #expect(policy.refusal(host: "127.0.0.2", address: IPAddress("127.0.0.2")!) != nil)
    }

    @Test func guardResolvesNamesAndRefusesIfAnyAddressIsBlocked() async throws {
        let resolver = FixedResolver(addresses: [
            "hooks.example.com": ["203.0.113.5"],
            "sneaky.example.com": ["203.0.113.5", "169.254.169.254"],
        ])
        let egressGuard = EgressGuard(policy: EgressPolicy(), resolver: resolver)
        try await egressGuard.check(URL(string: "https://hooks.example.com/x")!)
        await #expect(
            throws: HTTPClientError.destinationRefused(
                "Refusing to connect to sneaky.example.com (169.254.169.254): link-local and cloud-metadata addresses are blocked; "
                    + "allow it with an egress allow-list entry (COURIER_EGRESS_ALLOW) such as 169.254.169.254/32"
            )
        ) {
            try await egressGuard.check(URL(string: "https://sneaky.example.com/x")!)
        }
        await #expect(throws: HTTPClientError.connectionFailed("could not resolve host unknown.example.com")) {
            try await egressGuard.check(URL(string: "https://unknown.example.com/x")!)
        }
    }

    @Test func systemResolverAnswersLiteralsAndLocalhost() async throws {
        let resolver = SystemHostResolver()
        #expect(try await resolver.addresses(of: "169.254.169.254") == [IPAddress("169.254.169.254")!])
        #expect(try await resolver.addresses(of: "localhost").allSatisfy { ["127.0.0.1", "::1"].contains($0.description) })
    }

    @Test func liveClientRefusesMetadataBeforeConnecting() async throws {
        let client = LiveHTTPClient()
        let request = OutboundHTTPRequest(
            method: "GET", url: URL(string: "http://user:pw@169.254.169.254/latest/meta-data/iam?token=s3cret")!
        )
        do {
            _ = try await client.send(request)
            Issue.record("the request was sent")
        } catch {
            #expect(!error.isTransient)
            guard case .destinationRefused(let message) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(message.hasPrefix("Refusing to connect to 169.254.169.254: link-local and cloud-metadata addresses are blocked"))
            #expect(!message.contains("s3cret") && !message.contains("meta-data") && !message.contains("pw"))
        }
    }
}
