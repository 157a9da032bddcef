import CCurl
import CourierCore
import CourierIntegrationKit
import Foundation
import Synchronization

/// The live ``HTTPClient``: libcurl behind an ``EgressGuard``.
///
/// - Each transfer runs on a thread of its own (parked between transfers, see `BlockingThreads`), so the blocking `curl_easy_perform` never occupies a thread of Swift's
///   cooperative pool; cancelling the calling task aborts the transfer.
/// - Easy handles are kept in a small pool per client, so connections to the same host are reused across requests.
/// - Every request has a hard deadline, its `timeout`, covering name resolution, connection and the whole exchange.
/// - Redirects are never followed automatically. A GET or HEAD follows up to ``maximumRedirects`` of them, each hop
///   checked by the egress guard again; any other method gets the 3xx response back, because re-sending a body to
///   another location is the caller's decision.
/// - No authentication is negotiated: a 401 (whatever its challenge) is returned like any other response.
/// - The server's certificate and host name are always verified against the system store.
/// - A streamed body (``OutboundHTTPBody/stream(_:)``) is read chunk by chunk on the transfer's thread while it is
///   sent, never held in memory whole; it is opened anew whenever libcurl must send it again. A stream that fails or
///   yields other than its declared length fails the request with ``HTTPClientError/transportFailed(_:)``.
/// - Failures become ``HTTPClientError`` values whose messages name the host and port only, never the URL's user
///   info, path or query.
public final class LiveHTTPClient: HTTPClient {
    /// The most redirects a GET or HEAD follows before its last 3xx response is returned.
    public let maximumRedirects: Int
    private let handles = CurlHandlePool(capacity: 64)
    private let threads = BlockingThreads.shared
    private let egressGuard: EgressGuard

    /// A client that checks every destination with `egressGuard`.
    public init(egressGuard: EgressGuard = EgressGuard(), maximumRedirects: Int = 5) {
        self.egressGuard = egressGuard
        self.maximumRedirects = maximumRedirects
    }

    public func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
        try await exchange(request, deadline: ContinuousClock.now + request.timeout)
    }

    /// Sends `request`, following redirects where allowed, each transfer limited to what is left until `deadline`.
    private func exchange(_ request: OutboundHTTPRequest, deadline: ContinuousClock.Instant) async throws(HTTPClientError)
        -> OutboundHTTPResponse
    {
        var current = request
        var redirectsFollowed = 0
        while true {
            try await checkEgress(current.url, deadline: deadline)
            let response = try await transfer(current, deadline: deadline)
            guard redirectsFollowed < maximumRedirects, let next = Self.redirect(of: current, answeredBy: response) else {
                return response
            }
            current = next
            redirectsFollowed += 1
        }
    }

    /// The egress guard's verdict on `url`. A host name must be looked up first, which libcurl's timeout does not cover:
    /// the lookup races the deadline. (Each transfer is bounded by libcurl itself, with what is left until the deadline.)
    private func checkEgress(_ url: URL, deadline: ContinuousClock.Instant) async throws(HTTPClientError) {
        if let host = url.host(percentEncoded: false), IPAddress(host) != nil {
            try await egressGuard.check(url)
            return
        }
        let egressGuard = self.egressGuard
        let verdict = await withTaskGroup(of: HTTPClientError??.self) { group in
            group.addTask {
                do throws(HTTPClientError) {
                    try await egressGuard.check(url)
                    return .some(nil)
                } catch {
                    return .some(error)
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return Task.isCancelled ? nil : .some(.timedOut)
            }
            defer { group.cancelAll() }
            while let finished = await group.next() {
                if let finished { return finished }
            }
            return .transportFailed("the request was cancelled")
        }
        if let verdict { throw verdict }
    }

    /// One request and its response, through a pooled easy handle on a thread of its own.
    private func transfer(_ request: OutboundHTTPRequest, deadline: ContinuousClock.Instant) async throws(HTTPClientError)
        -> OutboundHTTPResponse
    {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw .timedOut }
        let cancellation = CurlCancellationFlag()
        let handles = self.handles
        let threads = self.threads
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<OutboundHTTPResponse, HTTPClientError>, Never>) in
                threads.run {
                    continuation.resume(
                        returning: CurlHTTPTransfer.perform(request, within: remaining, handles: handles, cancellation: cancellation))
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }

    /// The request a GET or HEAD makes next when `response` redirects it, or `nil` when it does not or may not.
    /// Credentials (`Authorization`, `Cookie`) are dropped when the redirect leaves the original origin.
    private static func redirect(of request: OutboundHTTPRequest, answeredBy response: OutboundHTTPResponse) -> OutboundHTTPRequest? {
        guard ["GET", "HEAD"].contains(request.method.uppercased()), [301, 302, 303, 307, 308].contains(response.status),
            let location = response.header("Location"), let target = URL(string: location, relativeTo: request.url)?.absoluteURL,
            ["http", "https"].contains(target.scheme?.lowercased() ?? "")
        else { return nil }
        var next = request
        next.url = target
        let sameOrigin = target.scheme == request.url.scheme && target.host == request.url.host && target.port == request.url.port
        if !sameOrigin {
            next.headers.removeAll { ["authorization", "cookie"].contains($0.name.lowercased()) }
        }
        return next
    }
}

/// Set when the task waiting for a transfer is cancelled; the transfer's progress callback reads it.
private final class CurlCancellationFlag: Sendable {
    private let cancelled = Atomic(false)

    func cancel() { cancelled.store(true, ordering: .relaxed) }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// A curl easy handle; cleaned up when the last reference goes. Used by one transfer (one thread) at a time.
private final class CurlEasyHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    init?() {
        guard curlGlobalInitialization == CURLE_OK, let raw = curl_easy_init() else { return nil }
        self.raw = raw
    }

    deinit { curl_easy_cleanup(raw) }
}

/// Idle easy handles, each keeping its live connections (and DNS and TLS session caches) for the next transfer.
private final class CurlHandlePool: Sendable {
    private let idle = Mutex<[CurlEasyHandle]>([])
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// An idle handle, or a new one; `nil` only when libcurl cannot be initialised.
    func take() -> CurlEasyHandle? {
        idle.withLock { $0.popLast() } ?? CurlEasyHandle()
    }

    /// Returns `handle` to the pool with its options reset (connections stay open), or drops it when the pool is full.
    func giveBack(_ handle: CurlEasyHandle) {
        curl_easy_reset(handle.raw)
        idle.withLock { handles in
            if handles.count < capacity { handles.append(handle) }
        }
    }
}

/// `curl_global_init`, run once before the first transfer (Swift runs a global's initialiser exactly once).
private let curlGlobalInitialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// One blocking HTTP transfer through a curl easy handle.
private enum CurlHTTPTransfer {
    static func perform(
        _ request: OutboundHTTPRequest, within timeout: Duration, handles: CurlHandlePool, cancellation: CurlCancellationFlag
    ) -> Result<OutboundHTTPResponse, HTTPClientError> {
        let destination = destination(request.url)
        guard let handle = handles.take() else {
            return .failure(.transportFailed("libcurl could not be initialised"))
        }
        // A handle whose transfer failed may hold a broken connection; only a completed exchange goes back to the pool.
        var reusable = false
        defer { if reusable { handles.giveBack(handle) } }
        let easy = handle.raw

        let state = HTTPTransferState(cancellation: cancellation)
        let statePointer = Unmanaged.passRetained(state)
        defer { statePointer.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        for field in request.headers {
            // "Name:" would remove curl's own header of that name; "Name;" sends it with an empty value.
            headerList = curl_slist_append(headerList, field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        // No `Expect: 100-continue` before a large body: send it straight away.
        headerList = curl_slist_append(headerList, "Expect:")
        if request.body == nil, !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            // Without a body, no form content type either (curl adds one to every POST otherwise).
            headerList = curl_slist_append(headerList, "Content-Type:")
        }
        defer { curl_slist_free_all(headerList) }

        let method = request.method.uppercased()
        var status = CURLE_OK
        func set(_ result: CURLcode) { if status == CURLE_OK { status = result } }
        set(ccurl_setopt_string(easy, CURLOPT_URL, request.url.absoluteString))
        set(ccurl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(ccurl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        set(ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1))
        set(ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2))
        set(ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        set(ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(timeout)))
        set(ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, milliseconds(timeout)))
        set(ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))
        if method == "HEAD" {
            set(ccurl_setopt_long(easy, CURLOPT_NOBODY, 1))
        } else if case .stream(let stream) = request.body {
            state.upload = RequestBodyUpload(stream)
            set(ccurl_setopt_long(easy, CURLOPT_POST, 1))
            set(ccurl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(stream.length)))
            set(ccurl_setopt_read_function(easy, sendBody))
            set(ccurl_setopt_pointer(easy, CURLOPT_READDATA, statePointer.toOpaque()))
            set(ccurl_setopt_seek_function(easy, rewindBody))
            set(ccurl_setopt_pointer(easy, CURLOPT_SEEKDATA, statePointer.toOpaque()))
            if method != "POST" { set(ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)) }
        } else if let body = Self.bytes(of: request.body, method: method) {
            // The size first, so that the copy takes exactly the body's bytes, zeros included.
            set(ccurl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            body.withUnsafeBytes { bytes in
                // An empty body still needs a valid pointer: curl would otherwise read the body from a callback.
                let pointer = bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                set(ccurl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: pointer)))
            }
            if method != "POST" { set(ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)) }
        } else {
            set(ccurl_setopt_long(easy, CURLOPT_HTTPGET, 1))
            if method != "GET" { set(ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)) }
        }
        set(ccurl_setopt_write_function(easy, CURLOPT_HEADERFUNCTION, receiveHeader))
        set(ccurl_setopt_pointer(easy, CURLOPT_HEADERDATA, statePointer.toOpaque()))
        set(ccurl_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, receiveBody))
        set(ccurl_setopt_pointer(easy, CURLOPT_WRITEDATA, statePointer.toOpaque()))
        set(ccurl_setopt_long(easy, CURLOPT_NOPROGRESS, 0))
        set(ccurl_setopt_progress_function(easy, abortWhenCancelled))
        set(ccurl_setopt_pointer(easy, CURLOPT_XFERINFODATA, statePointer.toOpaque()))
        guard status == CURLE_OK else {
            return .failure(.transportFailed("configuring libcurl for \(destination) failed: \(String(cString: curl_easy_strerror(status)))"))
        }

        let result = curl_easy_perform(easy)
        state.upload?.close()
        if let failure = state.upload?.failure {
            return .failure(.transportFailed("sending the request body to \(destination) failed: \(failure)"))
        }
        guard result == CURLE_OK else {
            var osError = 0
            _ = ccurl_getinfo_long(easy, CURLINFO_OS_ERRNO, &osError)
            return .failure(error(for: result, osError: Int32(truncatingIfNeeded: osError), destination: destination))
        }
        var statusCode = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &statusCode)
        guard statusCode > 0 else {
            return .failure(.transportFailed("\(destination) did not answer with HTTP"))
        }
        reusable = true
        return .success(OutboundHTTPResponse(status: statusCode, headers: state.headers, body: Data(state.body)))
    }

    /// The in-memory body to send: the request's, or an empty one for a POST, PUT or PATCH without a body.
    private static func bytes(of body: OutboundHTTPBody?, method: String) -> Data? {
        switch body {
        case .bytes(let data): data
        case .stream: nil
        case nil: ["POST", "PUT", "PATCH"].contains(method) ? Data() : nil
        }
    }

    /// Maps a failed transfer to the client's vocabulary, naming only the destination's host and port.
    private static func error(for result: CURLcode, osError: Int32, destination: String) -> HTTPClientError {
        switch result {
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_COULDNT_RESOLVE_HOST:
            return .connectionFailed("could not resolve the host of \(destination)")
        case CURLE_COULDNT_CONNECT:
            switch osError {
            case ENETUNREACH, EHOSTUNREACH:
                return .connectionFailed("could not connect to \(destination): network unreachable")
            case ETIMEDOUT:
                return .timedOut
            default:
                return .connectionFailed("could not connect to \(destination): connection refused")
            }
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_INVALIDCERTSTATUS:
            return .tlsFailed("TLS with \(destination) failed: \(String(cString: curl_easy_strerror(result)))")
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .transportFailed("the connection to \(destination) was lost")
        case CURLE_ABORTED_BY_CALLBACK:
            return .transportFailed("the request to \(destination) was cancelled")
        default:
            return .transportFailed(
                "sending the request to \(destination) failed (curl error \(result.rawValue): \(String(cString: curl_easy_strerror(result))))")
        }
    }

    /// `host:port` of `url`, with the scheme's default port when none is written.
    private static func destination(_ url: URL) -> String {
        let host = url.host(percentEncoded: false) ?? "?"
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// The response as it arrives; touched only by the transfer's own thread (the cancellation flag is atomic).
private final class HTTPTransferState {
    let cancellation: CurlCancellationFlag
    /// The streamed request body, if the request has one.
    var upload: RequestBodyUpload?
    var headers: [HTTPHeaderField] = []
    var body: [UInt8] = []

    init(cancellation: CurlCancellationFlag) { self.cancellation = cancellation }

    /// Takes one header line as curl hands it over, CRLF included.
    func receive(headerLine: String) {
        let line = Self.trimmed(headerLine[...])
        if line.hasPrefix("HTTP/") {
            // A new status line (after a 1xx, say): only the final response's headers count.
            headers = []
        } else if let first = headerLine.utf8.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t"), let last = headers.popLast() {
            // An obsolete folded continuation of the previous field.
            headers.append(HTTPHeaderField(last.name, last.value + " " + line))
        } else if let colon = line.firstIndex(of: ":") {
            let name = Self.trimmed(line[..<colon])
            let value = Self.trimmed(line[line.index(after: colon)...])
            if !name.isEmpty { headers.append(HTTPHeaderField(name, value)) }
        }
    }

    /// `text` without leading and trailing spaces, tabs, CRs and LFs (ASCII only, as HTTP field syntax is).
    private static func trimmed(_ text: Substring) -> String {
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        let utf8 = text.utf8
        guard let start = utf8.firstIndex(where: { !isBlank($0) }), let last = utf8.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(text[start...last])
    }
}

/// `CURLOPT_HEADERFUNCTION`: one complete header line per call.
private let receiveHeader: curl_write_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let length = size * count
    let state = Unmanaged<HTTPTransferState>.fromOpaque(userdata).takeUnretainedValue()
    state.receive(headerLine: String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self))
    return length
}

/// `CURLOPT_WRITEFUNCTION`: appends the next chunk of the body.
private let receiveBody: curl_write_callback = { buffer, size, count, userdata in
    guard let userdata else { return 0 }
    let length = size * count
    guard length > 0, let buffer else { return length }
    let state = Unmanaged<HTTPTransferState>.fromOpaque(userdata).takeUnretainedValue()
    state.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
    return length
}

/// `CURLOPT_XFERINFOFUNCTION`, called about once a second and on every transfer step: non-zero aborts the transfer.
private let abortWhenCancelled: curl_xferinfo_callback = { userdata, _, _, _, _ in
    guard let userdata else { return 0 }
    return Unmanaged<HTTPTransferState>.fromOpaque(userdata).takeUnretainedValue().cancellation.isCancelled ? 1 : 0
}

/// A streamed request body being sent: the open reader, the rest of its last chunk (libcurl asks for at most its
/// buffer's size at a time) and how much was sent. Touched only by the transfer's own thread.
private final class RequestBodyUpload {
    let stream: HTTPBodyStream
    /// Why the body could not be sent, if it could not.
    private(set) var failure: String?
    private var reader: (any ContentReader)?
    private var pending = Data()
    private var sent: Int64 = 0

    init(_ stream: HTTPBodyStream) { self.stream = stream }

    /// Copies the next bytes into `buffer`: their count, 0 at the end, or `CURL_READFUNC_ABORT` on failure.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        do {
            while pending.isEmpty {
                let reader = try reader ?? stream.open()
                self.reader = reader
                guard let chunk = try reader.nextChunk() else {
                    guard sent == stream.length else {
                        return abort("the body ended after \(sent) of its \(stream.length) bytes")
                    }
                    return 0
                }
                pending = chunk
            }
            let count = min(buffer.count, pending.count)
            guard sent + Int64(count) <= stream.length else { return abort("the body is longer than its \(stream.length) bytes") }
            pending.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: pending.startIndex..<(pending.startIndex + count))
            pending = pending.dropFirst(count)
            sent += Int64(count)
            return count
        } catch {
            return abort("\(error)")
        }
    }

    /// Starts again from the first byte (libcurl re-sends the body on a new connection): the next read reopens it.
    func rewind() {
        close()
        pending = Data()
        sent = 0
        failure = nil
    }

    /// Closes the reader, if one is open.
    func close() {
        reader?.close()
        reader = nil
    }

    private func abort(_ reason: String) -> Int {
        failure = reason
        return Int(CURL_READFUNC_ABORT)
    }
}

/// `CURLOPT_READFUNCTION`: the next bytes of a streamed body.
private let sendBody: ccurl_read_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata,
        let upload = Unmanaged<HTTPTransferState>.fromOpaque(userdata).takeUnretainedValue().upload
    else { return Int(CURL_READFUNC_ABORT) }
    return upload.fill(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

/// `CURLOPT_SEEKFUNCTION`: a streamed body can go back to its start (by reopening it), nowhere else.
private let rewindBody: curl_seek_callback = { userdata, offset, origin in
    guard let userdata, offset == 0, origin == SEEK_SET,
        let upload = Unmanaged<HTTPTransferState>.fromOpaque(userdata).takeUnretainedValue().upload
    else { return CURL_SEEKFUNC_CANTSEEK }
    upload.rewind()
    return CURL_SEEKFUNC_OK
}
