import Foundation

/// Percent-decoding of URL paths and query strings.
enum URLDecoding {
    /// Decodes `%XX` escapes; returns nil when an escape is malformed (`%G1`, a trailing `%`).
    /// Bytes that do not form valid UTF-8 become U+FFFD.
    static func percentDecoded(_ text: some StringProtocol) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Request ids: the one the client sent when it is safe to echo and log, else a fresh one.
enum RequestIdentifier {
    /// The longest incoming `X-Request-Id` that is accepted.
    static let maximumLength = 128

    /// `incoming` if it is 1–128 characters of `[A-Za-z0-9._-]`, else a fresh lowercase UUID.
    static func accept(_ incoming: String?) -> String {
        if let incoming, isAcceptable(incoming) { return incoming }
        return UUID().uuidString.lowercased()
    }

    static func isAcceptable(_ candidate: String) -> Bool {
        (1...maximumLength).contains(candidate.utf8.count)
            && candidate.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
    }
}
