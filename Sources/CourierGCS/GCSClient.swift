import CourierCrypto
import CourierIntegrationKit
import Foundation

/// Why a Cloud Storage request failed.
public enum GCSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The service-account key file is unusable; the text says why, never showing the key.
    case invalidServiceAccount(String)
    /// The token endpoint refused the service account's JWT (`invalid_grant`, a deleted key, a disabled account).
    case credentialsRefused(String)
    /// The request could not be built (an unusable endpoint URL, an unencodable resource).
    case invalidRequest(String)
    /// No response: the service was unreachable, the TLS handshake failed or the request timed out.
    case transport(HTTPClientError)
    /// The service answered with a non-2xx status; `message` is from its JSON error body, or the body's start.
    case service(status: Int, message: String, retryAfter: Duration?)

    /// Whether trying again later may succeed: transport failures (but a refused destination) and 408, 425, 429, 5xx.
    public var isTransient: Bool {
        switch self {
        case .invalidServiceAccount, .credentialsRefused, .invalidRequest: false
        case .transport(let error): error.isTransient
        case .service(let status, _, _): OutboundHTTPResponse(status: status).isTransientFailure
        }
    }

    public var description: String {
        switch self {
        case .invalidServiceAccount(let message), .invalidRequest(let message): message
        case .credentialsRefused(let message): "the service-account credentials were refused: \(message)"
        case .transport(let error): error.description
        case .service(let status, let message, _): "\(message) (HTTP \(status))"
        }
    }
}

/// An object's stored attributes, from the JSON API's object resource.
public struct GCSObject: Sendable, Hashable, Decodable {
    /// The object name.
    public var name: String
    /// The bucket.
    public var bucket: String
    /// The content type.
    public var contentType: String?
    /// The size in bytes, a decimal string as the API sends it.
    public var size: String?
    /// Custom metadata.
    public var metadata: [String: String]?
}

/// How requests authenticate.
public enum GCSAuthorization: Sendable {
    /// With OAuth2 access tokens of a service account.
    case serviceAccount(GCSAccessTokenProvider)
    /// Without credentials, as Google's libraries do for `STORAGE_EMULATOR_HOST`.
    case none
}

/// A small client of the Cloud Storage JSON API (`/storage/v1`, `/upload/storage/v1`): the bucket and object
/// operations Courier needs.
public struct GCSClient: Sendable {
    /// Google's endpoint, used when no other is given.
    public static let defaultEndpoint = URL(string: "https://storage.googleapis.com")!

    /// The base URL requests go to.
    public let endpoint: URL
    private let authorization: GCSAuthorization
    private let http: any HTTPClient
    private let timeout: Duration
    private let now: @Sendable () -> Date

    /// A client of `endpoint` authenticating as `authorization` says, sending through `http`, each request limited to
    /// `timeout`.
    public init(
        endpoint: URL = Self.defaultEndpoint, authorization: GCSAuthorization, http: any HTTPClient,
        timeout: Duration = .seconds(30), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.endpoint = endpoint
        self.authorization = authorization
        self.http = http
        self.timeout = timeout
        self.now = now
    }

    /// Checks that `bucket` exists and is readable (`GET /storage/v1/b/<bucket>`); a missing one is
    /// ``GCSError/service(status:message:retryAfter:)`` with status 404.
    public func getBucket(_ bucket: String) async throws(GCSError) {
        _ = try await send("GET", path: "/storage/v1/b/\(Self.encode(bucket))")
    }

    /// Creates `bucket` in `project`.
    public func createBucket(_ bucket: String, project: String) async throws(GCSError) {
        let body = try Self.json(["name": bucket])
        _ = try await send(
            "POST", path: "/storage/v1/b", query: "project=\(Self.encode(project))",
            headers: [HTTPHeaderField("Content-Type", "application/json")], body: .bytes(body)
        )
    }

    /// Uploads `content` as `name` with its content type and custom metadata in one multipart request
    /// (`uploadType=multipart`: the object resource as JSON, then the bytes, streamed when `content` is a stream);
    /// returns the stored object.
    @discardableResult
    public func insertObject(
        bucket: String, name: String, content: OutboundHTTPBody, contentType: String, metadata: [String: String] = [:]
    ) async throws(GCSError) -> GCSObject {
        struct Resource: Encodable {
            var name: String
            var contentType: String
            var metadata: [String: String]
        }
        let resource = try Self.json(Resource(name: name, contentType: contentType, metadata: metadata))
        let boundary = "courier-" + SecureRandom.bytes(12).hexString
        var head = Data("--\(boundary)\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".utf8)
        head.append(resource)
        head.append(Data("\r\n--\(boundary)\r\nContent-Type: \(contentType)\r\n\r\n".utf8))
        let tail = Data("\r\n--\(boundary)--\r\n".utf8)
        let body: OutboundHTTPBody =
            switch content {
            case .bytes(let data): .bytes(head + data + tail)
            case .stream: .stream(.concatenating([.bytes(head), content, .bytes(tail)]))
            }
        let response = try await send(
            "POST", path: "/upload/storage/v1/b/\(Self.encode(bucket))/o", query: "uploadType=multipart",
            headers: [HTTPHeaderField("Content-Type", "multipart/related; boundary=\(boundary)")], body: body
        )
        return try Self.decode(GCSObject.self, from: response.body)
    }

    /// The attributes of object `name`.
    public func object(bucket: String, name: String) async throws(GCSError) -> GCSObject {
        let response = try await send("GET", path: "/storage/v1/b/\(Self.encode(bucket))/o/\(Self.encode(name))")
        return try Self.decode(GCSObject.self, from: response.body)
    }

    /// The bytes of object `name`.
    public func download(bucket: String, name: String) async throws(GCSError) -> Data {
        try await send("GET", path: "/storage/v1/b/\(Self.encode(bucket))/o/\(Self.encode(name))", query: "alt=media").body
    }

    /// Deletes object `name`.
    public func deleteObject(bucket: String, name: String) async throws(GCSError) {
        _ = try await send("DELETE", path: "/storage/v1/b/\(Self.encode(bucket))/o/\(Self.encode(name))")
    }

    /// Sends one request with the access token, if any; any non-2xx answer becomes a ``GCSError/service(status:message:retryAfter:)``.
    private func send(
        _ method: String, path: String, query: String? = nil, headers: [HTTPHeaderField] = [], body: OutboundHTTPBody? = nil
    ) async throws(GCSError) -> OutboundHTTPResponse {
        var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false) ?? URLComponents()
        let basePath = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = basePath + path
        components.percentEncodedQuery = query
        guard let url = components.url else { throw .invalidRequest("the storage endpoint \(endpoint) is not a valid URL") }
        var request = OutboundHTTPRequest(method: method, url: url, headers: headers, body: body, timeout: timeout)
        if case .serviceAccount(let tokens) = authorization {
            let token = try await tokens.accessToken(http: http, timeout: timeout, now: now())
            request.headers.append(HTTPHeaderField("Authorization", "Bearer \(token)"))
        }
        let response: OutboundHTTPResponse
        do {
            response = try await http.send(request)
        } catch {
            throw .transport(error)
        }
        guard response.isSuccess else {
            throw .service(status: response.status, message: Self.errorMessage(of: response), retryAfter: response.retryAfter(now: now()))
        }
        return response
    }

    /// `error.message` of a JSON API error body, else the start of the body, else the status.
    static func errorMessage(of response: OutboundHTTPResponse) -> String {
        struct ErrorBody: Decodable {
            struct Detail: Decodable { var message: String? }
            var error: Detail
        }
        if let message = (try? JSONDecoder().decode(ErrorBody.self, from: response.body))?.error.message, !message.isEmpty {
            return message
        }
        let text = String(decoding: response.body.prefix(800), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP status \(response.status)" : String(text.prefix(200))
    }

    /// Percent-encodes all but RFC 3986's unreserved characters, so `/` in object names becomes `%2F`.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }

    private static func json(_ value: some Encodable) throws(GCSError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw .invalidRequest("encoding the request failed")
        }
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws(GCSError) -> Value {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw .service(status: 200, message: "the storage service answered with an unreadable object resource", retryAfter: nil)
        }
    }
}

/// Exchanges a service account's signed JWT for OAuth2 access tokens at its token endpoint, and keeps each token until
/// a minute before it expires.
public actor GCSAccessTokenProvider {
    /// How long before its expiry a cached token is replaced.
    public static let refreshMargin: TimeInterval = 60

    private let account: GCSServiceAccount
    private let scope: String
    private var cached: (token: String, expiry: Date)?

    /// A provider for `account`, asking for `scope`.
    public init(account: GCSServiceAccount, scope: String = GCSServiceAccountJWT.readWriteScope) {
        self.account = account
        self.scope = scope
    }

    /// A valid access token: the cached one, or a new one from the token endpoint.
    public func accessToken(http: any HTTPClient, timeout: Duration, now: Date) async throws(GCSError) -> String {
        if let cached, cached.expiry.timeIntervalSince(now) > Self.refreshMargin { return cached.token }
        guard let tokenURL = URL(string: account.tokenURI) else {
            throw .invalidServiceAccount("the service-account JSON's token_uri is not a URL")
        }
        let assertion = try GCSServiceAccountJWT.assertion(for: account, scope: scope, issuedAt: now)
        let form = "grant_type=\(GCSClient.encode("urn:ietf:params:oauth:grant-type:jwt-bearer"))&assertion=\(assertion)"
        let request = OutboundHTTPRequest(
            method: "POST", url: tokenURL, headers: [HTTPHeaderField("Content-Type", "application/x-www-form-urlencoded")],
            body: Data(form.utf8), timeout: timeout
        )
        let response: OutboundHTTPResponse
        do {
            response = try await http.send(request)
        } catch {
            throw .transport(error)
        }
        struct TokenResponse: Decodable {
            var accessToken: String?
            var expiresIn: Double?
            var error: String?
            var errorDescription: String?

            enum CodingKeys: String, CodingKey {
                case accessToken = "access_token"
                case expiresIn = "expires_in"
                case error
                case errorDescription = "error_description"
            }
        }
        let answer = try? JSONDecoder().decode(TokenResponse.self, from: response.body)
        guard response.isSuccess, let token = answer?.accessToken else {
            if response.isTransientFailure {
                throw .service(status: response.status, message: "the token endpoint failed", retryAfter: response.retryAfter(now: now))
            }
            let reason = [answer?.error, answer?.errorDescription].compactMap { $0 }.joined(separator: ": ")
            throw .credentialsRefused(reason.isEmpty ? "HTTP status \(response.status)" : reason)
        }
        cached = (token, now.addingTimeInterval(answer?.expiresIn ?? 3600))
        return token
    }
}
