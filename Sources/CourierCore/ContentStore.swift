import struct Foundation.Data

/// A content digest: `sha256:` followed by 64 lowercase hex digits, the key of the content-addressed store (CAS).
public struct ContentDigest: Sendable, Hashable, CustomStringConvertible {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Parses `sha256:<64 lowercase hex digits>`.
    ///
    /// - Throws: `invalid_argument` naming the expected form.
    public init(parsing value: String) throws(CourierError) {
        let prefix = "sha256:"
        let hex = value.hasPrefix(prefix) ? value.dropFirst(prefix.count) : ""
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw .invalid("'\(value.prefix(100))' is not a content digest; use sha256: followed by 64 lowercase hex digits.")
        }
        self.hex = String(hex)
    }

    /// A digest from 64 lowercase hex digits the caller computed itself.
    public init(sha256Hex hex: String) {
        precondition(hex.utf8.count == 64, "A SHA-256 digest has 64 hex digits")
        self.hex = hex
    }

    /// `sha256:<hex>`.
    public var description: String { "sha256:\(hex)" }
}

/// Content that is in the store.
public struct StoredContent: Sendable, Hashable {
    public var digest: ContentDigest
    /// The size in bytes.
    public var size: Int64

    public init(digest: ContentDigest, size: Int64) {
        self.digest = digest
        self.size = size
    }
}

/// The content-addressed store of material bytes (CAS): content is written in chunks, verified against its SHA-256
/// digest, and read back in chunks, so that a large SBOM is never held in memory whole.
///
/// The store is shared by all organizations (identical content is stored once); which organization uploaded what is
/// recorded in the `Store` (`recordContent`), and callers check it before reading. Conform a backend to this protocol
/// and test it like `FileSystemContentStore` (CourierCASTests).
///
/// The methods are synchronous and may block on a remote store (S3); readers are meant for threads that may block,
/// such as the HTTP client's transfer threads.
public protocol ContentStore: Sendable {
    /// Starts an upload. Nothing is visible until `commit`; an upload that is neither committed nor aborted is
    /// discarded when it is released.
    func makeUpload() throws -> any ContentUpload

    /// Whether content `digest` is stored.
    func contains(_ digest: ContentDigest) throws -> Bool

    /// The size of content `digest`, or `nil` when it is not stored.
    func size(of digest: ContentDigest) throws -> Int64?

    /// Opens content `digest` for reading in chunks.
    ///
    /// - Throws: `not_found` when it is not stored.
    func open(_ digest: ContentDigest) throws -> any ContentReader
}

/// One upload in progress; used by one task at a time.
public protocol ContentUpload: AnyObject {
    /// Appends the next bytes of the content.
    func write(_ chunk: Data) async throws

    /// Verifies the SHA-256 of everything written and makes the content visible under it. Storing content that is
    /// already there changes nothing.
    ///
    /// - Parameter expectedDigest: The digest the uploader named; `nil` accepts whatever was written.
    /// - Throws: `invalid_argument` ("The uploaded content's digest is sha256:…, not the sha256:… named in the
    ///   request; nothing was stored.") when the content does not match `expectedDigest`; nothing is stored then.
    func commit(expectedDigest: ContentDigest?) async throws -> StoredContent

    /// Discards everything written. Safe to call after `commit` or more than once.
    func abort() async
}

/// Reads stored content in chunks, from one thread at a time.
public protocol ContentReader: Sendable {
    /// The content's size in bytes.
    var size: Int64 { get }

    /// The next chunk, or `nil` after the last one.
    func nextChunk() throws -> Data?

    /// Releases the reader's resources; reading afterwards yields `nil`.
    func close()
}

extension CourierError {
    /// The error of an upload whose bytes do not hash to the digest named in the request.
    public static func contentDigestMismatch(actual: ContentDigest, expected: ContentDigest) -> CourierError {
        .invalid("The uploaded content's digest is \(actual), not the \(expected) named in the request; nothing was stored.")
    }
}

extension ContentReader {
    /// Every remaining byte, in memory: for small content and tests; stream large content chunk by chunk instead.
    public func readToEnd() throws -> Data {
        var data = Data()
        data.reserveCapacity(Int(clamping: size))
        while let chunk = try nextChunk() { data.append(chunk) }
        return data
    }
}
