import CCurl
import Foundation
import Synchronization

/// The live ``MailTransport``: libcurl's SMTP client.
///
/// - `smtps://` for ``SMTPConnectionSecurity/implicitTLS``, `smtp://` with STARTTLS required
///   (`CURLUSESSL_ALL`) or opportunistic (`CURLUSESSL_TRY`) otherwise;
/// - the server's certificate and host name are always verified, against ``SMTPServer/caCertificatePEM`` when given
///   (`CURLOPT_CAINFO_BLOB`), else the system store;
/// - AUTH with the account when a user name is given; connect and overall timeouts;
/// - each transfer runs on a thread of its own, so the blocking `curl_easy_perform` never occupies a thread of Swift's
///   cooperative pool; cancelling the calling task aborts the transfer.
public struct CurlMailTransport: MailTransport {
    /// Creates the transport.
    public init() {}

    public func send(_ mail: OutgoingMail, through server: SMTPServer) async throws(MailTransportError) {
        let cancellation = CancellationFlag()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, MailTransportError>, Never>) in
                let thread = Thread {
                    continuation.resume(returning: CurlSMTPTransfer.perform(mail, through: server, cancellation: cancellation))
                }
                thread.name = "courier-smtp"
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
        try result.get()
    }
}

/// Set when the task waiting for a transfer is cancelled; the transfer's progress callback reads it.
private final class CancellationFlag: Sendable {
    private let cancelled = Atomic(false)

    func cancel() { cancelled.store(true, ordering: .relaxed) }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// `curl_global_init`, run once before the first transfer (Swift runs a global's initialiser exactly once).
private let curlGlobalInitialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// One blocking SMTP transfer through a curl easy handle.
private enum CurlSMTPTransfer {
    static func perform(_ mail: OutgoingMail, through server: SMTPServer, cancellation: CancellationFlag) -> Result<Void, MailTransportError> {
        let destination = server.host.contains(":") ? "[\(server.host)]:\(server.port)" : "\(server.host):\(server.port)"
        guard curlGlobalInitialization == CURLE_OK, let handle = curl_easy_init() else {
            return .failure(.transportFailed("libcurl could not be initialised"))
        }
        defer { curl_easy_cleanup(handle) }

        let state = TransferState(payload: mail.data, cancellation: cancellation)
        let statePointer = Unmanaged.passRetained(state)
        defer { statePointer.release() }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        var recipients: UnsafeMutablePointer<curl_slist>?
        for recipient in mail.recipients { recipients = curl_slist_append(recipients, "<\(recipient)>") }
        defer { curl_slist_free_all(recipients) }

        let scheme = server.security == .implicitTLS ? "smtps" : "smtp"
        let tlsRequirement = server.security == .startTLSIfOffered ? CURLUSESSL_TRY : CURLUSESSL_ALL
        var status = CURLE_OK
        func set(_ result: CURLcode) { if status == CURLE_OK { status = result } }
        set(ccurl_setopt_string(handle, CURLOPT_URL, "\(scheme)://\(destination)"))
        set(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, scheme))
        set(ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(tlsRequirement.rawValue)))
        set(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        set(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        if let pem = server.caCertificatePEM {
            var bytes = Array(pem.utf8)
            bytes.withUnsafeMutableBytes { buffer in
                var blob = curl_blob(data: buffer.baseAddress, len: buffer.count, flags: UInt32(CURL_BLOB_COPY))
                set(ccurl_setopt_blob(handle, CURLOPT_CAINFO_BLOB, &blob))
            }
        }
        if !server.username.isEmpty {
            set(ccurl_setopt_string(handle, CURLOPT_USERNAME, server.username))
            set(ccurl_setopt_string(handle, CURLOPT_PASSWORD, server.password))
        }
        set(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(server.connectTimeout)))
        set(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(server.transferTimeout)))
        set(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(mail.sender)>"))
        set(ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients))
        set(ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1))
        set(ccurl_setopt_read_function(handle, readPayload))
        set(ccurl_setopt_pointer(handle, CURLOPT_READDATA, statePointer.toOpaque()))
        set(ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0))
        set(ccurl_setopt_progress_function(handle, abortWhenCancelled))
        set(ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, statePointer.toOpaque()))
        // The debug callback sees the server's replies; it keeps the last one to explain failures.
        set(ccurl_setopt_long(handle, CURLOPT_VERBOSE, 1))
        set(ccurl_setopt_debug_function(handle, recordServerReply))
        set(ccurl_setopt_pointer(handle, CURLOPT_DEBUGDATA, statePointer.toOpaque()))
        set(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        guard status == CURLE_OK else {
            return .failure(.transportFailed("configuring libcurl failed: \(String(cString: curl_easy_strerror(status)))"))
        }

        let result = curl_easy_perform(handle)
        guard result != CURLE_OK else { return .success(()) }
        var responseCode = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &responseCode)
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(result))
        let failure = error(
            for: result, responseCode: responseCode, errorReply: state.lastErrorReply, detail: detail, destination: destination)
        return .failure(failure)
    }

    /// Maps a failed transfer to the transport's vocabulary, quoting the server's last error reply where it explains more.
    private static func error(
        for result: CURLcode, responseCode: Int, errorReply: String?, detail: String, destination: String
    ) -> MailTransportError {
        let reply = errorReply ?? detail
        switch result {
        case CURLE_LOGIN_DENIED:
            return .authenticationFailed(reply)
        case CURLE_ABORTED_BY_CALLBACK:
            return .transportFailed("sending to \(destination) was cancelled")
        case CURLE_OPERATION_TIMEDOUT:
            // Some servers stall instead of answering or closing the connection after refusing AUTH.
            if errorReply?.hasPrefix("535") == true { return .authenticationFailed(reply) }
            return .timedOut("the SMTP exchange with \(destination) timed out (\(detail))")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            return .connectionFailed("could not connect to \(destination): \(detail)")
        case CURLE_USE_SSL_FAILED:
            return .tlsFailed("\(destination) does not offer STARTTLS, which is required (\(reply))")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return .tlsFailed("TLS with \(destination) failed: \(detail)")
        default:
            if let errorReply, let code = Int(errorReply.prefix(3)) {
                return .rejected(code: code, reply: errorReply)
            }
            if (400..<600).contains(responseCode) { return .rejected(code: responseCode, reply: detail) }
            return .transportFailed("the SMTP exchange with \(destination) failed: \(detail)")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// The message being uploaded and the server's last error reply; touched only by the transfer's own thread (the
/// cancellation flag is atomic).
private final class TransferState {
    let payload: [UInt8]
    let cancellation: CancellationFlag
    var offset = 0
    var lastErrorReply: String?

    init(payload: Data, cancellation: CancellationFlag) {
        self.payload = Array(payload)
        self.cancellation = cancellation
    }
}

/// `CURLOPT_XFERINFOFUNCTION`, called about once a second and on every transfer step: non-zero aborts the transfer.
private let abortWhenCancelled: curl_xferinfo_callback = { userdata, _, _, _, _ in
    guard let userdata else { return 0 }
    return Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue().cancellation.isCancelled ? 1 : 0
}

/// `CURLOPT_READFUNCTION`: copies the next chunk of the message into curl's buffer; 0 at the end.
private let readPayload: ccurl_read_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    let length = min(size * count, state.payload.count - state.offset)
    guard length > 0 else { return 0 }
    state.payload.withUnsafeBytes { bytes in
        UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + state.offset, byteCount: length)
    }
    state.offset += length
    return length
}

/// `CURLOPT_DEBUGFUNCTION`: remembers the last 4xx or 5xx reply line the server sent (`CURLINFO_HEADER_IN` for SMTP).
/// What the client sends, which includes the AUTH exchange, is ignored.
private let recordServerReply: ccurl_debug_callback = { _, type, data, size, userdata in
    guard type == CURLINFO_HEADER_IN, let data, let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    if let line = text.split(whereSeparator: \.isNewline).last(where: { $0.first == "4" || $0.first == "5" }) {
        state.lastErrorReply = String(line)
    }
    return 0
}
