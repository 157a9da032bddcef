import CourierAWS
import CourierCore
import CourierCrypto
import CourierHTTPClient
import CourierS3CAS
import CourierTestSupport
import Foundation
import Testing

/// The S3 CAS against `moto_server` with signature checking on.
@Suite(.serialized, .timeLimit(.minutes(2))) struct S3ContentStoreTests {
    /// Holds every staging directory of one test; removed with it.
    let temporary: TemporaryDirectory

    init() throws {
        temporary = try TemporaryDirectory()
    }

    /// A staging directory of its own inside ``temporary``.
    private func stagingDirectory() -> URL {
        temporary.url.appendingPathComponent("staging-\(UUID().uuidString)")
    }

    /// A store in a fresh bucket of a fresh moto, under `prefix`, with its staging directory. Keep the moto: it is
    /// killed when released.
    private func makeStore(prefix: String = "cas/") async throws -> (MotoS3, S3ContentStore, S3Client) {
        let moto = try await MotoS3.start()
        let client = moto.client()
        try await client.createBucket("courier-cas")
        let store = try S3ContentStore(
            bucket: "courier-cas", prefix: prefix, configuration: client.configuration, http: LiveHTTPClient(),
            stagingDirectory: stagingDirectory()
        )
        try await store.checkBucket()
        return (moto, store, client)
    }

    /// Writes `content` in chunks of `chunkSize` and commits it against `expected`.
    private static func upload(_ content: Data, to store: S3ContentStore, expected: ContentDigest?, chunkSize: Int = 100_000) async throws
        -> StoredContent
    {
        let upload = try store.makeUpload()
        for start in stride(from: 0, to: content.count, by: chunkSize) {
            try await upload.write(content[start..<min(start + chunkSize, content.count)])
        }
        return try await upload.commit(expectedDigest: expected)
    }

    @Test func contentRoundTripsInChunksUnderTheDigestKey() async throws {
        let (moto, store, client) = try await makeStore()
        // Larger than one ranged GET, and not a multiple of it.
        let content = Data((0..<(S3ContentStore.readChunkSize * 2 + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let digest = ContentDigest(sha256Hex: SHA256.hex(content))
        #expect(try store.contains(digest) == false)

        let stored = try await Self.upload(content, to: store, expected: digest)
        #expect(stored == StoredContent(digest: digest, size: Int64(content.count)))
        #expect(try store.contains(digest))
        #expect(try store.size(of: digest) == Int64(content.count))
        let attributes = try await client.headObject(bucket: "courier-cas", key: "cas/sha256/\(digest.hex)")
        #expect(attributes.contentLength == content.count)

        let reader = try store.open(digest)
        #expect(reader.size == Int64(content.count))
        var chunks: [Data] = []
        while let chunk = try reader.nextChunk() { chunks.append(chunk) }
        #expect(chunks.map(\.count) == [S3ContentStore.readChunkSize, S3ContentStore.readChunkSize, 12_345])
        #expect(chunks.reduce(Data(), +) == content)
        reader.close()
        #expect(try reader.nextChunk() == nil)
        #expect(try store.open(digest).readToEnd() == content)
        await moto.emulator.stop()
    }

    @Test func aDigestMismatchStoresNothing() async throws {
        let (moto, store, client) = try await makeStore()
        let content = Data("the real bytes".utf8)
        let actual = ContentDigest(sha256Hex: SHA256.hex(content))
        let claimed = ContentDigest(sha256Hex: SHA256.hex(Data("other bytes".utf8)))
        await #expect(throws: CourierError.self) { try await Self.upload(content, to: store, expected: claimed) }
        #expect(try store.contains(actual) == false)
        #expect(try store.contains(claimed) == false)
        await #expect(throws: S3Error.self) { try await client.headObject(bucket: "courier-cas", key: "cas/sha256/\(actual.hex)") }
        await moto.emulator.stop()
    }

    @Test func existingContentIsNotUploadedAgain() async throws {
        let (moto, _, client) = try await makeStore(prefix: "")
        let http = RecordingHTTPClient()
        let store = try S3ContentStore(
            bucket: "courier-cas", configuration: client.configuration, http: http,
            stagingDirectory: stagingDirectory()
        )
        let content = Data("stored once".utf8)
        let digest = ContentDigest(sha256Hex: SHA256.hex(content))
        _ = try await Self.upload(content, to: store, expected: digest)
        #expect(try await Self.upload(content, to: store, expected: nil) == StoredContent(digest: digest, size: Int64(content.count)))
        #expect(http.requests.filter { $0.method == "PUT" }.count == 1, "the second upload only checks that the object exists")
        #expect(try await client.getObject(bucket: "courier-cas", key: "sha256/\(digest.hex)").body == content)
        await moto.emulator.stop()
    }

    @Test func missingContentIsNotFound() async throws {
        let (moto, store, _) = try await makeStore()
        let missing = ContentDigest(sha256Hex: String(repeating: "ab", count: 32))
        #expect(try store.contains(missing) == false)
        #expect(try store.size(of: missing) == nil)
        #expect(throws: CourierError.self) { try store.open(missing) }
        await moto.emulator.stop()
    }

    @Test func aMissingBucketOrRefusedKeyFailsTheStartUpCheckWithTheFix() async throws {
        let (moto, _, client) = try await makeStore()
        let staging = stagingDirectory()
        let missing = try S3ContentStore(
            bucket: "no-such-bucket", configuration: client.configuration, http: LiveHTTPClient(), stagingDirectory: staging)
        await #expect {
            try await missing.checkBucket()
        } throws: { error in
            (error as? CourierError)?.message.contains("create the bucket") == true
        }
        var refused = client.configuration
        refused.credentials = AWSCredentials(accessKeyID: moto.credentials.accessKeyID, secretAccessKey: "wrong")
        let wrongKey = try S3ContentStore(bucket: "courier-cas", configuration: refused, http: LiveHTTPClient(), stagingDirectory: staging)
        await #expect {
            try await wrongKey.checkBucket()
        } throws: { error in
            (error as? CourierError)?.message.contains("AWS_SECRET_ACCESS_KEY") == true
        }
    }
}
