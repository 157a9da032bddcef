import CourierCore
import CourierCrypto
import Foundation
import Synchronization

/// A `ContentStore` in memory, for tests: uploads are buffered whole and verified like the real stores'.
public final class InMemoryContentStore: ContentStore {
    private let objects = Mutex<[ContentDigest: Data]>([:])

    public init() {}

    public func makeUpload() throws -> any ContentUpload {
        MemoryUpload(store: self)
    }

    public func contains(_ digest: ContentDigest) throws -> Bool {
        objects.withLock { $0[digest] != nil }
    }

    public func size(of digest: ContentDigest) throws -> Int64? {
        objects.withLock { $0[digest].map { Int64($0.count) } }
    }

    public func open(_ digest: ContentDigest) throws -> any ContentReader {
        guard let data = objects.withLock({ $0[digest] }) else { throw CourierError.notFound("No content \(digest) is stored.") }
        return MemoryReader(data: data)
    }

    /// Every stored digest, for assertions.
    public var digests: Set<ContentDigest> {
        objects.withLock { Set($0.keys) }
    }

    fileprivate func store(_ data: Data, as digest: ContentDigest) {
        objects.withLock { objects in
            if objects[digest] == nil { objects[digest] = data }
        }
    }
}

private final class MemoryUpload: ContentUpload {
    private let store: InMemoryContentStore
    private var buffer: Data? = Data()

    init(store: InMemoryContentStore) {
        self.store = store
    }

    func write(_ chunk: Data) async throws {
        buffer?.append(chunk)
    }

    func commit(expectedDigest: ContentDigest?) async throws -> StoredContent {
        guard let data = buffer else { throw CourierError(.internal, "The upload has already finished.") }
        buffer = nil
        let digest = ContentDigest(sha256Hex: SHA256.hex(data))
        if let expectedDigest, expectedDigest != digest {
            throw CourierError.contentDigestMismatch(actual: digest, expected: expectedDigest)
        }
        store.store(data, as: digest)
        return StoredContent(digest: digest, size: Int64(data.count))
    }

    func abort() async {
        buffer = nil
    }
}

/// Yields stored bytes in chunks of at most 64 KiB.
private final class MemoryReader: ContentReader {
    let size: Int64
    private let remaining: Mutex<Data?>

    init(data: Data) {
        size = Int64(data.count)
        remaining = Mutex(data)
    }

    func nextChunk() throws -> Data? {
        remaining.withLock { remaining in
            guard let data = remaining, !data.isEmpty else { return nil }
            let chunk = data.prefix(64 << 10)
            remaining = data.dropFirst(chunk.count)
            return Data(chunk)
        }
    }

    func close() {
        remaining.withLock { $0 = nil }
    }
}
