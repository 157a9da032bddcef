import CourierAWS
import CourierCore
import CourierCrypto
import CourierIntegrationKit
import Foundation
import Glibc
import Synchronization

/// The CAS in an S3-compatible bucket: content `sha256:<hex>` is the object `<prefix>sha256/<hex>`, so every replica
/// sharing the bucket sees the same content.
///
/// Uploads stream to a file in a local staging directory while they are hashed; a verified upload is PUT only when
/// the object is not there yet (identical content is stored once), and nothing reaches the bucket when the digest does
/// not match. Reads stream the object with ranged GETs of ``readChunkSize`` bytes, so large content is never held in
/// memory whole.
///
/// `ContentStore`'s lookups are synchronous while S3 calls are not: they run to completion off Swift's cooperative
/// pool (see ``BlockingS3Call``), so a lookup blocks its caller's thread but never waits for a thread it holds.
public struct S3ContentStore: ContentStore {
    /// The bytes one ranged GET reads.
    public static let readChunkSize = 1 << 20

    /// The bucket holding the content.
    public let bucket: String
    /// Prepended to every key, e.g. `courier/`; empty for the bucket's root.
    public let prefix: String
    private let client: S3Client
    private let http: any HTTPClient
    private let stagingPath: String

    /// A store in `bucket` under `prefix`, staging uploads in `stagingDirectory` (created when missing; stale files
    /// left by a crash are deleted).
    ///
    /// - Throws: `internal` when the staging directory cannot be prepared.
    public init(bucket: String, prefix: String = "", configuration: S3Configuration, http: any HTTPClient, stagingDirectory: URL) throws {
        self.bucket = bucket
        self.prefix = prefix
        self.http = http
        client = S3Client(configuration: configuration, http: http)
        stagingPath = stagingDirectory.path
        do {
            try FileManager.default.createDirectory(atPath: stagingPath, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            for stale in try FileManager.default.contentsOfDirectory(atPath: stagingPath) {
                try FileManager.default.removeItem(atPath: stagingPath + "/" + stale)
            }
        } catch {
            throw CourierError.internal(S3ContentStoreError("Cannot prepare the CAS staging directory \(stagingPath): \(error)"))
        }
    }

    /// Checks at start-up that the bucket exists and the credentials may use it.
    ///
    /// - Throws: `failed_precondition` naming the cause and the fix.
    public func checkBucket() async throws(CourierError) {
        do {
            try await client.headBucket(bucket)
        } catch {
            let location = client.configuration.endpoint?.absoluteString ?? "AWS region \(client.configuration.region)"
            let fix: String =
                switch error {
                case .transport: "check the endpoint= of --cas and that the S3 service is running"
                case .service(404, _, _, _): "create the bucket, or fix the bucket name in --cas"
                case .service(let status, _, _, _) where error.isCredentialRefusal || status == 403:
                    "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) and that they may use the bucket"
                case .service(301, _, _, _): "set region= in --cas to the bucket's region"
                case .service: "check the --cas URL"
                }
            throw CourierError(.failedPrecondition, "The CAS bucket '\(bucket)' at \(location) is not reachable (\(error)); \(fix).")
        }
    }

    /// The object key of `digest`: `<prefix>sha256/<hex>`.
    public func key(for digest: ContentDigest) -> String { "\(prefix)sha256/\(digest.hex)" }

    public func makeUpload() throws -> any ContentUpload {
        try S3Upload(stagingPath: stagingPath + "/" + UUID().uuidString.lowercased(), store: self)
    }

    public func contains(_ digest: ContentDigest) throws -> Bool {
        try size(of: digest) != nil
    }

    public func size(of digest: ContentDigest) throws -> Int64? {
        try BlockingS3Call.run { try await storedSize(of: digest) }
    }

    public func open(_ digest: ContentDigest) throws -> any ContentReader {
        guard let size = try size(of: digest) else { throw CourierError.notFound("No content \(digest) is stored.") }
        return S3ContentReader(store: self, key: key(for: digest), size: size)
    }

    /// The size of the object of `digest` (`HEAD`), or `nil` when there is none.
    func storedSize(of digest: ContentDigest) async throws -> Int64? {
        do {
            let attributes = try await Self.retryingTransportFailures { () throws(S3Error) in
                try await client.headObject(bucket: bucket, key: key(for: digest))
            }
            return Int64(attributes.contentLength ?? 0)
        } catch .service(404, _, _, _) {
            return nil
        } catch {
            throw CourierError.internal(S3ContentStoreError("HEAD \(key(for: digest)) failed: \(error)"))
        }
    }

    /// Stores the file at `path` as the object of `digest`, whose hex SHA-256 it has been verified to be.
    func put(fileAt path: String, as digest: ContentDigest) async throws {
        do {
            // Mapped, not read, and streamed under its verified digest: the body is paged in from the staging file as it
            // is sent, never copied whole.
            let body = HTTPBodyStream(try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped))
            _ = try await Self.retryingTransportFailures { () throws(S3Error) in
                try await client.putObject(
                    bucket: bucket, key: key(for: digest), body: .stream(body), sha256Hex: digest.hex, contentType: "application/octet-stream"
                )
            }
        } catch let error as S3Error {
            throw CourierError.internal(S3ContentStoreError("PUT \(key(for: digest)) failed: \(error)"))
        } catch {
            throw CourierError.internal(S3ContentStoreError("Cannot read the staged upload \(path): \(error)"))
        }
    }

    /// Bytes `range` of the object `key` (a ranged `GET`).
    func read(key: String, range: Range<Int64>) async throws -> Data {
        let configuration = client.configuration
        let signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
        let request = OutboundHTTPRequest(
            method: "GET", url: configuration.url(bucket: bucket, key: key),
            headers: [HTTPHeaderField("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")], timeout: .seconds(60)
        )
        let response: OutboundHTTPResponse
        do {
            response = try await Self.retryingTransportFailures { () throws(S3Error) in
                do throws(HTTPClientError) {
                    return try await http.send(signer.sign(request, at: Date()))
                } catch {
                    throw .transport(error)
                }
            }
        } catch {
            throw CourierError.internal(S3ContentStoreError("GET \(key) failed: \(error)"))
        }
        guard response.isSuccess, response.body.count == range.count else {
            throw CourierError.internal(
                S3ContentStoreError("GET \(key) bytes \(range) answered HTTP \(response.status) with \(response.body.count) bytes"))
        }
        return response.body
    }
}

extension S3ContentStore {
    /// The most times one request is sent when the connection fails.
    static let transportAttempts = 3

    /// Runs `request`, sending it again when the connection fails: a keep-alive connection the service has closed
    /// fails the next request on it. Every request of the store is idempotent (content is addressed by its digest).
    static func retryingTransportFailures<Value>(_ request: () async throws(S3Error) -> Value) async throws(S3Error) -> Value {
        var attempt = 1
        while true {
            do {
                return try await request()
            } catch .transport where attempt < transportAttempts {
                attempt += 1
            }
        }
    }
}

/// An upload streaming into a staging file while it is hashed.
private final class S3Upload: ContentUpload {
    private let stagingPath: String
    private let store: S3ContentStore
    /// The staging file, until the upload is committed or aborted.
    private var file: FileHandle?
    /// Hashes what is written; `nil` once the upload is committed.
    private var hasher: SHA256.Hasher? = SHA256.Hasher()
    private var size: Int64 = 0

    init(stagingPath: String, store: S3ContentStore) throws {
        guard FileManager.default.createFile(atPath: stagingPath, contents: nil, attributes: [.posixPermissions: 0o600]),
            let file = FileHandle(forWritingAtPath: stagingPath)
        else { throw CourierError.internal(S3ContentStoreError("Cannot create the staging file \(stagingPath)")) }
        self.stagingPath = stagingPath
        self.store = store
        self.file = file
    }

    deinit { discard() }

    func write(_ chunk: Data) async throws {
        guard let file else { throw CourierError.internal(S3ContentStoreError("The upload \(stagingPath) is already finished")) }
        do {
            try file.write(contentsOf: chunk)
        } catch {
            throw CourierError.internal(S3ContentStoreError("Cannot write the staging file \(stagingPath): \(error)"))
        }
        hasher?.update(chunk)
        size += Int64(chunk.count)
    }

    func commit(expectedDigest: ContentDigest?) async throws -> StoredContent {
        guard let file, let hasher = hasher.take() else {
            throw CourierError.internal(S3ContentStoreError("The upload \(stagingPath) is already finished"))
        }
        defer { discard() }
        try? file.close()
        self.file = nil
        let digest = ContentDigest(sha256Hex: hasher.finalize().hexString)
        if let expectedDigest, expectedDigest != digest {
            throw CourierError.contentDigestMismatch(actual: digest, expected: expectedDigest)
        }
        // Identical content is already there: keep it (dedupe).
        if try await store.storedSize(of: digest) == nil {
            try await store.put(fileAt: stagingPath, as: digest)
        }
        return StoredContent(digest: digest, size: size)
    }

    func abort() async {
        discard()
    }

    /// Closes and deletes the staging file.
    private func discard() {
        try? file?.close()
        file = nil
        unlink(stagingPath)
    }
}

/// Reads an object with one ranged GET per chunk.
private final class S3ContentReader: ContentReader {
    let size: Int64
    private let store: S3ContentStore
    private let key: String
    /// Where the next chunk starts; `nil` once closed.
    private let offset = Mutex<Int64?>(0)

    init(store: S3ContentStore, key: String, size: Int64) {
        self.store = store
        self.key = key
        self.size = size
    }

    func nextChunk() throws -> Data? {
        try offset.withLock { offset in
            guard let start = offset, start < size else { return nil }
            let range = start..<min(start + Int64(S3ContentStore.readChunkSize), size)
            let (store, key) = (self.store, self.key)
            let chunk = try BlockingS3Call.run { try await store.read(key: key, range: range) }
            offset = range.upperBound
            return chunk
        }
    }

    func close() {
        offset.withLock { $0 = nil }
    }
}

/// A failed S3 or staging-file operation of the CAS, for logs (the API shows only "Internal server error.").
struct S3ContentStoreError: Error, Sendable, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
