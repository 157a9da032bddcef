import CourierCrypto
import CourierIntegrationKit
import Foundation

/// Signs deliveries the way the Standard Webhooks specification prescribes, so that receivers can verify them with
/// any of its libraries: `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the
/// base64-decoded part of a `whsec_…` secret.
public struct StandardWebhookSigner: Sendable {
    /// The prefix of every signing secret.
    public static let secretPrefix = "whsec_"
    /// How many random bytes a generated secret holds (the specification allows 24 to 64).
    public static let generatedSecretLength = 32

    private let key: [UInt8]

    /// A signer for `secret`, with or without its `whsec_` prefix (the reference libraries accept both).
    ///
    /// - Throws: ``StandardWebhookError/invalidSecret`` when the rest is not base64 or decodes to nothing.
    public init(secret: String) throws(StandardWebhookError) {
        let encoded = secret.hasPrefix(Self.secretPrefix) ? String(secret.dropFirst(Self.secretPrefix.count)) : secret
        guard let key = Data(base64Encoded: encoded), !key.isEmpty else { throw .invalidSecret }
        self.key = Array(key)
    }

    /// A new random secret, `whsec_` followed by the base64 of ``generatedSecretLength`` random bytes.
    public static func generateSecret() -> String {
        secretPrefix + Data(SecureRandom.bytes(generatedSecretLength)).base64EncodedString()
    }

    /// The value of the `webhook-signature` header for a message: `v1,<base64 signature>`.
    public func sign(id: String, timestamp: Int64, body: Data) -> String {
        Self.header(signature(id: id, timestamp: timestamp, body: body))
    }

    /// The value of the `webhook-signature` header for a message whose body is streamed: the body is read once, in
    /// chunks, to compute it.
    ///
    /// - Throws: What opening or reading `body` throws.
    public func sign(id: String, timestamp: Int64, body: HTTPBodyStream) throws -> String {
        var authenticator = authenticator(id: id, timestamp: timestamp)
        let reader = try body.open()
        defer { reader.close() }
        while let chunk = try reader.nextChunk() { authenticator.update(chunk) }
        return Self.header(authenticator.finalize())
    }

    /// The three headers that carry a signed message: `webhook-id`, `webhook-timestamp` and `webhook-signature`.
    public func headers(id: String, timestamp: Int64, body: Data) -> [HTTPHeaderField] {
        Self.headers(id: id, timestamp: timestamp, signature: sign(id: id, timestamp: timestamp, body: body))
    }

    /// The three headers that carry a signed message whose body is streamed (read once to sign it).
    ///
    /// - Throws: What opening or reading `body` throws.
    public func headers(id: String, timestamp: Int64, body: HTTPBodyStream) throws -> [HTTPHeaderField] {
        Self.headers(id: id, timestamp: timestamp, signature: try sign(id: id, timestamp: timestamp, body: body))
    }

    /// The raw HMAC-SHA256 over `{id}.{timestamp}.{body}`.
    fileprivate func signature(id: String, timestamp: Int64, body: Data) -> [UInt8] {
        var authenticator = authenticator(id: id, timestamp: timestamp)
        authenticator.update(body)
        return authenticator.finalize()
    }

    /// An HMAC-SHA256 computation that has taken in `{id}.{timestamp}.`, awaiting the body.
    private func authenticator(id: String, timestamp: Int64) -> HMACSHA256.Authenticator {
        var authenticator = HMACSHA256.Authenticator(key: key)
        authenticator.update(Data("\(id).\(timestamp).".utf8))
        return authenticator
    }

    private static func header(_ signature: [UInt8]) -> String {
        "v1," + Data(signature).base64EncodedString()
    }

    private static func headers(id: String, timestamp: Int64, signature: String) -> [HTTPHeaderField] {
        [
            HTTPHeaderField("webhook-id", id),
            HTTPHeaderField("webhook-timestamp", String(timestamp)),
            HTTPHeaderField("webhook-signature", signature),
        ]
    }
}

/// Checks Standard Webhooks signatures as a receiver does: all three headers present, the timestamp within the
/// tolerance of the receiver's clock (replay protection), and one of the space-separated `v1,` signatures equal,
/// in constant time, to the expected one.
public struct StandardWebhookVerifier: Sendable {
    /// The tolerance the specification recommends: five minutes either way.
    public static let defaultTolerance: Duration = .seconds(300)

    private let signer: StandardWebhookSigner
    private let tolerance: Duration

    /// A verifier for `secret` (with or without `whsec_`) that accepts timestamps within `tolerance` of now.
    public init(secret: String, tolerance: Duration = defaultTolerance) throws(StandardWebhookError) {
        self.signer = try StandardWebhookSigner(secret: secret)
        self.tolerance = tolerance
    }

    /// Verifies a message given its three header values and raw body, at time `now`.
    ///
    /// - Throws: ``StandardWebhookError`` saying which check failed.
    public func verify(id: String?, timestamp: String?, signatures: String?, body: Data, now: Date) throws(StandardWebhookError) {
        guard let id, let timestamp, let signatures else { throw .missingHeaders }
        guard let seconds = Int64(timestamp) else { throw .invalidTimestamp }
        guard abs(Double(seconds) - now.timeIntervalSince1970) <= Double(tolerance.components.seconds) else {
            throw .timestampOutOfTolerance
        }
        let expected = signer.signature(id: id, timestamp: seconds, body: body)
        let candidates = signatures.split(separator: " ").compactMap { entry -> [UInt8]? in
            guard entry.hasPrefix("v1,"), let decoded = Data(base64Encoded: String(entry.dropFirst(3))) else { return nil }
            return Array(decoded)
        }
        guard candidates.contains(where: { Self.constantTimeEquals($0, expected) }) else { throw .signatureMismatch }
    }

    /// Compares two byte strings in time that depends only on their lengths, not on where they differ.
    private static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}

/// Why a signing secret or a signed message was refused.
public enum StandardWebhookError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The secret is not `whsec_` followed by non-empty base64.
    case invalidSecret
    /// `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing.
    case missingHeaders
    /// `webhook-timestamp` is not an integer number of seconds.
    case invalidTimestamp
    /// `webhook-timestamp` is too far from the receiver's clock.
    case timestampOutOfTolerance
    /// No `v1` signature matches.
    case signatureMismatch

    public var description: String {
        switch self {
        case .invalidSecret: "the signing secret is not 'whsec_' followed by base64"
        case .missingHeaders: "webhook-id, webhook-timestamp or webhook-signature is missing"
        case .invalidTimestamp: "webhook-timestamp is not a number of seconds"
        case .timestampOutOfTolerance: "webhook-timestamp is outside the tolerance window"
        case .signatureMismatch: "no webhook-signature matches the message"
        }
    }
}
