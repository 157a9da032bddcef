import CourierCore
import CourierIntegrationKit
import Foundation
import Synchronization
import Testing

/// Hands out `data` in chunks of exactly `chunkSize` bytes (the last one shorter), like a store with that chunk size.
final class ChunkedReader: ContentReader {
    let size: Int64
    private let data: Data
    private let chunkSize: Int
    private let offset = Mutex<Int?>(0)

    init(_ data: Data, chunkSize: Int) {
        self.data = data
        self.size = Int64(data.count)
        self.chunkSize = chunkSize
    }

    func nextChunk() throws -> Data? {
        offset.withLock { offset in
            guard let start = offset, start < data.count else { return nil }
            offset = min(start + chunkSize, data.count)
            return data.subdata(in: start..<min(start + chunkSize, data.count))
        }
    }

    func close() { offset.withLock { $0 = nil } }

    /// Whether ``close()`` was called.
    var isClosed: Bool { offset.withLock { $0 == nil } }
}

/// Bytes whose values differ from position to position, so that misplaced chunks show.
func patternedBytes(_ count: Int) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 251) })
}

@Suite struct ContentReaderTests {
    @Test(arguments: [1, 2, 3, 4, 5, 7, 64 << 10])
    func base64EqualsFoundationWhateverTheChunks(chunkSize: Int) throws {
        for length in Array(0...10) + [299, 300, 301, 100_000] {
            let data = patternedBytes(length)
            let reader = Base64EncodingReader(ChunkedReader(data, chunkSize: chunkSize))
            #expect(reader.size == Int64(data.base64EncodedData().count))
            #expect(try reader.readToEnd() == data.base64EncodedData(), "\(length) bytes in chunks of \(chunkSize)")
            #expect(try reader.nextChunk() == nil)
        }
    }

    @Test func base64LengthIsKnownInAdvance() {
        #expect((0...9).map { Base64EncodingReader.encodedLength(of: $0) } == [0, 4, 4, 4, 8, 8, 8, 12, 12, 12])
        #expect(Base64EncodingReader.encodedLength(of: 209_715_200) == 279_620_268)
    }

    @Test func base64ReaderClosesItsSource() throws {
        let source = ChunkedReader(patternedBytes(10), chunkSize: 4)
        let reader = Base64EncodingReader(source)
        _ = try reader.nextChunk()
        reader.close()
        #expect(source.isClosed)
        #expect(try reader.nextChunk() == nil)
    }

    @Test func concatenationReadsEachReaderInOrderAndSkipsEmptyOnes() throws {
        let parts = [patternedBytes(5), Data(), patternedBytes(70_000), Data("end".utf8)]
        let sources = parts.map { ChunkedReader($0, chunkSize: 3) }
        let reader = ConcatenatedReader(sources)
        #expect(reader.size == Int64(parts.map(\.count).reduce(0, +)))
        #expect(try reader.readToEnd() == parts.reduce(Data(), +))
        #expect(sources.allSatisfy { $0.isClosed })
    }

    @Test func closingAConcatenationClosesTheReadersNotUsedUp() throws {
        let sources = [ChunkedReader(Data("ab".utf8), chunkSize: 1), ChunkedReader(Data("cd".utf8), chunkSize: 1)]
        let reader = ConcatenatedReader(sources)
        #expect(try reader.nextChunk() == Data("a".utf8))
        reader.close()
        #expect(sources.allSatisfy { $0.isClosed })
        #expect(try reader.nextChunk() == nil)
    }

    @Test func dataReaderHandsOutBoundedChunksOfASlice() throws {
        let whole = patternedBytes(DataReader.chunkSize * 2 + 10)
        let slice = whole[5...]
        let reader = DataReader(slice)
        var chunks: [Data] = []
        while let chunk = try reader.nextChunk() { chunks.append(chunk) }
        #expect(chunks.map(\.count) == [DataReader.chunkSize, DataReader.chunkSize, 5])
        #expect(chunks.reduce(Data(), +) == Data(slice))
    }

    @Test func composedStreamsReopenFromTheStart() throws {
        let payload = patternedBytes(1_000)
        let opened = Mutex(0)
        let source = HTTPBodyStream(length: Int64(payload.count)) {
            opened.withLock { $0 += 1 }
            return ChunkedReader(payload, chunkSize: 7)
        }
        let stream = HTTPBodyStream.concatenating([.bytes(Data("[\"".utf8)), .stream(source.base64Encoded()), .bytes(Data("\"]".utf8))])
        let expected = Data("[\"".utf8) + payload.base64EncodedData() + Data("\"]".utf8)
        #expect(stream.length == Int64(expected.count))
        #expect(try stream.collect() == expected)
        #expect(try stream.collect() == expected)
        #expect(opened.withLock { $0 } == 2)
    }

    @Test func aStreamedFormFieldEncodesLikeOneInMemory() throws {
        let bom = patternedBytes(150_000)
        var inMemory = MultipartFormData(boundary: "b0undary")
        inMemory.addField("bom", data: bom)
        inMemory.addField("project", "p-1")
        var streamed = MultipartFormData(boundary: "b0undary")
        streamed.addField("bom", stream: HTTPBodyStream(length: Int64(bom.count)) { ChunkedReader(bom, chunkSize: 4_096) })
        streamed.addField("project", "p-1")
        guard case .bytes(let expected) = inMemory.body, case .stream(let stream) = streamed.body else {
            Issue.record("a form without streams is in memory, one with a stream is streamed")
            return
        }
        #expect(stream.length == Int64(expected.count))
        #expect(try stream.collect() == expected)
    }
}
