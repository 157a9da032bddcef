import Foundation

/// `text` with every occurrence of the secret `url`, of its path and query, and of its path replaced by
/// ``maskURL(_:)`` of it, so that a receiver echoing its own URL in an error body cannot leak it into a reason.
///
/// ```swift
/// redactingURL("https://hooks.example/T0KEN/x", in: "POST /T0KEN/x failed")   // "POST https://hooks.example****EN/x failed"
/// ```
public func redactingURL(_ url: String, in text: String) -> String {
    let masked = maskURL(url)
    var secrets = [url]
    if let components = URLComponents(string: url) {
        let pathAndQuery = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        if pathAndQuery.count > 4 { secrets.append(pathAndQuery) }
        if components.path.count > 4 { secrets.append(components.path) }
    }
    return secrets.reduce(text) { text, secret in text.replacingOccurrences(of: secret, with: masked) }
}
