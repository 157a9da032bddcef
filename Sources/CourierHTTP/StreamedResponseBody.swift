import CMicroHTTPD
import Foundation

/// Feeds an `HTTPResponseStream` to libmicrohttpd's content-reader callback.
///
/// libmicrohttpd calls the reader on the connection's thread only, one call at a time, and the free callback once,
/// after the last read; so this class needs no lock and never crosses threads concurrently.
final class StreamedResponseBody {
    /// libmicrohttpd's preferred read size: larger reads are split across calls.
    static let blockSize = 64 << 10

    private let source: any HTTPBodySource
    /// The part of the last chunk that did not fit into libmicrohttpd's buffer.
    private var leftover = Data()

    private init(source: any HTTPBodySource) {
        self.source = source
    }

    /// A libmicrohttpd response that reads `stream` while it is sent; the caller destroys it after queueing it.
    static func makeResponse(_ stream: HTTPResponseStream) -> OpaquePointer? {
        let body = StreamedResponseBody(source: stream.source)
        let context = Unmanaged.passRetained(body).toOpaque()
        let response = MHD_create_response_from_callback(
            UInt64(max(0, stream.length)),
            blockSize,
            courierReadResponseBody,
            context,
            courierReleaseResponseBody
        )
        if response == nil {
            // libmicrohttpd calls the free callback only for a response it created.
            Unmanaged<StreamedResponseBody>.fromOpaque(context).release()
            stream.source.close()
        }
        return response
    }

    /// Copies up to `capacity` bytes into `buffer`; returns the count, or one of libmicrohttpd's end markers.
    fileprivate func read(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        if leftover.isEmpty {
            do {
                guard let chunk = try source.nextChunk() else { return cmhd_content_reader_end_of_stream }
                leftover = chunk
            } catch {
                return cmhd_content_reader_end_with_error
            }
            if leftover.isEmpty { return 0 }
        }
        let count = min(capacity, leftover.count)
        leftover.copyBytes(to: buffer.assumingMemoryBound(to: UInt8.self), count: count)
        leftover = leftover.count == count ? Data() : Data(leftover.dropFirst(count))
        return count
    }

    fileprivate func close() {
        source.close()
    }
}

/// libmicrohttpd's content-reader callback for streamed response bodies.
private let courierReadResponseBody: MHD_ContentReaderCallback = { context, _, buffer, capacity in
    guard let context, let buffer else { return cmhd_content_reader_end_with_error }
    return Unmanaged<StreamedResponseBody>.fromOpaque(context).takeUnretainedValue().read(into: buffer, capacity: capacity)
}

/// libmicrohttpd's free callback for streamed response bodies: closes the source and releases the reader.
private let courierReleaseResponseBody: MHD_ContentReaderFreeCallback = { context in
    guard let context else { return }
    let body = Unmanaged<StreamedResponseBody>.fromOpaque(context).takeRetainedValue()
    body.close()
}
