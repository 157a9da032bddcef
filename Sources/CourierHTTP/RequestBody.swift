import Foundation

/// The body of a request whose route streams it: an `AsyncSequence` of chunks, in order, as they arrive.
///
/// The server keeps only a few chunks waiting for the handler: while the handler is behind, it stops reading from the
/// connection, so a slow handler slows the client down instead of filling memory. Iterating throws
/// `HTTPRequestBodyError` when the body outgrows the route's limit (the server has then answered 413) or the exchange
/// ended early (the client went away, or the request was answered before its body was read). A body can be iterated
/// once.
public struct HTTPRequestBody: AsyncSequence, Sendable {
    public typealias Element = Data

    fileprivate enum Source: Sendable {
        case chunks([Data])
        case connection(RequestContext)
    }

    private let source: Source

    /// A body made of `chunks`, e.g. to call a streaming handler in process.
    public init(chunks: [Data]) {
        source = .chunks(chunks.filter { !$0.isEmpty })
    }

    /// A body of one chunk, `data` (no chunk when it is empty).
    public init(_ data: Data) {
        self.init(chunks: [data])
    }

    init(context: RequestContext) {
        source = .connection(context)
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: source)
    }

    /// Reads the whole body into memory; for small bodies only.
    public func collect() async throws -> Data {
        var collected = Data()
        for try await chunk in self { collected.append(chunk) }
        return collected
    }

    /// Yields the chunks of an `HTTPRequestBody`.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let source: Source
        private var nextIndex = 0

        fileprivate init(source: Source) {
            self.source = source
        }

        /// The next chunk, or `nil` after the last one.
        public mutating func next() async throws -> Data? {
            switch source {
            case .chunks(let chunks):
                guard nextIndex < chunks.count else { return nil }
                defer { nextIndex += 1 }
                return chunks[nextIndex]
            case .connection(let context):
                return try await context.nextBodyChunk()
            }
        }
    }
}

/// Why a streamed request body ended before its last byte.
public enum HTTPRequestBodyError: Error, Equatable, CustomStringConvertible {
    /// The body outgrew the route's limit; the server has answered 413.
    case tooLarge(limit: Int)
    /// The client went away, or the request was answered, before the body was complete.
    case interrupted

    public var description: String {
        switch self {
        case .tooLarge(let limit): "The request body is larger than the limit of \(limit) bytes."
        case .interrupted: "The request ended before its body was complete."
        }
    }
}
