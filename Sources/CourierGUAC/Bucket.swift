import CourierAWS
import CourierCrypto
import CourierGCS
import CourierIntegrationKit
import Foundation

/// Why a bucket operation failed, in the terms the integration decides on.
enum BucketFailure: Error, Sendable {
    /// The bucket does not exist.
    case bucketNotFound
    /// The store refused the credentials themselves; the text names the cause (e.g. `SignatureDoesNotMatch`).
    case credentialsRefused(String)
    /// Refused with a bare 403 and no reason (S3 answers `HEAD` without a body); a request with a body tells why.
    case forbidden(String)
    /// Worth trying again later (unreachable, 5xx, 429).
    case transient(String, retryAfter: Duration?)
    /// Will not work without a change (other 4xx, an unusable key file).
    case permanent(String)
}

/// An object's bytes, in memory or streamed, with their SHA-256 (S3 signs it; a streamed body cannot be hashed
/// without reading it a second time).
struct BucketObject: Sendable {
    var body: OutboundHTTPBody
    /// The lowercase hex SHA-256 of the bytes.
    var sha256Hex: String

    init(body: OutboundHTTPBody, sha256Hex: String) {
        self.body = body
        self.sha256Hex = sha256Hex
    }

    /// An object of bytes in memory.
    init(_ data: Data) {
        self.init(body: .bytes(data), sha256Hex: SHA256.hex(data))
    }
}

/// The bucket a registration writes to, whichever the provider.
protocol GUACBucket: Sendable {
    /// The bucket's name.
    var name: String { get }
    /// A reference to an object for operators, e.g. `s3://bucket/key`.
    func reference(to objectName: String) -> String
    /// Checks that the bucket exists and can be read.
    func check() async throws(BucketFailure)
    /// Stores an object.
    func upload(_ objectName: String, content: BucketObject, contentType: String, metadata: [String: String]) async throws(BucketFailure)
    /// Deletes an object.
    func delete(_ objectName: String) async throws(BucketFailure)
}

/// A bucket in S3 or an S3-compatible store.
struct S3Bucket: GUACBucket {
    let name: String
    let client: S3Client

    func reference(to objectName: String) -> String { "s3://\(name)/\(objectName)" }

    func check() async throws(BucketFailure) {
        do {
            try await client.headBucket(name)
        } catch {
            throw Self.failure(error)
        }
    }

    func upload(_ objectName: String, content: BucketObject, contentType: String, metadata: [String: String]) async throws(BucketFailure) {
        do {
            try await client.putObject(
                bucket: name, key: objectName, body: content.body, sha256Hex: content.sha256Hex, contentType: contentType, metadata: metadata
            )
        } catch {
            throw Self.failure(error)
        }
    }

    func delete(_ objectName: String) async throws(BucketFailure) {
        do {
            try await client.deleteObject(bucket: name, key: objectName)
        } catch {
            throw Self.failure(error)
        }
    }

    private static func failure(_ error: S3Error) -> BucketFailure {
        if case .service(_, let code, _, _) = error, error.isCredentialRefusal { return .credentialsRefused(code) }
        if case .service(let status, let code, _, let retryAfter) = error {
            if status == 404 && ["NoSuchBucket", "NotFound"].contains(code) { return .bucketNotFound }
            if status == 403 && code == "Forbidden" { return .forbidden(error.description) }
            if error.isTransient { return .transient(error.description, retryAfter: retryAfter) }
        }
        if case .transport = error, error.isTransient { return .transient(error.description, retryAfter: nil) }
        return .permanent(error.description)
    }
}

/// A bucket in Google Cloud Storage (or an emulator of its JSON API).
struct GCSBucket: GUACBucket {
    let name: String
    let client: GCSClient

    func reference(to objectName: String) -> String { "gs://\(name)/\(objectName)" }

    func check() async throws(BucketFailure) {
        do {
            try await client.getBucket(name)
        } catch {
            throw Self.failure(error)
        }
    }

    func upload(_ objectName: String, content: BucketObject, contentType: String, metadata: [String: String]) async throws(BucketFailure) {
        do {
            try await client.insertObject(bucket: name, name: objectName, content: content.body, contentType: contentType, metadata: metadata)
        } catch {
            throw Self.failure(error)
        }
    }

    func delete(_ objectName: String) async throws(BucketFailure) {
        do {
            try await client.deleteObject(bucket: name, name: objectName)
        } catch {
            throw Self.failure(error)
        }
    }

    private static func failure(_ error: GCSError) -> BucketFailure {
        switch error {
        case .credentialsRefused(let reason): return .credentialsRefused(reason)
        case .service(404, _, _): return .bucketNotFound
        case .service(401, let message, _): return .credentialsRefused(message)
        case .service(_, _, let retryAfter) where error.isTransient: return .transient(error.description, retryAfter: retryAfter)
        case .transport where error.isTransient: return .transient(error.description, retryAfter: nil)
        default: return .permanent(error.description)
        }
    }
}
