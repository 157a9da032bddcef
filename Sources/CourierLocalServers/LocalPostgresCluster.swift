import Foundation
import Glibc

/// A throwaway PostgreSQL cluster on 127.0.0.1, for the tests and the benchmark.
///
/// ``start(binDirectory:settings:niceness:)`` `initdb`s a cluster into a temporary directory and starts it with
/// `pg_ctl` on a free loopback port, trusting local connections as user `postgres`; when the process runs as root,
/// the cluster belongs to the `postgres` user and its commands run through `runuser`. ``stop()`` shuts it down at
/// once and removes the directory.
public final class LocalPostgresCluster: Sendable {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`: the maintenance database, as a superuser.
    public let url: String
    /// The postmaster's process id.
    public let pid: pid_t
    /// The temporary directory holding the cluster, its log and its Unix socket.
    public let directory: String

    private init(url: String, pid: pid_t, directory: String) {
        self.url = url
        self.pid = pid
        self.directory = directory
    }

    /// Where Debian's PostgreSQL 15 puts its programs.
    public static let defaultBinDirectory = "/usr/lib/postgresql/15/bin"

    /// Creates and starts a cluster; blocks for a second or two, so call it from a thread of its own.
    ///
    /// - Parameters:
    ///   - binDirectory: the directory holding `initdb` and `pg_ctl`.
    ///   - settings: server settings (`name=value`) added to the command line, e.g. `fsync=off`.
    ///   - niceness: when given, the server runs under `nice -n niceness`.
    /// - Throws: `LocalPostgresClusterError` naming the failing command, with its output.
    public static func start(binDirectory: String = defaultBinDirectory, settings: [String] = [], niceness: Int? = nil) throws
        -> LocalPostgresCluster
    {
        guard FileManager.default.isExecutableFile(atPath: binDirectory + "/initdb") else {
            throw LocalPostgresClusterError("PostgreSQL 15 is not installed in \(binDirectory): run scripts/install-test-servers.")
        }
        let asPostgresUser = geteuid() == 0
        // The postgres user must reach the cluster: as root, use /tmp rather than a TMPDIR that may be private to root.
        let temporary = asPostgresUser ? URL(fileURLWithPath: "/tmp") : FileManager.default.temporaryDirectory
        let directory = temporary.appendingPathComponent("courier-postgres-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        if asPostgresUser {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            guard let account = getpwnam("postgres") else {
                throw LocalPostgresClusterError("Running as root needs a 'postgres' user to own the cluster.")
            }
            guard chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw LocalPostgresClusterError("Cannot give \(directory) to the postgres user: \(String(cString: strerror(errno))).")
            }
        }
        func run(_ tool: String, _ arguments: [String]) throws {
            let command = (niceness.map { ["/usr/bin/nice", "-n", "\($0)"] } ?? []) + [binDirectory + "/" + tool] + arguments
            try runProcess(
                asPostgresUser ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + command : command, name: tool, log: directory + "/commands.log")
        }
        let data = directory + "/data"
        try run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"])
        let port = try LoopbackSocket.freePort()
        let serverOptions = ["-p \(port)", "-k \(directory)", "-c listen_addresses=127.0.0.1"] + settings.map { "-c \($0)" }
        // -w: pg_ctl returns once the server accepts connections, or fails after -t seconds.
        try run("pg_ctl", ["-D", data, "-l", directory + "/postgres.log", "-w", "-t", "60", "-o", serverOptions.joined(separator: " "), "start"])
        let pidFile = try String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8)
        guard let pid = pid_t(pidFile.prefix { $0 != "\n" }) else { throw LocalPostgresClusterError("postmaster.pid has no process id.") }
        return LocalPostgresCluster(url: "postgres://postgres@127.0.0.1:\(port)/postgres", pid: pid, directory: directory)
    }

    /// Stops the server with an immediate shutdown (waiting up to 5 s for it to exit) and removes its directory.
    public func stop() {
        kill(pid, SIGQUIT)
        // The directory can only go once the server has let go of it; an immediate shutdown takes milliseconds.
        let deadline = Date().addingTimeInterval(5)
        while kill(pid, 0) == 0 && Date() < deadline { usleep(10_000) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `command` with its output appended to `log`, and waits for it.
    ///
    /// `posix_spawn` and `waitpid` rather than `Process`: pg_ctl leaves the server running in the
    /// background, and the caller only has to wait for pg_ctl itself.
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
        guard spawned == 0 else { throw LocalPostgresClusterError("Cannot run \(name): \(String(cString: strerror(spawned))).") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED and WEXITSTATUS are macros: exited normally with status 0 means the low 16 bits are all zero.
        guard status & 0xffff == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw LocalPostgresClusterError("\(name) failed (wait status \(status)); its output:\n\(output.suffix(2_000))")
        }
    }
}

/// Why a local PostgreSQL cluster could not be started.
public struct LocalPostgresClusterError: Error, Sendable, CustomStringConvertible {
    /// What failed, with the failing command's output when there is one.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
