import CourierLocalServers
import CourierPostgres
import Foundation
import Synchronization

/// A PostgreSQL server for tests, shared by every test of the process, and fresh databases on it.
///
/// When `COURIER_TEST_POSTGRES_URL` is set (a `postgres://` URL of a PostgreSQL 15 or newer server
/// whose user may create databases; the databases are left behind), tests use that server.
/// Otherwise the first call `initdb`s a cluster into a temporary directory and starts PostgreSQL 15
/// from `/usr/lib/postgresql/15/bin` (or `COURIER_POSTGRES_BIN`) on a free loopback port with
/// `fsync=off`, at a low CPU priority; when the process runs as root, the cluster belongs to the
/// `postgres` user and its commands run through `runuser`. The server is stopped and its directory
/// removed when the process exits normally.
///
/// ```swift
/// let store = try await SQLStore.postgres(connectionString: try await PostgresTestServer.freshDatabase())
/// ```
public enum PostgresTestServer {
    /// The connection string of a new, empty database; each call creates another one.
    ///
    /// - Throws: `PostgresTestServerError` when no server can be started, or the database's creation fails.
    public static func freshDatabase() async throws -> String {
        let base = try await serverURL()
        let name = "courier_test_" + UUID().uuidString.lowercased().replacing("-", with: "")
        let admin = try await PostgresDatabase(connectionString: base, configuration: PoolConfiguration(maximumConnections: 1))
        // FILE_COPY copies the template's few files; PostgreSQL 15's default, WAL_LOG, is several times slower.
        try await admin.executeOutsideTransaction(unsafeSQL: "CREATE DATABASE \(name) STRATEGY FILE_COPY")
        guard var components = URLComponents(string: base) else {
            throw PostgresTestServerError("COURIER_TEST_POSTGRES_URL must be a postgres:// URL.")
        }
        components.path = "/" + name
        return components.string ?? base
    }

    /// The URL of the server's maintenance database, starting the server on the first call.
    public static func serverURL() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            // A thread of its own: starting blocks for a second or two, which no pool thread may do.
            Thread.detachNewThread { continuation.resume(with: startOnce()) }
        }
    }

    /// How the first start went; held locked while starting, so concurrent first callers wait for one start.
    private static let started = Mutex<Result<String, PostgresTestServerError>?>(nil)

    /// The running server, so the exit handler can stop it.
    private static let running = Mutex<LocalPostgresCluster?>(nil)

    private static func startOnce() -> Result<String, PostgresTestServerError> {
        started.withLock { started in
            if let started { return started }
            let result: Result<String, PostgresTestServerError>
            if let url = ProcessInfo.processInfo.environment["COURIER_TEST_POSTGRES_URL"], !url.isEmpty {
                result = .success(url)
            } else {
                result = Result { try startServer() }.mapError { PostgresTestServerError("\($0)") }
            }
            started = result
            return result
        }
    }

    private static func startServer() throws -> String {
        let cluster = try LocalPostgresCluster.start(
            binDirectory: ProcessInfo.processInfo.environment["COURIER_POSTGRES_BIN"] ?? LocalPostgresCluster.defaultBinDirectory,
            settings: ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=300"],
            // Niced, so the server's bursts of work (a database and its schema per test) never starve timing-sensitive tests.
            niceness: 15
        )
        running.withLock { $0 = cluster }
        atexit { PostgresTestServer.running.withLock { $0 }?.stop() }
        return cluster.url
    }
}

/// Why the tests' PostgreSQL server could not be reached or started.
public struct PostgresTestServerError: Error, Sendable, CustomStringConvertible {
    /// What failed, with the failing command's output when there is one.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
