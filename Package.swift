// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "courier",
    products: [
        .executable(name: "courier", targets: ["courier"]),
        .executable(name: "courier-bench", targets: ["courier-bench"]),
    ],
    targets: [
        // MARK: - System libraries (Debian -dev packages)
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // MARK: - Libraries, by layer
        /// Domain: models, errors, repository protocols and use cases. No I/O.
        .target(name: "CourierCore"),
        /// A small structured logger: value-type front end, handler protocol, stream and in-memory handlers.
        .target(name: "CourierLogging"),
        /// JSON shapes of the HTTP API, shared by the server's handlers and the CLI's client.
        .target(name: "CourierWire", dependencies: ["CourierIntegrationKit"]),
        /// Hashing, HMAC, AES-GCM, randomness and signatures on OpenSSL.
        .target(name: "CourierCrypto", dependencies: ["CourierCore", "COpenSSL"]),
        /// SQL layer (queries, migrations, dialect-neutral store) and the in-memory store.
        .target(name: "CourierStorage", dependencies: ["CourierCore"]),
        /// SQLite implementation of the SQL layer.
        .target(name: "CourierSQLite", dependencies: ["CourierCore", "CourierStorage", "CSQLite"]),
        /// PostgreSQL implementation of the SQL layer, on libpq with a small connection pool.
        .target(name: "CourierPostgres", dependencies: ["CourierCore", "CourierStorage", "CLibPQ"]),
        /// Attestations: DSSE envelopes and Sigstore bundles, in-toto statements, Chainloop predicates, signing and verification.
        .target(name: "CourierAttestation", dependencies: ["CourierCore", "CourierCrypto", "CourierIntegrationKit"]),
        /// The integration extension point: protocol, descriptors, input schemas and their validation.
        .target(name: "CourierIntegrationKit", dependencies: ["CourierCore"]),
        /// The human summary of an attestation (text, Markdown, HTML) that chat and mail integrations send.
        .target(name: "CourierSummary", dependencies: ["CourierIntegrationKit", "CourierAttestation"]),
        /// AWS Signature Version 4 and a small S3 client, over the kit's HTTP client.
        .target(name: "CourierAWS", dependencies: ["CourierCrypto", "CourierIntegrationKit"]),
        /// Google Cloud Storage's JSON API and service-account OAuth2 (RS256 JWT), over the kit's HTTP client.
        .target(name: "CourierGCS", dependencies: ["CourierCore", "CourierCrypto", "CourierIntegrationKit"]),
        /// The live HTTP client of integrations: URLSession behind an egress guard.
        .target(name: "CourierHTTPClient", dependencies: ["CourierCore", "CourierIntegrationKit", "CCurl"]),
        // One target per integration; each depends only on the kit and the domain.
        .target(name: "CourierDependencyTrack", dependencies: ["CourierCore", "CourierIntegrationKit"]),
        .target(name: "CourierDiscord", dependencies: ["CourierCore", "CourierIntegrationKit", "CourierSummary"]),
        .target(name: "CourierGUAC", dependencies: ["CourierCore", "CourierCrypto", "CourierIntegrationKit", "CourierAWS", "CourierGCS"]),
        .target(name: "CourierOCIRegistry", dependencies: ["CourierCore", "CourierCrypto", "CourierIntegrationKit"]),
        .target(name: "CourierSlack", dependencies: ["CourierCore", "CourierIntegrationKit", "CourierSummary"]),
        /// SMTP mail through libcurl (`CurlMailTransport`) behind the `MailTransport` boundary.
        .target(name: "CourierSMTP", dependencies: ["CourierCore", "CourierIntegrationKit", "CCurl"]),
        .target(name: "CourierWebhook", dependencies: ["CourierCore", "CourierCrypto", "CourierIntegrationKit"]),
        /// The delivery pipeline: outbox workers with leases, retries and attempt records.
        .target(
            name: "CourierDelivery", dependencies: ["CourierCore", "CourierIntegrationKit", "CourierLogging", "CourierAttestation", "CourierCrypto"]),
        /// The filesystem content-addressed store (CAS).
        .target(name: "CourierCAS", dependencies: ["CourierCore", "CourierCrypto"]),
        /// The CAS in an S3-compatible bucket (AWS S3, MinIO), shared by every replica.
        .target(
            name: "CourierS3CAS", dependencies: ["CourierCore", "CourierCrypto", "CourierAWS", "CourierIntegrationKit", "CourierHTTPClient"]),
        /// HTTP/1.1 transport on libmicrohttpd: server, router, requests and responses.
        .target(name: "CourierHTTP", dependencies: ["CMicroHTTPD", "CourierLogging"]),
        /// API handlers: decode, call a use case, encode; authentication and error mapping.
        .target(
            name: "CourierAPI",
            dependencies: ["CourierCore", "CourierHTTP", "CourierWire", "CourierLogging", "CourierIntegrationKit", "CourierDelivery"],
            resources: [.copy("openapi.json")]),
        /// Composition root: configuration, bootstrap, wiring and `courier serve`.
        .target(
            name: "CourierServer",
            dependencies: [
                "CourierCore", "CourierCrypto", "CourierStorage", "CourierSQLite", "CourierPostgres", "CourierHTTP", "CourierAPI",
                "CourierLogging", "CourierWire", "CourierIntegrationKit", "CourierDependencyTrack", "CourierDiscord", "CourierGUAC",
                "CourierOCIRegistry", "CourierSlack", "CourierSMTP", "CourierWebhook", "CourierHTTPClient", "CourierDelivery", "CourierCAS",
                "CourierAWS", "CourierS3CAS",
            ]
        ),
        /// The command line: argument parsing, API client, tables.
        .target(
            name: "CourierCLI",
            dependencies: ["CourierCore", "CourierWire", "CourierIntegrationKit", "CourierServer", "CourierAttestation", "CourierCrypto"]
        ),
        /// Throwaway servers on loopback for the tests and the benchmark: free ports, a local PostgreSQL cluster.
        .target(name: "CourierLocalServers"),
        /// Test doubles and conformance suites shared by the test targets.
        .target(
            name: "CourierTestSupport",
            dependencies: [
                "CourierCore", "CourierStorage", "CourierCrypto", "CourierPostgres", "CourierLocalServers", "CourierAWS", "CourierHTTPClient",
                "CourierIntegrationKit",
            ]
        ),

        /// The benchmark: drives a release `courier serve` over HTTP and measures it beside the machine's limits.
        .target(
            name: "CourierBenchmark",
            dependencies: [
                "CourierCore", "CourierCrypto", "CourierHTTP", "CourierLogging", "CourierAttestation", "CourierIntegrationKit", "CSQLite",
                "CourierPostgres", "CourierLocalServers",
            ]
        ),

        // MARK: - Executables
        .executableTarget(name: "courier", dependencies: ["CourierCLI"]),
        /// `courier-bench`: a few lines calling `CourierBenchmark`; depends on `courier` so that one build makes both.
        .executableTarget(name: "courier-bench", dependencies: ["CourierBenchmark", "courier"]),

        // MARK: - Tests
        .testTarget(name: "CourierCoreTests", dependencies: ["CourierCore", "CourierStorage", "CourierTestSupport"]),
        .testTarget(
            name: "CourierStorageTests",
            dependencies: ["CourierCore", "CourierStorage", "CourierSQLite", "CourierPostgres", "CourierTestSupport"]
        ),
        .testTarget(
            name: "CourierIntegrationTests",
            dependencies: [
                "CourierCore", "CourierIntegrationKit", "CourierDependencyTrack", "CourierDiscord", "CourierGUAC",
                "CourierOCIRegistry", "CourierSlack", "CourierSMTP", "CourierWebhook", "CourierHTTPClient", "CourierCrypto",
                "CourierHTTP", "CourierLogging", "CourierSummary", "CourierAWS", "CourierGCS",
                "CourierTestSupport", "CourierWire", "CourierS3CAS",
            ]
        ),
        .testTarget(name: "CourierCASTests", dependencies: ["CourierCAS", "CourierCore", "CourierCrypto"]),
        .testTarget(name: "CourierCryptoTests", dependencies: ["CourierCrypto", "CourierCore", "CourierTestSupport"]),
        .testTarget(
            name: "CourierDeliveryTests",
            dependencies: [
                "CourierDelivery", "CourierCore", "CourierIntegrationKit", "CourierStorage", "CourierTestSupport", "CourierLogging",
            ]
        ),
        .testTarget(
            name: "CourierAttestationTests", dependencies: ["CourierAttestation", "CourierCore", "CourierCrypto", "CourierIntegrationKit"]),
        .testTarget(name: "CourierHTTPTests", dependencies: ["CourierHTTP", "CourierLogging", "CourierCrypto"]),
        .testTarget(
            name: "CourierAPITests",
            dependencies: [
                "CourierCore", "CourierAPI", "CourierHTTP", "CourierStorage", "CourierCrypto", "CourierServer", "CourierTestSupport",
                "CourierDelivery",
            ]
        ),
        .testTarget(
            name: "CourierCLITests",
            dependencies: ["CourierCLI", "CourierCore", "CourierWire", "CourierIntegrationKit", "CourierServer"]
        ),
        .testTarget(name: "CourierBenchmarkTests", dependencies: ["CourierBenchmark"]),
        .testTarget(
            name: "CourierEndToEndTests",
            dependencies: [
                "CourierCore", "CourierCrypto", "CourierWire", "CourierTestSupport", "CourierHTTP", "CourierLogging", "CourierWebhook",
                "CourierAttestation", "CourierIntegrationKit", "CourierAWS", "CourierHTTPClient",
            ]
        ),
    ]
)

for target in package.targets where [.regular, .test, .executable].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
