import CourierCrypto
import CourierIntegrationKit
import Foundation

/// Where an ``S3Client`` sends requests and how it names buckets.
public struct S3Configuration: Sendable, Hashable {
    /// The bucket's region, e.g. `eu-west-1`; part of every signature.
    public var region: String
    /// The access key.
    public var credentials: AWSCredentials
    /// The service's base URL (MinIO, moto, another S3-compatible store); `nil` for AWS, `https://s3.<region>.amazonaws.com`.
    public var endpoint: URL?
    /// Whether the bucket goes in the path (`<endpoint>/<bucket>/<key>`) rather than the host name
    /// (`<bucket>.<endpoint host>/<key>`).
    public var pathStyle: Bool

    /// Creates a configuration.
    public init(region: String, credentials: AWSCredentials, endpoint: URL? = nil, pathStyle: Bool = false) {
        self.region = region
        self.credentials = credentials
        self.endpoint = endpoint
        self.pathStyle = pathStyle
    }

    /// The URL of `key` in `bucket` (of the bucket itself when `key` is empty), with `query` appended as is.
    public func url(bucket: String, key: String = "", query: String? = nil) -> URL {
        let base = endpoint ?? URL(string: "https://s3.\(region).amazonaws.com")!
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false) ?? URLComponents()
        let basePath = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        let encodedKey = SigV4Signer.uriEncode(key, keepingSlashes: true)
        if pathStyle {
            components.percentEncodedPath = basePath + "/" + SigV4Signer.uriEncode(bucket) + (key.isEmpty ? "" : "/" + encodedKey)
        } else {
            components.host = "\(bucket).\(components.host ?? "")"
            components.percentEncodedPath = basePath + "/" + encodedKey
        }
        components.percentEncodedQuery = query
        return components.url!
    }
}

/// An object's stored attributes, as `HEAD` or `GET` return them.
public struct S3ObjectAttributes: Sendable, Hashable {
    /// The `Content-Type`.
    public var contentType: String?
    /// The `Content-Length`.
    public var contentLength: Int?
    /// The `ETag`, quotes included.
    public var eTag: String?
    /// User metadata from the `x-amz-meta-*` headers, keyed by the lowercased name after the prefix.
    public var metadata: [String: String]

    /// Reads the attributes from response headers.
    init(response: OutboundHTTPResponse) {
        contentType = response.header("Content-Type")
        contentLength = response.header("Content-Length").flatMap { Int($0) }
        eTag = response.header("ETag")
        metadata = [:]
        for field in response.headers where field.name.lowercased().hasPrefix(S3Client.metadataPrefix) {
            metadata[String(field.name.lowercased().dropFirst(S3Client.metadataPrefix.count))] = field.value
        }
    }
}

/// Why an S3 request failed.
public enum S3Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// No response: the service was unreachable, the TLS handshake failed or the request timed out.
    case transport(HTTPClientError)
    /// The service answered with a non-2xx status; `code` and `message` come from its XML error body (for `HEAD`,
    /// which has none, `code` is derived from the status: `NotFound`, `Forbidden`, …).
    case service(status: Int, code: String, message: String?, retryAfter: Duration?)

    /// Whether trying again later may succeed: transport failures (but a refused destination) and 408, 425, 429, 5xx.
    public var isTransient: Bool {
        switch self {
        case .transport(let error): error.isTransient
        case .service(let status, _, _, _): OutboundHTTPResponse(status: status).isTransientFailure
        }
    }

    /// The error codes S3 answers when it does not accept the request's signature or access key.
    public static let credentialErrorCodes: Set<String> = [
        "SignatureDoesNotMatch", "InvalidAccessKeyId", "ExpiredToken", "InvalidToken", "AuthorizationHeaderMalformed",
        "TokenRefreshRequired", "InvalidClientTokenId",
    ]

    /// Whether the service refused the credentials themselves (as opposed to their permissions).
    public var isCredentialRefusal: Bool {
        if case .service(_, let code, _, _) = self { Self.credentialErrorCodes.contains(code) } else { false }
    }

    public var description: String {
        switch self {
        case .transport(let error): error.description
        case .service(let status, let code, let message, _):
            "\(code)\(message.map { ": \($0)" } ?? "") (HTTP \(status))"
        }
    }
}

/// A small S3 client (path-style or virtual-hosted addressing, SigV4-signed, payloads hashed into the signature):
/// the bucket and object operations Courier needs.
public struct S3Client: Sendable {
    /// The header prefix of user metadata.
    public static let metadataPrefix = "x-amz-meta-"

    /// Where requests go and how they are signed.
    public let configuration: S3Configuration
    private let http: any HTTPClient
    private let timeout: Duration
    private let now: @Sendable () -> Date

    /// A client sending through `http`, each request limited to `timeout`, signing at the time `now` gives.
    public init(
        configuration: S3Configuration, http: any HTTPClient, timeout: Duration = .seconds(30),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.http = http
        self.timeout = timeout
        self.now = now
    }

    /// Checks that `bucket` exists and the credentials may list it (`HEAD /`); a missing bucket is
    /// ``S3Error/service(status:code:message:retryAfter:)`` with status 404.
    public func headBucket(_ bucket: String) async throws(S3Error) {
        _ = try await send("HEAD", url: configuration.url(bucket: bucket))
    }

    /// Creates `bucket` in the configured region.
    public func createBucket(_ bucket: String) async throws(S3Error) {
        let body =
            configuration.region == "us-east-1"
            ? nil
            : Data(
                ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>"
                    + "\(configuration.region)</LocationConstraint></CreateBucketConfiguration>").utf8)
        _ = try await send("PUT", url: configuration.url(bucket: bucket), body: body.map(OutboundHTTPBody.bytes))
    }

    /// Stores `body` as `key` in `bucket` with its content type and user metadata (sent as `x-amz-meta-<name>`;
    /// values outside printable ASCII are RFC 2047-encoded, as S3 itself returns them); returns the ETag.
    ///
    /// - Parameter sha256Hex: the lowercase hex SHA-256 of the body, which the signature covers: required for a
    ///   streamed body (which would otherwise be read an extra time), computed from bytes in memory when `nil`.
    @discardableResult
    public func putObject(
        bucket: String, key: String, body: OutboundHTTPBody, sha256Hex: String? = nil, contentType: String? = nil,
        metadata: [String: String] = [:]
    ) async throws(S3Error) -> String? {
        var headers: [HTTPHeaderField] = []
        if let contentType { headers.append(HTTPHeaderField("Content-Type", contentType)) }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            headers.append(HTTPHeaderField(Self.metadataPrefix + name, Self.headerSafe(value)))
        }
        let response = try await send(
            "PUT", url: configuration.url(bucket: bucket, key: key), headers: headers, body: body, payloadHash: sha256Hex
        )
        return response.header("ETag")
    }

    /// The attributes of `key` in `bucket` (`HEAD`).
    public func headObject(bucket: String, key: String) async throws(S3Error) -> S3ObjectAttributes {
        S3ObjectAttributes(response: try await send("HEAD", url: configuration.url(bucket: bucket, key: key)))
    }

    /// The content and attributes of `key` in `bucket`.
    public func getObject(bucket: String, key: String) async throws(S3Error) -> (body: Data, attributes: S3ObjectAttributes) {
        let response = try await send("GET", url: configuration.url(bucket: bucket, key: key))
        return (response.body, S3ObjectAttributes(response: response))
    }

    /// Deletes `key` from `bucket`; deleting a missing key succeeds, as S3 answers 204 either way.
    public func deleteObject(bucket: String, key: String) async throws(S3Error) {
        _ = try await send("DELETE", url: configuration.url(bucket: bucket, key: key))
    }

    /// Signs (with `payloadHash` when given) and sends one request; any non-2xx answer becomes
    /// ``S3Error/service(status:code:message:retryAfter:)``.
    private func send(
        _ method: String, url: URL, headers: [HTTPHeaderField] = [], body: OutboundHTTPBody? = nil, payloadHash: String? = nil
    ) async throws(S3Error) -> OutboundHTTPResponse {
        let signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
        let request = signer.sign(
            OutboundHTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout), at: now(),
            payloadHash: payloadHash
        )
        let response: OutboundHTTPResponse
        do {
            response = try await http.send(request)
        } catch {
            throw .transport(error)
        }
        guard response.isSuccess else {
            let (code, message) = Self.errorDetails(of: response)
            throw .service(status: response.status, code: code, message: message, retryAfter: response.retryAfter(now: now()))
        }
        return response
    }

    /// `Code` and `Message` of an S3 XML error body, or a code named after the status when there is no body.
    static func errorDetails(of response: OutboundHTTPResponse) -> (code: String, message: String?) {
        let text = String(decoding: response.body.prefix(16_384), as: UTF8.self)
        if let code = xmlElement("Code", in: text) { return (code, xmlElement("Message", in: text)) }
        let code =
            switch response.status {
            case 301: "PermanentRedirect"
            case 400: "BadRequest"
            case 403: "Forbidden"
            case 404: "NotFound"
            case 405: "MethodNotAllowed"
            default: "HTTP\(response.status)"
            }
        return (code, nil)
    }

    /// The text of the first `<name>…</name>` element, XML entities decoded.
    private static func xmlElement(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>", range: start.upperBound..<text.endIndex)
        else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// `value` if it is printable ASCII, else its RFC 2047 `=?UTF-8?B?…?=` form.
    private static func headerSafe(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 < 0x20 || $0 > 0x7E }) else { return value }
        return "=?UTF-8?B?\(Data(value.utf8).base64EncodedString())?="
    }
}
