import Foundation

/// The `format` assertions of upstream's validator: `uri` (Go's `url.Parse` succeeds and the URI is absolute)
/// and `email` (RFC 5321 sizes, a hostname or bracketed IP literal as domain, a dot-atom or quoted local part).
/// `password` is informative only and always valid.
enum FormatChecker {
    static func isValid(_ string: String, format: InputFormat) -> Bool {
        switch format {
        case .uri: isAbsoluteURI(string)
        case .email: isEmail(string)
        case .password: true
        }
    }

    // MARK: uri

    /// `http://repo/foo/bar` and `localhost:8080` (scheme `localhost`) are absolute; `localhost`, `repo.io` and `` are not.
    static func isAbsoluteURI(_ string: String) -> Bool {
        guard !string.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return false }
        let (beforeFragment, fragment) = split(Substring(string), at: "#")
        guard hasValidEscapes(fragment ?? ""), let colon = beforeFragment.firstIndex(of: ":") else { return false }
        let scheme = beforeFragment[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return false }
        let (rest, _) = split(beforeFragment[beforeFragment.index(after: colon)...], at: "?")
        guard rest.hasPrefix("/") else { return true }  // opaque form, e.g. mailto:someone
        var path = rest
        if rest.hasPrefix("//") {
            let afterSlashes = rest.dropFirst(2)
            let authorityEnd = afterSlashes.firstIndex(of: "/") ?? afterSlashes.endIndex
            guard isValidAuthority(afterSlashes[..<authorityEnd]) else { return false }
            path = afterSlashes[authorityEnd...]
        }
        return hasValidEscapes(path)
    }

    private static func split(_ string: Substring, at separator: Character) -> (Substring, Substring?) {
        guard let index = string.firstIndex(of: separator) else { return (string, nil) }
        return (string[..<index], string[string.index(after: index)...])
    }

    private static func isValidAuthority(_ authority: Substring) -> Bool {
        var host = authority
        if let at = authority.lastIndex(of: "@") {
            guard hasValidEscapes(authority[..<at]) else { return false }
            host = authority[authority.index(after: at)...]
        }
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let literal = String(host[host.index(after: host.startIndex)..<close])
            return isIPv6(literal) && isOptionalPort(host[host.index(after: close)...])
        }
        var hostname = host
        if let colon = host.lastIndex(of: ":") {
            guard isOptionalPort(host[colon...]) else { return false }
            hostname = host[..<colon]
        }
        let allowed = "-._~!$&'()*+,;=%<>\""
        return hasValidEscapes(hostname)
            && hostname.allSatisfy { !$0.isASCII || $0.isLetter || $0.isNumber || allowed.contains($0) }
    }

    /// Empty, or `:` followed by digits only.
    private static func isOptionalPort(_ port: Substring) -> Bool {
        port.isEmpty || (port.first == ":" && port.dropFirst().allSatisfy { $0.isASCII && $0.isNumber })
    }

    /// Every `%` starts a two-hex-digit escape.
    private static func hasValidEscapes(_ text: Substring) -> Bool {
        var remaining = text.utf8[...]
        while let percent = remaining.firstIndex(of: UInt8(ascii: "%")) {
            let escape = remaining[remaining.index(after: percent)...].prefix(2)
            guard escape.count == 2, escape.allSatisfy({ Character(UnicodeScalar($0)).isHexDigit }) else { return false }
            remaining = remaining[escape.endIndex...]
        }
        return true
    }

    private static func isIPv6(_ string: String) -> Bool {
        var address = in6_addr()
        return string.contains(":") && inet_pton(AF_INET6, string, &address) == 1
    }

    private static func isIPv4(_ string: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, string, &address) == 1
    }

    // MARK: email

    static func isEmail(_ string: String) -> Bool {
        guard string.utf8.count <= 254, let at = string.lastIndex(of: "@") else { return false }
        let local = string[..<at]
        let domain = string[string.index(after: at)...]
        guard local.utf8.count <= 64 else { return false }
        if domain.count >= 2, domain.hasPrefix("["), domain.hasSuffix("]") {
            let literal = domain.dropFirst().dropLast()
            return literal.hasPrefix("IPv6:") ? isIPv6(String(literal.dropFirst(5))) : isIPv4(String(literal))
        }
        return isHostname(domain) && isLocalPart(local)
    }

    /// Labels of 1–63 letters, digits and inner hyphens; at most 253 characters; one trailing dot allowed.
    private static func isHostname(_ name: Substring) -> Bool {
        let trimmed = name.hasSuffix(".") ? name.dropLast() : name
        guard trimmed.utf8.count <= 253 else { return false }
        return trimmed.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// A dot-atom (`first.last+tag`) or a quoted string (`"john doe"`), as Go's `net/mail` accepts.
    private static func isLocalPart(_ local: Substring) -> Bool {
        if local.count >= 2, local.hasPrefix("\""), local.hasSuffix("\"") {
            return local.dropFirst().dropLast().unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
        }
        let atext = "!#$%&'*+-/=?^_`{|}~"
        return local.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.allSatisfy { !$0.isASCII || $0.isLetter || $0.isNumber || atext.contains($0) }
        }
    }
}
