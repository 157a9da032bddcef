import CourierCAS
import CourierCore
import CourierCrypto
import Foundation
import Testing

/// A scratch directory removed when the test is done with it.
private final class ScratchDirectory: Sendable {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("courier-cas-\(UUID().uuidString)")

    deinit { try? FileManager.default.removeItem(at: url) }
}

private func digest(of data: Data) -> ContentDigest {
    ContentDigest(sha256Hex: SHA256.hex(data))
}

/// Uploads `data` in `chunkSize` pieces.
private func upload(_ data: Data, to store: some ContentStore, expecting expected: ContentDigest?, chunkSize: Int = 1000) async throws
    -> StoredContent
{
    let upload = try store.makeUpload()
    var offset = 0
    while offset < data.count {
        try await upload.write(data.subdata(in: offset..<min(offset + chunkSize, data.count)))
        offset += chunkSize
    }
    return try await upload.commit(expectedDigest: expected)
}

private func readAll(_ reader: any ContentReader) throws -> (data: Data, chunks: [Int]) {
    var data = Data()
    var chunks: [Int] = []
    while let chunk = try reader.nextChunk() {
        data.append(chunk)
        chunks.append(chunk.count)
    }
    reader.close()
    return (data, chunks)
}

private func entries(_ url: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
}

private func permissions(_ path: String) throws -> Int? {
    try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
}

@Suite struct FileSystemContentStoreTests {
    @Test func contentRoundTripsUnderItsDigestPath() async throws {
        let scratch = ScratchDirectory()
        let store = try FileSystemContentStore(directory: scratch.url)
        let data = Data("an SBOM".utf8)
        let stored = try await upload(data, to: store, expecting: digest(of: data), chunkSize: 3)
        #expect(stored == StoredContent(digest: digest(of: data), size: Int64(data.count)))
        #expect(try store.contains(stored.digest))
        #expect(try store.size(of: stored.digest) == Int64(data.count))
        #expect(try readAll(store.open(stored.digest)).data == data)

        let path = scratch.url.path + "/sha256/\(stored.digest.hex.prefix(2))/\(stored.digest.hex)"
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try permissions(path) == 0o600)
        #expect(try permissions(scratch.url.path + "/sha256/\(stored.digest.hex.prefix(2))") == 0o700)
        #expect(try permissions(scratch.url.path + "/tmp") == 0o700)
        #expect(try entries(scratch.url.appendingPathComponent("tmp")).isEmpty)
    }

    @Test func aDigestMismatchStoresNothing() async throws {
        let scratch = ScratchDirectory()
        let store = try FileSystemContentStore(directory: scratch.url)
        let named = digest(of: Data("something else".utf8))
        let actual = digest(of: Data("tampered".utf8))
        await #expect {
            _ = try await upload(Data("tampered".utf8), to: store, expecting: named)
        } throws: { error in
            (error as? CourierError)?.message
                == "The uploaded content's digest is \(actual), not the \(named) named in the request; nothing was stored."
        }
        #expect(try !store.contains(actual))
        #expect(try !store.contains(named))
        #expect(try entries(scratch.url.appendingPathComponent("sha256")).isEmpty)
        #expect(try entries(scratch.url.appendingPathComponent("tmp")).isEmpty)
        #expect(throws: CourierError.self) { try store.open(named) }
    }

    @Test func storingTheSameContentAgainChangesNothing() async throws {
        let scratch = ScratchDirectory()
        let store = try FileSystemContentStore(directory: scratch.url)
        let data = Data(repeating: 7, count: 10_000)
        let first = try await upload(data, to: store, expecting: nil)
        let second = try await upload(data, to: store, expecting: digest(of: data))
        #expect(first == second)
        #expect(try entries(scratch.url.appendingPathComponent("sha256/\(first.digest.hex.prefix(2))")) == [first.digest.hex])
        #expect(try entries(scratch.url.appendingPathComponent("tmp")).isEmpty)
    }

    @Test func concurrentUploadsOfTheSameContentAllSucceed() async throws {
        let scratch = ScratchDirectory()
        let store = try FileSystemContentStore(directory: scratch.url)
        let data = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0) })
        let expected = digest(of: data)
        let results = try await withThrowingTaskGroup(of: StoredContent.self) { group in
            for _ in 0..<8 { group.addTask { try await upload(data, to: store, expecting: expected, chunkSize: 4096) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8 && results.allSatisfy { $0 == StoredContent(digest: expected, size: Int64(data.count)) })
        #expect(try readAll(store.open(expected)).data == data)
        #expect(try entries(scratch.url.appendingPathComponent("tmp")).isEmpty)
    }

    @Test func anAbortedUploadLeavesNothingAndStaleTemporaryFilesAreCleanedAtStart() async throws {
        let scratch = ScratchDirectory()
        let store = try FileSystemContentStore(directory: scratch.url)
        let upload = try store.makeUpload()
        try await upload.write(Data("partial".utf8))
        #expect(try entries(scratch.url.appendingPathComponent("tmp")).count == 1)
        await upload.abort()
        #expect(try entries(scratch.url.appendingPathComponent("tmp")).isEmpty)

        let crashed = try store.makeUpload()
        try await crashed.write(Data("left behind by a crash".utf8))
        _ = try FileSystemContentStore(directory: scratch.url)
        #expect(try entries(scratch.url.appendingPathComponent("tmp")).isEmpty)
        await crashed.abort()
    }

    @Test func readersYieldChunksOf64KiB() async throws {
        let scratch = ScratchDirectory()
        let store = try FileSystemContentStore(directory: scratch.url)
        let data = Data((0..<(3 * 65_536 + 100)).map { UInt8(truncatingIfNeeded: $0 >> 3) })
        let stored = try await upload(data, to: store, expecting: nil, chunkSize: 50_000)
        let reader = try store.open(stored.digest)
        #expect(reader.size == Int64(data.count))
        let (read, chunks) = try readAll(reader)
        #expect(read == data)
        #expect(chunks == [65_536, 65_536, 65_536, 100])
        #expect(try reader.nextChunk() == nil, "a closed reader yields nothing")
    }

    /// A 50 MB upload streams through in 64 KiB writes and reads back in chunks, whole and exact. Its memory use is
    /// measured where it means something: on the server process, by the end-to-end CAS test.
    @Test func aLargeUploadStreamsThroughExactly() async throws {
        let scratch = ScratchDirectory()
        let store = try FileSystemContentStore(directory: scratch.url)
        let total = 50 << 20
        let block = Data((0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        var hasher = SHA256.Hasher()
        let upload = try store.makeUpload()
        for _ in 0..<(total / block.count) {
            try await upload.write(block)
            hasher.update(block)
        }
        let digest = ContentDigest(sha256Hex: hasher.finalize().hexString)
        let stored = try await upload.commit(expectedDigest: digest)
        #expect(stored.size == Int64(total))
        let reader = try store.open(digest)
        var readBack = SHA256.Hasher()
        var largestChunk = 0
        while let chunk = try reader.nextChunk() {
            readBack.update(chunk)
            largestChunk = max(largestChunk, chunk.count)
        }
        reader.close()
        #expect(readBack.finalize().hexString == digest.hex)
        #expect(largestChunk <= 65_536)
    }
}
