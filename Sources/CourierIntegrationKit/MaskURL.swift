import Foundation

/// Renders `rawURL` safely for display and logs, like upstream's `MaskURL` (SDK helpers, §2.9): keeps
/// `scheme://host[:port]`, replaces all but the last four characters of a path longer than four with `****`
/// (no slash kept), keeps a path of four characters or fewer verbatim, and drops user info, query and fragment.
///
/// Returns the empty string when `rawURL` does not parse or has no host.
///
/// ```swift
/// maskURL("https://example.com/some/long/path/secret-token")   // "https://example.com****oken"
/// maskURL("https://example.com/abc")                           // "https://example.com/abc"
/// ```
public func maskURL(_ rawURL: String) -> String {
    guard let components = URLComponents(string: rawURL), let scheme = components.scheme,
        let host = components.percentEncodedHost, !host.isEmpty
    else { return "" }
    var masked = "\(scheme)://\(host)"
    if let port = components.port { masked += ":\(port)" }
    let path = components.path
    masked += path.count > 4 ? "****" + path.suffix(4) : path
    return masked
}
