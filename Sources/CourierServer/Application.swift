import CourierAPI
import CourierCAS
import CourierCore
import CourierCrypto
import CourierHTTP
import CourierHTTPClient
import CourierIntegrationKit
import CourierLogging
import CourierSQLite
import CourierStorage
import Foundation

/// Every long-lived component of a running server, wired together.
struct Application: Sendable {
    let store: any Store
    let server: HTTPServer

    /// Opens the data directory and the store, bootstraps an empty store and binds the HTTP server.
    static func start(_ configuration: ServerConfiguration, logger: Logger) async throws -> Application {
        try DataDirectory.prepare(configuration.dataDirectory)
        let store = try await SQLStore.sqlite(path: configuration.databasePath)
        let processEnvironment = ProcessInfo.processInfo.environment
        var keyring = try MasterKeySource.load(dataDirectory: configuration.dataDirectory, environment: processEnvironment)
        if configuration.rotateMasterKey {
            keyring = try await MasterKeyRotation.rotate(
                keyring,
                store: store,
                dataDirectory: configuration.dataDirectory,
                environment: processEnvironment,
                logger: logger
            )
        }
        let environment = ServiceEnvironment.live
        let access = AccessService(store: store, environment: environment)
        if let owner = try await access.bootstrapIfEmpty() {
            try DataDirectory.writeSecret(owner.secret + "\n", to: configuration.ownerTokenPath)
            FileHandle.standardError.write(
                Data(
                    "Created organization '\(AccessService.defaultOrganizationName)'; its owner token is in \(configuration.ownerTokenPath.path).\n"
                        .utf8
                )
            )
        }
        let integrations = IntegrationService(
            store: store,
            environment: environment,
            catalog: try IntegrationCatalog.builtIn(),
            sealer: keyring,
            context: IntegrationContext(http: LiveHTTPClient())
        )
        let contentStore = try FileSystemContentStore(directory: configuration.casDirectory)
        let api = CourierAPI(
            access: access,
            workflows: WorkflowService(store: store, environment: environment),
            integrations: integrations,
            content: ContentService(store: store, content: contentStore, environment: environment),
            logger: logger
        )
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(host: configuration.host, port: configuration.port),
            responder: api.makeRouter(),
            logger: logger
        )
        return Application(store: store, server: server)
    }
}

extension ServiceEnvironment {
    /// Wall-clock time, random UUIDs and SHA-256 token hashes.
    static var live: ServiceEnvironment {
        ServiceEnvironment(
            now: { Date() },
            newID: { UUID().uuidString.lowercased() },
            hashSecret: { SHA256.hex(Data($0.utf8)) }
        )
    }
}

/// Files in the data directory.
enum DataDirectory {
    /// Creates the data directory (mode 0700) when missing.
    static func prepare(_ directory: URL) throws(CourierError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CourierError(.invalidArgument, "Cannot create the data directory \(directory.path): \(error.localizedDescription)")
        }
    }

    /// Writes a secret to a new file readable only by its owner (mode 0600).
    static func writeSecret(_ contents: String, to url: URL) throws(CourierError) {
        let created = FileManager.default.createFile(
            atPath: url.path,
            contents: Data(contents.utf8),
            attributes: [.posixPermissions: 0o600]
        )
        if !created {
            throw CourierError(.internal, "Cannot write \(url.path); check the data directory's permissions.")
        }
    }
}
