import CourierAWS
import CourierCore
import CourierDelivery
import CourierHTTPClient
import CourierPostgres
import CourierSQLite
import CourierStorage
import Foundation

/// The validated configuration of one `courier serve` process.
public struct ServerConfiguration: Sendable {
    /// Where the HTTP server listens.
    public var host: String
    public var port: Int
    /// Data directory holding the SQLite database, CAS, master key and `owner.token`.
    public var dataDirectory: URL
    /// The database holding Courier's state.
    public var database: DatabaseLocation
    /// Where the CAS keeps content.
    public var contentStore: ContentStoreLocation
    /// Re-encrypt all credentials under a new master key before serving.
    public var rotateMasterKey: Bool
    /// How the delivery workers run.
    public var delivery: DeliveryConfiguration
    /// Which addresses integrations may connect to.
    public var egressPolicy: EgressPolicy

    /// Resolves the command-line options and the environment into a configuration.
    ///
    /// ## Defaults
    /// - listen `127.0.0.1:8080`
    /// - data directory `COURIER_DATA_DIR`, else `./.courier`
    /// - database `sqlite:<data-dir>/courier.db`; `postgres://…` (or `postgresql://…`) selects PostgreSQL
    /// - CAS `file:<data-dir>/cas`; `s3://BUCKET?region=R&endpoint=URL&pathStyle=true&prefix=P` selects an S3 bucket,
    ///   with the credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optionally `AWS_SESSION_TOKEN`
    /// - with PostgreSQL, `COURIER_MASTER_KEY` is required: replicas sharing the database must share the master key
    ///
    /// - Throws: `invalid_argument` naming the option and the fix.
    public init(options: ServeOptions, environment: [String: String]) throws(CourierError) {
        (host, port) = try Self.parseListen(options.listen)
        let directory = options.dataDirectory ?? environment["COURIER_DATA_DIR"] ?? "./.courier"
        guard !directory.isEmpty else { throw .invalid("--data-dir must not be empty.") }
        dataDirectory = URL(fileURLWithPath: directory).standardizedFileURL
        database = try Self.parseDatabase(options.database, dataDirectory: dataDirectory)
        contentStore = try Self.parseCAS(options.cas, dataDirectory: dataDirectory, environment: environment)
        if case .postgres = database, environment["COURIER_MASTER_KEY"] == nil {
            throw .invalid(
                "--database postgres://… needs COURIER_MASTER_KEY (base64 of 32 bytes, e.g. from 'openssl rand -base64 32'), the same on "
                    + "every replica: credentials sealed by one replica must open on the others.")
        }
        rotateMasterKey = options.rotateMasterKey
        delivery = try Self.parseDelivery(environment)
        egressPolicy = EgressPolicy(
            allowed: try Self.parseBlocks(environment["COURIER_EGRESS_ALLOW"], named: "COURIER_EGRESS_ALLOW"),
            denied: try Self.parseBlocks(environment["COURIER_EGRESS_DENY"], named: "COURIER_EGRESS_DENY")
        )
    }

    /// Delivery tuning from the environment.
    ///
    /// ## Environment variables
    /// - `COURIER_DELIVERY_CONCURRENCY` (1-256, default 64): attempts in flight at once.
    /// - `COURIER_ATTEMPT_TIMEOUT_SECONDS` (default 30): how long one attempt may take.
    /// - `COURIER_RETRY_INITIAL_DELAY_SECONDS` (default 2): the first retry's delay; each next one doubles, up to 15 min.
    /// - `COURIER_RETRY_MAX_ATTEMPTS` (1-100, default 12): attempts before a delivery is marked failed.
    static func parseDelivery(_ environment: [String: String]) throws(CourierError) -> DeliveryConfiguration {
        var configuration = DeliveryConfiguration()
        if let value = environment["COURIER_DELIVERY_CONCURRENCY"] {
            configuration.concurrency = try integer(value, named: "COURIER_DELIVERY_CONCURRENCY", in: 1...256)
        }
        if let value = environment["COURIER_ATTEMPT_TIMEOUT_SECONDS"] {
            configuration.attemptTimeout = .milliseconds(Int64(try seconds(value, named: "COURIER_ATTEMPT_TIMEOUT_SECONDS") * 1000))
        }
        if let value = environment["COURIER_RETRY_INITIAL_DELAY_SECONDS"] {
            configuration.retryPolicy.initialDelay = .milliseconds(Int64(try seconds(value, named: "COURIER_RETRY_INITIAL_DELAY_SECONDS") * 1000))
        }
        if let value = environment["COURIER_RETRY_MAX_ATTEMPTS"] {
            configuration.retryPolicy.maximumAttempts = try integer(value, named: "COURIER_RETRY_MAX_ATTEMPTS", in: 1...100)
        }
        return configuration
    }

    /// A comma-separated list of CIDR blocks (`169.254.169.254/32, 10.0.0.0/8`), for the egress allow and deny lists.
    static func parseBlocks(_ value: String?, named name: String) throws(CourierError) -> [CIDRBlock] {
        guard let value else { return [] }
        return try value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
            text throws(CourierError) in
            guard let block = CIDRBlock(parsing: text) else {
                throw .invalid("\(name) has '\(text)', which is not a CIDR block; write e.g. 10.0.0.0/8 or fd00::/8, separated by commas.")
            }
            return block
        }
    }

    private static func integer(_ value: String, named name: String, in range: ClosedRange<Int>) throws(CourierError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw .invalid("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(value)'.")
        }
        return number
    }

    private static func seconds(_ value: String, named name: String) throws(CourierError) -> Double {
        guard let number = Double(value), number > 0, number <= 3_600 else {
            throw .invalid("\(name) must be a number of seconds above 0 and at most 3600, not '\(value)'.")
        }
        return number
    }

    /// Path of the file the first start writes the owner token to.
    public var ownerTokenPath: URL { dataDirectory.appendingPathComponent("owner.token") }

    static func parseListen(_ value: String) throws(CourierError) -> (String, Int) {
        guard let colon = value.lastIndex(of: ":") else {
            throw .invalid("--listen '\(value)' must be HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free port).")
        }
        let host = String(value[..<colon])
        guard !host.isEmpty, let port = Int(value[value.index(after: colon)...]), (0...65535).contains(port) else {
            throw .invalid("--listen '\(value)' must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8080.")
        }
        return (host, port)
    }

    static func parseDatabase(_ value: String?, dataDirectory: URL) throws(CourierError) -> DatabaseLocation {
        guard let value else { return .sqlite(path: dataDirectory.appendingPathComponent("courier.db").path) }
        if value.hasPrefix("sqlite:") {
            let path = String(value.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .invalid("--database 'sqlite:' needs a file path, e.g. sqlite:/var/lib/courier/courier.db.") }
            return .sqlite(path: path)
        }
        if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
            return .postgres(connectionString: value)
        }
        throw .invalid("--database '\(Self.redacted(value))' is not supported; use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
    }

    static func parseCAS(_ value: String?, dataDirectory: URL, environment: [String: String]) throws(CourierError) -> ContentStoreLocation {
        guard let value else { return .fileSystem(directory: dataDirectory.appendingPathComponent("cas")) }
        if value.hasPrefix("file:") {
            let path = String(value.dropFirst("file:".count))
            guard !path.isEmpty else { throw .invalid("--cas 'file:' needs a directory, e.g. file:/var/lib/courier/cas.") }
            return .fileSystem(directory: URL(fileURLWithPath: path).standardizedFileURL)
        }
        if value.hasPrefix("s3://") {
            return .s3(try parseS3(value, environment: environment))
        }
        throw .invalid("--cas '\(Self.redacted(value))' is not supported; use file:DIRECTORY or s3://BUCKET?region=REGION.")
    }

    /// Parses `s3://BUCKET?region=R&endpoint=URL&pathStyle=true&prefix=P`, with the credentials from the environment.
    static func parseS3(_ value: String, environment: [String: String]) throws(CourierError) -> S3ContentStoreLocation {
        let example = "e.g. s3://courier-cas?region=eu-west-1 or s3://cas?endpoint=http://minio:9000&pathStyle=true"
        guard let components = URLComponents(string: value), let bucket = components.host, !bucket.isEmpty else {
            throw .invalid("--cas '\(Self.redacted(value))' must name a bucket, \(example).")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalid("--cas must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead.")
        }
        guard components.path.isEmpty || components.path == "/" else {
            throw .invalid("--cas '\(value)' has a path; put a key prefix in prefix=, \(example).")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard ["region", "endpoint", "pathStyle", "prefix"].contains(item.name) else {
                throw .invalid("--cas has an unknown parameter '\(item.name)'; use region, endpoint, pathStyle and prefix.")
            }
            query[item.name] = item.value ?? ""
        }
        var endpoint: URL?
        if let text = query["endpoint"] {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw .invalid("--cas endpoint '\(text)' must be an http:// or https:// URL, e.g. http://minio:9000.")
            }
            endpoint = url
        }
        let pathStyle: Bool
        switch query["pathStyle"] {
        case nil, "false": pathStyle = false
        case "true": pathStyle = true
        case let other?: throw .invalid("--cas pathStyle must be true or false, not '\(other)'.")
        }
        var prefix = query["prefix"] ?? ""
        if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
        guard let accessKeyID = environment["AWS_ACCESS_KEY_ID"], !accessKeyID.isEmpty,
            let secretAccessKey = environment["AWS_SECRET_ACCESS_KEY"], !secretAccessKey.isEmpty
        else {
            throw .invalid(
                "--cas s3://… needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (and AWS_SESSION_TOKEN for "
                    + "temporary credentials); credentials never go in the URL.")
        }
        let sessionToken = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let region = query["region"] ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        return S3ContentStoreLocation(
            bucket: bucket,
            prefix: prefix,
            configuration: S3Configuration(
                region: region,
                credentials: AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken),
                endpoint: endpoint,
                pathStyle: pathStyle
            )
        )
    }

    /// A URL with any user-info (passwords) removed, for messages.
    static func redacted(_ value: String) -> String {
        guard var components = URLComponents(string: value), components.password != nil || components.user != nil else { return value }
        components.user = nil
        components.password = nil
        return components.string ?? "<redacted>"
    }
}

/// Where `courier serve` keeps its state.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite database file, for one server process.
    case sqlite(path: String)
    /// A PostgreSQL database, which several replicas can share; a libpq `postgres://` URL.
    case postgres(connectionString: String)

    /// The location without any password, for messages and logs.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let connectionString): ServerConfiguration.redacted(connectionString)
        }
    }

    /// Opens the database, creating (SQLite) and migrating its schema as needed.
    func openStore() async throws -> SQLStore {
        switch self {
        case .sqlite(let path): try await SQLStore.sqlite(path: path)
        case .postgres(let connectionString): try await SQLStore.postgres(connectionString: connectionString)
        }
    }
}

/// Where the CAS keeps content.
public enum ContentStoreLocation: Sendable, Equatable {
    /// A directory, for one server process.
    case fileSystem(directory: URL)
    /// An S3-compatible bucket, which several replicas can share.
    case s3(S3ContentStoreLocation)
}

/// An S3 bucket holding the CAS, and how to reach it.
public struct S3ContentStoreLocation: Sendable, Equatable {
    /// The bucket's name.
    public var bucket: String
    /// Prepended to every object key; empty or ending in `/`.
    public var prefix: String
    /// Region, credentials, endpoint and addressing style.
    public var configuration: S3Configuration
}
