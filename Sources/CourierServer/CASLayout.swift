import Foundation

/// Where the filesystem CAS keeps content: `<dir>/sha256/<first two hex digits>/<64 hex digits>`.
enum CASLayout {
    static func path(of digest: String, in directory: URL) -> URL {
        let hex = String(digest.dropFirst("sha256:".count))
        return directory.appendingPathComponent("sha256").appendingPathComponent(String(hex.prefix(2))).appendingPathComponent(hex)
    }
}
