import CourierAPI
import CourierCAS
import CourierCore
import CourierCrypto
import CourierDelivery
import CourierHTTP
import CourierHTTPClient
import CourierIntegrationKit
import CourierLogging
import CourierS3CAS
import CourierStorage
import Foundation

/// Every long-lived component of a running server, wired together.
struct Application: Sendable {
    let store: any Store
    let server: HTTPServer
    let engine: DeliveryEngine

    /// Opens the data directory and the store, bootstraps an empty store and binds the HTTP server.
    static func start(_ configuration: ServerConfiguration, logger: Logger) async throws -> Application {
        try DataDirectory.prepare(configuration.dataDirectory)
        let store = try await configuration.database.openStore()
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
        let http = LiveHTTPClient(egressGuard: EgressGuard(policy: configuration.egressPolicy))
        let catalog = try IntegrationCatalog.builtIn()
        let integrations = IntegrationService(
            store: store,
            environment: environment,
            catalog: catalog,
            sealer: keyring,
            context: IntegrationContext(http: http)
        )
        let contentStore = try await openContentStore(configuration)
        let engine = DeliveryEngine(
            dependencies: DeliveryEngine.Dependencies(
                store: store,
                catalog: catalog,
                openCredentials: { try integrations.credentials(of: $0) },
                // The store may block on the network (S3): never on the cooperative pool.
                contentSize: { digest in
                    let parsed = try ContentDigest(parsing: digest)
                    return try await BlockingThreads.shared.value { try contentStore.size(of: parsed) }
                },
                openContent: { digest in
                    do {
                        return try contentStore.open(ContentDigest(parsing: digest))
                    } catch let error as CourierError where error.code == .notFound {
                        return nil
                    }
                },
                http: http
            ),
            configuration: configuration.delivery,
            logger: logger,
            workerID: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
        )
        let attestations = AttestationService(store: store, environment: environment, engine: engine)
        let api = CourierAPI(
            access: access,
            workflows: WorkflowService(store: store, environment: environment),
            integrations: integrations,
            deliveries: DeliveryService(store: store, environment: environment, engine: engine),
            attestations: attestations,
            metrics: { await MetricsReport.render(store: store, engine: engine) },
            content: ContentService(store: store, content: contentStore, environment: environment),
            logger: logger,
            onContentUploaded: { organizationID, digest in
                do {
                    try await attestations.contentUploaded(organizationID: organizationID, digest: digest)
                } catch {
                    logger.warning("Waking deliveries after an upload failed", ["error.detail": String(reflecting: error)])
                }
            }
        )
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(
                host: configuration.host,
                port: configuration.port,
                bodyLimit: { method, path in method == .post && path == "/v1/attestations" ? CourierAPI.attestationBodyLimit : nil }
            ),
            responder: api.makeRouter(),
            logger: logger
        )
        return Application(store: store, server: server, engine: engine)
    }

    /// Opens the configured CAS; an S3 bucket must be reachable with the configured credentials. The bucket is the
    /// operator's own, so its client is not the integrations' (whose egress rules may refuse a private endpoint).
    private static func openContentStore(_ configuration: ServerConfiguration) async throws -> any ContentStore {
        switch configuration.contentStore {
        case .fileSystem(let directory):
            return try FileSystemContentStore(directory: directory)
        case .s3(let location):
            let store = try S3ContentStore(
                bucket: location.bucket,
                prefix: location.prefix,
                configuration: location.configuration,
                http: LiveHTTPClient(),
                stagingDirectory: configuration.dataDirectory.appendingPathComponent("cas-staging")
            )
            try await store.checkBucket()
            return store
        }
    }
}

extension ServiceEnvironment {
    /// Wall-clock time, time-ordered UUIDs (version 7) and SHA-256 token hashes.
    static let live: ServiceEnvironment = {
        let ids = TimeOrderedIDs()
        return ServiceEnvironment(
            now: { Date() },
            newID: { ids.next() },
            hashSecret: { SHA256.hex(Data($0.utf8)) }
        )
    }()
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
