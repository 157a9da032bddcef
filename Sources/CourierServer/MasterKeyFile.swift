import CourierCore
import CourierCrypto
import Foundation

/// Where the master keys come from: `COURIER_MASTER_KEY` (and `COURIER_PREVIOUS_MASTER_KEYS` during a rotation), or
/// else `<data-dir>/master.key`, generated with mode 0600 on first start.
///
/// The key file holds one base64 key per line: the active key first, then older keys still needed to open
/// credentials until they are re-sealed.
enum MasterKeySource {
    /// Loads the keyring, generating the key file when there is neither a file nor `COURIER_MASTER_KEY`.
    static func load(dataDirectory: URL, environment: [String: String]) throws(CourierError) -> MasterKeyring {
        if let text = environment["COURIER_MASTER_KEY"] {
            let active = try named("COURIER_MASTER_KEY") { () throws(CourierError) in try MasterKey(base64: text) }
            let previous = try (environment["COURIER_PREVIOUS_MASTER_KEYS"] ?? "")
                .split(separator: ",")
                .map { part throws(CourierError) in
                    try named("COURIER_PREVIOUS_MASTER_KEYS") { () throws(CourierError) in try MasterKey(base64: String(part)) }
                }
            return MasterKeyring(active: active, previous: previous)
        }
        let file = keyFile(in: dataDirectory)
        guard FileManager.default.fileExists(atPath: file.path) else {
            let keyring = MasterKeyring(active: .generate())
            try write(keyring, to: file)
            return keyring
        }
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw CourierError(.invalidArgument, "Cannot read the master key file \(file.path): \(error.localizedDescription)")
        }
        let keys = try text.split(whereSeparator: \.isNewline).map { line throws(CourierError) in
            try named(file.path) { () throws(CourierError) in try MasterKey(base64: String(line)) }
        }
        guard let active = keys.first else {
            throw CourierError(.invalidArgument, "The master key file \(file.path) is empty; restore it from a backup.")
        }
        return MasterKeyring(active: active, previous: Array(keys.dropFirst()))
    }

    /// Whether the keys come from the environment rather than the key file.
    static func usesEnvironment(_ environment: [String: String]) -> Bool { environment["COURIER_MASTER_KEY"] != nil }

    /// Writes the keyring to the key file (mode 0600), replacing it atomically.
    static func write(_ keyring: MasterKeyring, to file: URL) throws(CourierError) {
        let text = ([keyring.active] + keyring.previous).map(\.base64).joined(separator: "\n") + "\n"
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".master.key.\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CourierError(.internal, "Cannot write the master key file \(file.path); check the data directory's permissions.")
        }
        guard rename(temporary.path, file.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CourierError(.internal, "Cannot replace the master key file \(file.path); check the data directory's permissions.")
        }
    }

    static func keyFile(in dataDirectory: URL) -> URL { dataDirectory.appendingPathComponent("master.key") }

    private static func named<T>(_ source: String, _ body: () throws(CourierError) -> T) throws(CourierError) -> T {
        do {
            return try body()
        } catch {
            throw CourierError(.invalidArgument, "\(source): \(error.message)")
        }
    }
}
