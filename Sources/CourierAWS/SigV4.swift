import CourierCrypto
import CourierIntegrationKit
import Foundation

/// An AWS access key: the key ID, its secret and, for temporary credentials, the session token.
///
/// `description` never shows the secret or the token.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The access key ID, e.g. `AKIAIOSFODNN7EXAMPLE`.
    public var accessKeyID: String
    /// The secret access key.
    public var secretAccessKey: String
    /// The session token of temporary (STS) credentials, sent as `x-amz-security-token`.
    public var sessionToken: String?

    /// Creates credentials.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>)" }
}

/// Everything one AWS Signature Version 4 computation produced, from the canonical request to the `Authorization`
/// header; the intermediate strings are what AWS's documentation and test suite publish, so tests compare them.
public struct SigV4Signature: Sendable, Hashable {
    /// The canonical request: method, URI, query, headers, signed header names and payload hash, one per line.
    public var canonicalRequest: String
    /// `AWS4-HMAC-SHA256`, the timestamp, the credential scope and the canonical request's SHA-256.
    public var stringToSign: String
    /// The lowercase names of the signed headers, `;`-separated and sorted.
    public var signedHeaders: String
    /// `<date>/<region>/<service>/aws4_request`.
    public var credentialScope: String
    /// The hex HMAC of the string to sign under the derived signing key.
    public var signature: String
    /// The `Authorization` header value.
    public var authorization: String
}

/// Signs requests with AWS Signature Version 4 (header form) for one service in one region.
///
/// ``sign(_:at:payloadHash:)`` adds `x-amz-date`, `x-amz-content-sha256` (for S3, and whenever a payload hash is
/// given), `x-amz-security-token` (with a session token) and `Authorization` to an ``OutboundHTTPRequest``. Every
/// header already in the request is signed, plus `host` (taken from the URL unless the request sets it), so whatever
/// else the transport adds on the way out (`User-Agent`, `Accept-Encoding`) stays outside the signature.
///
/// S3 differs from other services in two ways, both followed when `service` is `s3`: the canonical URI is the path
/// encoded once (other services encode it twice and normalise it), and the payload hash is always sent as
/// `x-amz-content-sha256`.
public struct SigV4Signer: Sendable {
    /// The value of `x-amz-content-sha256` for a body left out of the signature.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// The algorithm name in the string to sign and the `Authorization` header.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// The access key that signs.
    public var credentials: AWSCredentials
    /// The region, e.g. `us-east-1`.
    public var region: String
    /// The service, e.g. `s3`.
    public var service: String

    /// A signer for `service` in `region`.
    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// `request` with the signing headers added.
    ///
    /// - Parameters:
    ///   - date: the signing time; AWS refuses signatures more than 15 minutes away from its clock.
    ///   - payloadHash: the lowercase hex SHA-256 of the body, or ``unsignedPayload``; computed from the body when
    ///     `nil`, which only bytes in memory allow: a streamed body must come with its hash (e.g. the digest it is
    ///     stored under), so that it is not read an extra time.
    public func sign(_ request: OutboundHTTPRequest, at date: Date, payloadHash: String? = nil) -> OutboundHTTPRequest {
        var signed = request
        let hash = payloadHash ?? Self.payloadHash(of: request.body)
        signed.headers.removeAll { ["authorization", "x-amz-date", "x-amz-content-sha256"].contains($0.name.lowercased()) }
        signed.headers.append(HTTPHeaderField("x-amz-date", Self.timestamp(date)))
        if service == "s3" || payloadHash != nil {
            signed.headers.append(HTTPHeaderField("x-amz-content-sha256", hash))
        }
        if let token = credentials.sessionToken {
            signed.headers.removeAll { $0.name.lowercased() == "x-amz-security-token" }
            signed.headers.append(HTTPHeaderField("x-amz-security-token", token))
        }
        signed.headers.append(HTTPHeaderField("Authorization", signature(for: signed, at: date, payloadHash: hash).authorization))
        return signed
    }

    /// The signature of `request` as it stands: its headers (plus `host`) are signed as they are, so they must
    /// already include `x-amz-date` and, where required, `x-amz-content-sha256`.
    public func signature(for request: OutboundHTTPRequest, at date: Date, payloadHash: String) -> SigV4Signature {
        let timestamp = Self.timestamp(date)
        let day = String(timestamp.prefix(8))
        let headers = Self.canonicalHeaders(of: request)
        let signedHeaders = headers.map(\.name).joined(separator: ";")
        let canonicalRequest = [
            request.method.uppercased(),
            canonicalURI(of: request.url),
            Self.canonicalQuery(of: request.url),
            headers.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        let credentialScope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [Self.algorithm, timestamp, credentialScope, SHA256.hex(Data(canonicalRequest.utf8))]
            .joined(separator: "\n")
        let signature = HMACSHA256.authenticationCode(for: Data(stringToSign.utf8), key: signingKey(day: day)).hexString
        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(credentialScope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders,
            credentialScope: credentialScope, signature: signature, authorization: authorization
        )
    }

    /// The hex SHA-256 of a body in memory (of the empty body when there is none).
    private static func payloadHash(of body: OutboundHTTPBody?) -> String {
        switch body {
        case nil: SHA256.hex(Data())
        case .bytes(let data): SHA256.hex(data)
        case .stream: preconditionFailure("A streamed body is signed with its payload hash given")
        }
    }

    /// The key derived from the secret for `day` (`yyyyMMdd`): HMAC chained over the day, region, service and
    /// `aws4_request`, starting from `AWS4<secret>`.
    public func signingKey(day: String) -> [UInt8] {
        [day, region, service, "aws4_request"].reduce(Array("AWS4\(credentials.secretAccessKey)".utf8)) { key, part in
            HMACSHA256.authenticationCode(for: Data(part.utf8), key: key)
        }
    }

    /// The basic ISO 8601 form SigV4 uses, `yyyyMMdd'T'HHmmss'Z'`, in UTC.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let values = [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second].map { $0 ?? 0 }
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", values[0], values[1], values[2], values[3], values[4], values[5])
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`), and `/` too unless
    /// `keepingSlashes`; the encoding SigV4 prescribes for URIs, query names and values.
    public static func uriEncode(_ text: String, keepingSlashes: Bool = false) -> String {
        var encoded = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if byte < 0x80, character.isLetter || character.isNumber || "-._~".contains(character) || (keepingSlashes && byte == 0x2F) {
                encoded.append(character)
            } else {
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    /// The path, each segment decoded and encoded again; twice for services other than S3, after removing `.` and
    /// `..` segments.
    private func canonicalURI(of url: URL) -> String {
        let path = url.path(percentEncoded: true)
        guard !path.isEmpty else { return "/" }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            Self.uriEncode(String(segment).removingPercentEncoding ?? String(segment))
        }
        guard service != "s3" else { return segments.joined(separator: "/") }
        segments = segments.reduce(into: [String]()) { kept, segment in
            switch segment {
            case ".": break
            case "..": if kept.count > 1 { kept.removeLast() }
            default: kept.append(segment)
            }
        }
        return segments.map { Self.uriEncode($0) }.joined(separator: "/")
    }

    /// The query's parameters, decoded and encoded again, sorted by name and then value, joined by `&`.
    private static func canonicalQuery(of url: URL) -> String {
        guard let query = url.query(percentEncoded: true), !query.isEmpty else { return "" }
        let parameters: [(name: String, value: String)] = query.split(separator: "&").map { parameter in
            let pair: [String] = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { part in
                uriEncode(String(part).removingPercentEncoding ?? String(part))
            }
            return (name: pair[0], value: pair.count > 1 ? pair[1] : "")
        }
        let sorted = parameters.sorted { left, right in left.name == right.name ? left.value < right.value : left.name < right.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// The request's headers plus `host`, names lowercased, values trimmed with inner runs of spaces collapsed,
    /// repeated names joined by `,`, sorted by name.
    private static func canonicalHeaders(of request: OutboundHTTPRequest) -> [(name: String, value: String)] {
        var values: [String: [String]] = [:]
        for field in request.headers {
            let value = field.value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            values[field.name.lowercased(), default: []].append(value)
        }
        if values["host"] == nil { values["host"] = [hostHeader(of: request.url)] }
        return values.keys.sorted().map { (name: $0, value: values[$0]!.joined(separator: ",")) }
    }

    /// The `Host` header a client sends for `url`: the host, with the port unless it is the scheme's default.
    public static func hostHeader(of url: URL) -> String {
        let host = url.host(percentEncoded: false) ?? ""
        let bracketed = host.contains(":") ? "[\(host)]" : host
        guard let port = url.port else { return bracketed }
        let defaultPort = url.scheme?.lowercased() == "https" ? 443 : 80
        return port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }
}
