import CourierPostgres
import Foundation
import Glibc
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
    private static let running = Mutex<(pid: pid_t, directory: String)?>(nil)

    private static func startOnce() -> Result<String, PostgresTestServerError> {
        started.withLock { started in
            if let started { return started }
            let result: Result<String, PostgresTestServerError>
            if let url = ProcessInfo.processInfo.environment["COURIER_TEST_POSTGRES_URL"], !url.isEmpty {
                result = .success(url)
            } else {
                result = Result { try startServer() }.mapError { $0 as? PostgresTestServerError ?? PostgresTestServerError("\($0)") }
            }
            started = result
            return result
        }
    }

    private static func startServer() throws -> String {
        let binDirectory = ProcessInfo.processInfo.environment["COURIER_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: binDirectory + "/initdb") else {
            throw PostgresTestServerError(
                "PostgreSQL 15 is not installed in \(binDirectory): run scripts/install-test-servers, or set COURIER_TEST_POSTGRES_URL."
            )
        }
        let asPostgresUser = geteuid() == 0
        // The postgres user must reach the cluster: as root, use /tmp rather than a TMPDIR that may be private to root.
        let temporary = asPostgresUser ? URL(fileURLWithPath: "/tmp") : FileManager.default.temporaryDirectory
        let directory = temporary.appendingPathComponent("courier-postgres-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        if asPostgresUser {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            guard let account = getpwnam("postgres") else {
                throw PostgresTestServerError("Running as root needs a 'postgres' user to own the test cluster.")
            }
            guard chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw PostgresTestServerError("Cannot give \(directory) to the postgres user: \(String(cString: strerror(errno))).")
            }
        }
        func run(_ tool: String, _ arguments: [String]) throws {
            // Niced, so the server's bursts of work (a database and its schema per test) never starve timing-sensitive tests.
            let command = ["/usr/bin/nice", "-n", "15", binDirectory + "/" + tool] + arguments
            try runProcess(
                asPostgresUser ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + command : command, name: tool, log: directory + "/commands.log")
        }
        let data = directory + "/data"
        try run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"])
        let port = try LoopbackSocket.freePort()
        let serverOptions = [
            "-p \(port)", "-k \(directory)", "-c listen_addresses=127.0.0.1", "-c fsync=off", "-c synchronous_commit=off",
            "-c full_page_writes=off", "-c max_connections=300",
        ]
        // -w: pg_ctl returns once the server accepts connections, or fails after -t seconds.
        try run("pg_ctl", ["-D", data, "-l", directory + "/postgres.log", "-w", "-t", "60", "-o", serverOptions.joined(separator: " "), "start"])
        let pidFile = try String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8)
        guard let pid = pid_t(pidFile.prefix { $0 != "\n" }) else { throw PostgresTestServerError("postmaster.pid has no process id.") }
        running.withLock { $0 = (pid, directory) }
        atexit { PostgresTestServer.stopAtExit() }
        return "postgres://postgres@127.0.0.1:\(port)/postgres"
    }

    /// Stops the server with an immediate shutdown and removes its directory.
    private static func stopAtExit() {
        guard let (pid, directory) = running.withLock({ $0 }) else { return }
        kill(pid, SIGQUIT)
        // The directory can only go once the server has let go of it; an immediate shutdown takes milliseconds.
        let deadline = Date().addingTimeInterval(5)
        while kill(pid, 0) == 0 && Date() < deadline { usleep(10_000) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `command` with its output appended to `log`, and waits for it.
    ///
    /// `posix_spawn` and `waitpid` rather than `Process`: pg_ctl leaves the server running in the
    /// background, and the process only has to wait for pg_ctl itself.
    private static func runProcess(_ command: [String], name: String, log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = command.map { strdup($0) } + [nil]
        defer {
            for argument in arguments { free(argument) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, arguments, environ)
        guard spawned == 0 else { throw PostgresTestServerError("Cannot run \(name): \(String(cString: strerror(spawned))).") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED and WEXITSTATUS are macros: exited normally with status 0 means the low 16 bits are all zero.
        guard status & 0xffff == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw PostgresTestServerError("\(name) failed (wait status \(status)); its output:\n\(output.suffix(2_000))")
        }
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
