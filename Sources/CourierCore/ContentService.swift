import struct Foundation.Data

/// Uploading and reading CAS content on behalf of an organization.
///
/// Content is stored once for everyone, but each organization sees only what it uploaded itself: reading content
/// that another organization uploaded is `not_found`, exactly as if it did not exist.
public struct ContentService: Sendable {
    let store: any Store
    let content: any ContentStore
    let environment: ServiceEnvironment

    public init(store: any Store, content: any ContentStore, environment: ServiceEnvironment) {
        self.store = store
        self.content = content
        self.environment = environment
    }

    /// The outcome of an upload.
    public struct Upload: Sendable, Hashable {
        public var content: StoredContent
        /// False when the organization had uploaded this content before.
        public var isNewToOrganization: Bool
    }

    /// Checks, before any byte is read, that `principal` may upload and that `digest` is well formed.
    ///
    /// - Throws: `permission_denied` unless the role may upload content; `invalid_argument` for a malformed digest.
    public func prepareUpload(digest: String, by principal: Principal) throws(CourierError) -> ContentDigest {
        try principal.require(.uploadContent)
        return try ContentDigest(parsing: digest)
    }

    /// Streams `chunks` into the content store, verifies them against `digest` and records the content for the
    /// principal's organization. Call `prepareUpload` first.
    ///
    /// - Throws: `invalid_argument` when the bytes do not match `digest` (nothing is stored); whatever reading
    ///   `chunks` throws (the partial upload is discarded).
    public func upload(
        _ digest: ContentDigest,
        from chunks: some AsyncSequence<Data, any Error>,
        by principal: Principal
    ) async throws -> Upload {
        try principal.require(.uploadContent)
        let upload = try content.makeUpload()
        let stored: StoredContent
        do {
            for try await chunk in chunks { try await upload.write(chunk) }
            stored = try await upload.commit(expectedDigest: digest)
        } catch {
            await upload.abort()
            throw error
        }
        let organizationID = principal.organizationID
        let now = environment.now()
        let isNew = try await store.write { tx in
            guard try tx.contentSize(organizationID: organizationID, digest: stored.digest.description) == nil else { return false }
            try tx.recordContent(organizationID: organizationID, digest: stored.digest.description, size: stored.size, at: now)
            return true
        }
        return Upload(content: stored, isNewToOrganization: isNew)
    }

    /// Content `digest` as the principal's organization sees it.
    ///
    /// - Throws: `permission_denied` unless the role may read or upload; `invalid_argument` for a malformed digest;
    ///   `not_found` unless the organization uploaded the content.
    public func describe(_ digest: String, by principal: Principal) async throws -> StoredContent {
        // Robots may check that content they uploaded is there.
        if !principal.allows(.uploadContent) { try principal.require(.read) }
        let parsed = try ContentDigest(parsing: digest)
        let organizationID = principal.organizationID
        let size = try await store.read { tx in try tx.contentSize(organizationID: organizationID, digest: parsed.description) }
        guard let size, try content.contains(parsed) else {
            throw CourierError.notFound("No content \(parsed) has been uploaded to this organization.")
        }
        return StoredContent(digest: parsed, size: size)
    }

    /// Opens content `digest` for reading, with the same checks as `describe`.
    public func open(_ digest: String, by principal: Principal) async throws -> any ContentReader {
        let stored = try await describe(digest, by: principal)
        return try content.open(stored.digest)
    }
}
