import CourierWire
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The contents of the config file written by `courier login`.
public struct ConfigFile: Codable, Sendable, Equatable {
    public var server: String?
    public var token: String?

    public init(server: String?, token: String?) {
        self.server = server
        self.token = token
    }

    /// Reads the file at `url`; nil when it does not exist.
    public static func load(from url: URL) throws(CLIError) -> ConfigFile? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CLIError("Could not read the config file \(url.path); check its permissions or run 'courier login' again.")
        }
        do {
            return try Wire.decoder.decode(ConfigFile.self, from: data)
        } catch {
            throw CLIError(
                "The config file \(url.path) is not valid JSON of the form {\"server\": ..., \"token\": ...}; "
                    + "fix it, delete it or run 'courier login' again."
            )
        }
    }

    /// Writes the file at `url` with mode 0600, creating its directory with mode 0700; replaces the file atomically.
    public func save(to url: URL) throws(CLIError) {
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIError("Could not create the directory \(directory.path) for the config file; check its permissions.")
        }
        let data: Data
        do {
            data = try Wire.prettyEncoder.encode(self) + Data("\n".utf8)
        } catch {
            throw CLIError("Could not encode the config file.")
        }
        let temporary = directory.appendingPathComponent(".config.json.\(getpid()).tmp")
        unlink(temporary.path)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw CLIError("Could not write the config file \(url.path); check the permissions of \(directory.path).")
        }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == data.count, synced, rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw CLIError("Could not write the config file \(url.path); check the free space and permissions of \(directory.path).")
        }
    }
}

/// Where to send requests and with which token, resolved from the command line, the
/// environment and the config file, in that order.
public struct Settings: Sendable, Equatable {
    /// The server used when none is configured.
    public static let defaultServer = "http://127.0.0.1:8080"

    /// The server's base URL.
    public var server: URL
    /// The bearer token, if any is configured.
    public var token: String?

    public init(server: URL, token: String?) {
        self.server = server
        self.token = token
    }

    /// `--server`, then `COURIER_SERVER`, then the config file, then ``defaultServer``; `--token`, then
    /// `COURIER_TOKEN`, then the config file. The config file is read only when something is left to resolve.
    public static func resolve(_ options: GlobalOptions, environment: CLIEnvironment) throws(CLIError) -> Settings {
        var server = options.server ?? environment.variable("COURIER_SERVER")
        var token = options.token ?? environment.variable("COURIER_TOKEN")
        if server == nil || token == nil, let file = try ConfigFile.load(from: environment.configFile) {
            server = server ?? file.server
            token = token ?? file.token
        }
        return Settings(server: try serverURL(server ?? defaultServer), token: token)
    }

    /// Parses a server address: an `http` or `https` URL with a host.
    static func serverURL(_ text: String) throws(CLIError) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.isEmpty == false
        else {
            throw CLIError("The server address '\(text)' is not an http or https URL; use for example --server \(defaultServer).")
        }
        return url
    }
}
