import CourierIntegrationKit
import Foundation

/// An OCI repository written `host[:port]/path`, e.g. `ghcr.io/org/repo` or `127.0.0.1:5000/team/attestations`.
struct RepositoryReference: Sendable, Hashable, CustomStringConvertible {
    /// The registry host, without brackets for IPv6.
    let host: String
    /// The registry port, if written.
    let port: Int?
    /// The repository path inside the registry, e.g. `org/repo`.
    let path: String

    /// Parses and validates `text`.
    ///
    /// - Throws: ``IntegrationValidationError`` when `text` has a scheme, a tag or digest, no registry host, or a path
    ///   that is not a valid OCI repository name (lowercase alphanumerics separated by `.`, `_`, `__` or dashes).
    init(parsing text: String) throws(IntegrationValidationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.contains("://") {
            throw IntegrationValidationError(
                "invalid repository \"\(text)\": the scheme is not allowed, write host[:port]/path (plain HTTP is the insecure option)")
        }
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw IntegrationValidationError("invalid repository \"\(text)\": expected host[:port]/path, e.g. ghcr.io/org/repo")
        }
        let (host, port) = try Self.registry(String(parts[0]), in: text)
        let path = parts[1].hasSuffix("/") ? String(parts[1].dropLast()) : String(parts[1])
        guard path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(Self.isValidPathComponent) else {
            throw IntegrationValidationError(
                "invalid repository \"\(text)\": path components must be lowercase letters and digits separated by '.', '_', '__' or '-'"
            )
        }
        self.host = host
        self.port = port
        self.path = path
    }

    /// The registry as written, `host[:port]`.
    var registry: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(name):\($0)" } ?? name
    }

    var description: String { "\(registry)/\(path)" }

    /// The base URL of the registry's API: plain HTTP only when `insecure` or the host is loopback, HTTPS otherwise.
    /// Docker Hub's names (`docker.io`, `index.docker.io`) map to its API host, as Docker's clients do.
    func baseURL(insecure: Bool) -> URL {
        let scheme = insecure || isLoopbackHost(host) ? "http" : "https"
        let apiHost = ["docker.io", "index.docker.io"].contains(host.lowercased()) ? "registry-1.docker.io" : host
        var components = URLComponents()
        components.scheme = scheme
        components.host = apiHost.contains(":") ? "[\(apiHost)]" : apiHost
        components.port = port
        return components.url ?? URL(string: "\(scheme)://invalid")!
    }

    /// Whether `component` is a valid path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
    static func isValidPathComponent(_ component: some StringProtocol) -> Bool {
        guard let first = component.first, let last = component.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        var previous: Character = first
        var underscores = 0
        for character in component.dropFirst() {
            if isAlphanumeric(character) {
                underscores = 0
            } else if character == "_" {
                underscores += 1
                if underscores > 2 || (previous != "_" && !isAlphanumeric(previous)) { return false }
            } else if character == "." {
                if !isAlphanumeric(previous) { return false }
            } else if character == "-" {
                if previous != "-" && !isAlphanumeric(previous) { return false }
            } else {
                return false
            }
            previous = character
        }
        return true
    }

    private static func isAlphanumeric(_ character: Character) -> Bool {
        character.isASCII && (character.isLowercase || character.isNumber)
    }

    /// Splits `host[:port]` (IPv6 in brackets) and checks both halves.
    private static func registry(_ text: String, in reference: String) throws(IntegrationValidationError) -> (String, Int?) {
        let invalid = IntegrationValidationError(
            "invalid repository \"\(reference)\": \"\(text)\" is not a registry host[:port] (e.g. ghcr.io or 127.0.0.1:5000)")
        var host = text
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw invalid }
                portText = rest.dropFirst()
            }
        } else if let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        let hostCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-:"))
        guard !host.isEmpty, host.unicodeScalars.allSatisfy({ $0.isASCII && hostCharacters.contains($0) }) else { throw invalid }
        // Like Docker's clients: without a dot, a port or `localhost`, the first component is a path, not a registry.
        guard host.contains(".") || host.contains(":") || portText != nil || host.lowercased() == "localhost" else { throw invalid }
        guard let portText else { return (host, nil) }
        guard let port = Int(portText), (1...65_535).contains(port) else { throw invalid }
        return (host, port)
    }
}
