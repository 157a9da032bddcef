import CourierCore
import Foundation
import Synchronization

/// Reads bytes already in memory, in chunks of at most ``chunkSize`` bytes.
public final class DataReader: ContentReader {
    /// The largest chunk handed out.
    public static let chunkSize = 64 << 10

    public let size: Int64
    private let data: Data
    /// Where the next chunk starts; `nil` once closed.
    private let offset = Mutex<Int?>(0)

    /// A reader over `data`.
    public init(_ data: Data) {
        self.data = data
        self.size = Int64(data.count)
    }

    public func nextChunk() throws -> Data? {
        offset.withLock { offset in
            guard let start = offset, start < data.count else { return nil }
            let end = min(start + Self.chunkSize, data.count)
            offset = end
            let base = data.startIndex
            return Data(data[(base + start)..<(base + end)])
        }
    }

    public func close() {
        offset.withLock { $0 = nil }
    }
}

/// Reads several readers one after the other, as one content; each is closed when it is used up, and all of them by
/// ``close()``.
public final class ConcatenatedReader: ContentReader {
    public let size: Int64
    private let readers: [any ContentReader]
    /// The reader the next chunk comes from; `readers.count` once all are used up or closed.
    private let current = Mutex(0)

    /// A reader of `readers`' content in order.
    public init(_ readers: [any ContentReader]) {
        self.readers = readers
        self.size = readers.reduce(0) { $0 + $1.size }
    }

    public func nextChunk() throws -> Data? {
        try current.withLock { current in
            while current < readers.count {
                if let chunk = try readers[current].nextChunk() {
                    if chunk.isEmpty { continue }
                    return chunk
                }
                readers[current].close()
                current += 1
            }
            return nil
        }
    }

    public func close() {
        current.withLock { current in
            for reader in readers[current...] { reader.close() }
            current = readers.count
        }
    }
}

/// Reads another reader's content base64-encoded (RFC 4648, with padding, no line breaks): the same bytes as
/// `Data.base64EncodedData()` of the whole content, produced chunk by chunk.
public final class Base64EncodingReader: ContentReader {
    public let size: Int64
    private let source: any ContentReader
    private let state = Mutex(State())

    private struct State {
        /// The 0 to 2 bytes of the source not encoded yet (a chunk's length is rarely a multiple of 3).
        var leftover = Data()
        var finished = false
    }

    /// A reader of `source`'s content in base64; closing it closes `source`.
    public init(_ source: any ContentReader) {
        self.source = source
        self.size = Self.encodedLength(of: source.size)
    }

    /// The length of the base64 encoding of `length` bytes: `4 * ((length + 2) / 3)`.
    public static func encodedLength(of length: Int64) -> Int64 {
        4 * ((length + 2) / 3)
    }

    public func nextChunk() throws -> Data? {
        try state.withLock { state in
            while !state.finished {
                guard let chunk = try source.nextChunk() else {
                    state.finished = true
                    source.close()
                    guard !state.leftover.isEmpty else { return nil }
                    defer { state.leftover = Data() }
                    return state.leftover.base64EncodedData()
                }
                var pending = state.leftover
                pending.append(chunk)
                let encodable = pending.count - pending.count % 3
                state.leftover = Data(pending.suffix(from: pending.startIndex + encodable))
                if encodable > 0 {
                    return pending.prefix(encodable).base64EncodedData()
                }
            }
            return nil
        }
    }

    public func close() {
        state.withLock { state in
            state.finished = true
            state.leftover = Data()
        }
        source.close()
    }
}

extension HTTPBodyStream {
    /// A stream of `parts` one after the other (e.g. a JSON prefix, a material's bytes, a suffix).
    public static func concatenating(_ parts: [OutboundHTTPBody]) -> HTTPBodyStream {
        HTTPBodyStream(length: parts.reduce(0) { $0 + $1.length }) {
            var readers: [any ContentReader] = []
            do {
                for part in parts {
                    switch part {
                    case .bytes(let data): readers.append(DataReader(data))
                    case .stream(let stream): readers.append(try stream.open())
                    }
                }
            } catch {
                for reader in readers { reader.close() }
                throw error
            }
            return ConcatenatedReader(readers)
        }
    }

    /// This stream's bytes base64-encoded, as `Data.base64EncodedData()` encodes them.
    public func base64Encoded() -> HTTPBodyStream {
        HTTPBodyStream(length: Base64EncodingReader.encodedLength(of: length)) { Base64EncodingReader(try open()) }
    }
}
