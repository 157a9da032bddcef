import CourierIntegrationKit
import Foundation

/// Sends signed webhook messages to one endpoint and turns each answer into an ``ExecutionOutcome``.
struct WebhookSender: Sendable {
    /// How much of a failing response's body goes into the reason.
    static let bodyExcerptLength = 200

    private let endpoint: URL
    private let signer: StandardWebhookSigner
    private let context: IntegrationContext
    /// What failure reasons must not show; parsed only when a reason is written.
    private let url: String
    private let secret: String

    /// A sender to `endpoint` (parsed from `url`), signing with `secret`.
    init(url: String, endpoint: URL, secret: String, context: IntegrationContext) throws(StandardWebhookError) {
        self.endpoint = endpoint
        self.signer = try StandardWebhookSigner(secret: secret)
        self.context = context
        self.url = url
        self.secret = secret
    }

    /// POSTs one message and classifies the answer: 2xx delivered (referenced by `webhookID`); 408, 425, 429, 5xx and
    /// transient transport failures retryable; anything else rejected.
    ///
    /// A streamed payload is read twice, never held in memory: once to sign the message (on a blocking thread), then
    /// while it is sent. A payload that cannot be read makes the message retryable.
    func post(webhookID: String, kind: String, metadata: String, payload: OutboundHTTPBody) async -> ExecutionOutcome {
        let timestamp = Int64(context.now().timeIntervalSince1970.rounded(.down))
        switch payload {
        case .bytes(let data):
            let body = WebhookBody.body(metadata: metadata, kind: kind, payload: data)
            let signature = signer.headers(id: webhookID, timestamp: timestamp, body: body)
            return await post(body: .bytes(body), signedWith: signature, webhookID: webhookID)
        case .stream(let stream):
            let body = WebhookBody.body(metadata: metadata, kind: kind, payload: stream)
            let signature: [HTTPHeaderField]
            do {
                // The signing pass reads the whole payload: on a thread that may block, not on the cooperative pool.
                let signer = self.signer
                signature = try await BlockingThreads.shared.value { try signer.headers(id: webhookID, timestamp: timestamp, body: body) }
            } catch {
                return .retryable(reason: "reading the payload failed: \(error)", retryAfter: nil)
            }
            return await post(body: .stream(body), signedWith: signature, webhookID: webhookID)
        }
    }

    /// Sends `body` with the signature headers and classifies the answer.
    private func post(body: OutboundHTTPBody, signedWith signatureHeaders: [HTTPHeaderField], webhookID: String) async -> ExecutionOutcome {
        let request = OutboundHTTPRequest(
            method: "POST", url: endpoint,
            headers: [HTTPHeaderField("Content-Type", "application/json")] + signatureHeaders,
            body: body,
            timeout: context.requestTimeout ?? WebhookIntegration.defaultRequestTimeout
        )
        let response: OutboundHTTPResponse
        do {
            response = try await context.http.send(request)
        } catch {
            let reason = Redaction(url: url, secret: secret).apply(to: "sending HTTP request: \(error)")
            return error.isTransient ? .retryable(reason: reason, retryAfter: nil) : .rejected(reason: reason)
        }
        if response.isSuccess { return .delivered(reference: webhookID) }
        let excerpt = String(decoding: response.body.prefix(Self.bodyExcerptLength * 4), as: UTF8.self)
            .prefix(Self.bodyExcerptLength)
        let reason = Redaction(url: url, secret: secret).apply(to: "webhook responded with status code \(response.status): \(excerpt)")
        guard response.isTransientFailure else { return .rejected(reason: reason) }
        return .retryable(reason: reason, retryAfter: response.retryAfter(now: context.now()))
    }
}

/// Removes the webhook's secrets from text bound for operators: the full URL and its path and query become the masked
/// URL, the signing secret becomes `<redacted>`. A receiver echoing its own URL in an error body cannot leak it.
private struct Redaction: Sendable {
    private let replacements: [(secret: String, replacement: String)]

    init(url: String, secret: String) {
        let masked = maskURL(url)
        var replacements = [(url, masked), (secret, "<redacted>")]
        if let components = URLComponents(string: url) {
            let pathAndQuery = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
            if pathAndQuery.count > 4 { replacements.append((pathAndQuery, masked)) }
            if components.path.count > 4 { replacements.append((components.path, masked)) }
        }
        self.replacements = replacements
    }

    func apply(to text: String) -> String {
        replacements.reduce(text) { text, pair in text.replacingOccurrences(of: pair.secret, with: pair.replacement) }
    }
}
