import CourierCrypto
import CourierIntegrationKit
import Foundation

/// Why a registry operation failed.
enum RegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No response: connection, TLS or timeout failure.
    case transport(HTTPClientError)
    /// The registry or its token service refused the user name or password.
    case invalidCredentials
    /// The credentials are valid but may not push to the repository.
    case insufficientPermissions
    /// The registry answered `status` where the operation expected success.
    case unexpectedStatus(operation: String, status: Int, reason: String, retryAfter: Duration?)
    /// The registry answered in a way the distribution API does not allow (no upload location, no token).
    case protocolViolation(String)

    var description: String {
        switch self {
        case .transport(let error): "sending HTTP request: \(error)"
        case .invalidCredentials: "the provided credentials are invalid"
        case .insufficientPermissions: "the provided credentials don't have write permissions"
        case .unexpectedStatus(let operation, let status, let reason, _):
            "the registry answered \(status) to \(operation)" + (reason.isEmpty ? "" : ": \(reason)")
        case .protocolViolation(let message): message
        }
    }

    /// Whether trying again later may succeed: transport failures (but a refused destination) and 408, 425, 429, 5xx.
    var isTransient: Bool {
        switch self {
        case .transport(let error): error.isTransient
        case .unexpectedStatus(_, let status, _, _): OutboundHTTPResponse(status: status).isTransientFailure
        case .invalidCredentials, .insufficientPermissions, .protocolViolation: false
        }
    }
}

/// A client of one repository's distribution API (`/v2/<name>/…`).
///
/// Requests carry the user name and password as Basic credentials from the start (and only to the registry's own
/// origin). A registry using token auth answers 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`; the
/// client then fetches a token from the realm, with the same Basic credentials, and sends the request again with
/// it; the token is kept for the client's later requests.
///
/// Sending Basic credentials up front saves a round trip, and it matters on Linux: URLSession (hence
/// `LiveHTTPClient`) never completes a request answered `401` with a `WWW-Authenticate: Basic` challenge, so such
/// an answer only arrives as a timeout.
struct RegistryClient {
    /// How much of an error body goes into a reason.
    static let reasonLength = 300

    /// The repository name in the registry, e.g. `org/repo/chainloop-<hex>`.
    let name: String
    private let baseURL: URL
    private let insecure: Bool
    private let username: String
    private let password: String
    private let context: IntegrationContext
    private let timeout: Duration
    /// Basic credentials, or the Bearer token once fetched.
    private var authorization: String

    /// A client for repository `name` of the registry at `baseURL`.
    init(
        name: String, baseURL: URL, insecure: Bool, username: String, password: String, context: IntegrationContext,
        timeout: Duration
    ) {
        self.name = name
        self.baseURL = baseURL
        self.insecure = insecure
        self.username = username
        self.password = password
        self.context = context
        self.timeout = timeout
        self.authorization = Self.basicCredentials(username: username, password: password)
    }

    /// Checks that the credentials may push: starts a blob upload, then cancels it.
    mutating func checkPushPermission() async throws(RegistryError) {
        let location = try await startUpload()
        // Cancelling is a courtesy: the registry expires abandoned uploads anyway.
        _ = try? await send("DELETE", location)
    }

    /// Uploads `data` as the blob `digest` unless the registry already has it: HEAD, then POST and
    /// PUT `<Location>&digest=`.
    mutating func uploadBlob(_ data: Data, digest: String) async throws(RegistryError) {
        let existing = try await send("HEAD", url("blobs/\(digest)"))
        if existing.isSuccess { return }
        let location = try await startUpload()
        guard var components = URLComponents(url: location, resolvingAgainstBaseURL: true) else {
            throw .protocolViolation("the registry answered an invalid upload location")
        }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "digest", value: digest)]
        guard let target = components.url else { throw .protocolViolation("the registry answered an invalid upload location") }
        let response = try await send("PUT", target, headers: [HTTPHeaderField("Content-Type", "application/octet-stream")], body: data)
        guard response.isSuccess else { throw failure(of: "PUT blob \(digest)", response) }
    }

    /// Puts `manifest` of media type `mediaType` under `tag`; returns the manifest digest the registry reports (or the
    /// computed one when it reports none).
    mutating func putManifest(_ manifest: Data, mediaType: String, tag: String) async throws(RegistryError) -> String {
        let response = try await send("PUT", url("manifests/\(tag)"), headers: [HTTPHeaderField("Content-Type", mediaType)], body: manifest)
        guard response.isSuccess else { throw failure(of: "PUT manifest \(tag)", response) }
        return response.header("Docker-Content-Digest") ?? "sha256:" + SHA256.hex(manifest)
    }

    /// `POST /v2/<name>/blobs/uploads/`, which must answer 202 with a `Location`; returns it, absolute.
    private mutating func startUpload() async throws(RegistryError) -> URL {
        let response = try await send("POST", url("blobs/uploads/"))
        guard response.status == 202 else {
            if response.status == 401 { throw hasToken ? .insufficientPermissions : .invalidCredentials }
            if response.status == 403 { throw .insufficientPermissions }
            throw failure(of: "POST blob upload", response)
        }
        guard let location = response.header("Location"), let url = URL(string: location, relativeTo: baseURL)?.absoluteURL else {
            throw .protocolViolation("the registry did not say where to upload (no Location header)")
        }
        return url
    }

    /// Whether requests carry a Bearer token, i.e. the token service accepted the credentials.
    private var hasToken: Bool { authorization.hasPrefix("Bearer ") }

    /// `<base>/v2/<name>/<suffix>`; the name and suffix are validated path characters, written as they are.
    private func url(_ suffix: String) -> URL {
        URL(string: "\(baseURL.absoluteString)/v2/\(name)/\(suffix)") ?? baseURL
    }

    /// Sends a request; on a 401 with a Bearer challenge it fetches a token and sends the request again, once.
    private mutating func send(
        _ method: String, _ url: URL, headers: [HTTPHeaderField] = [], body: Data? = nil
    ) async throws(RegistryError) -> OutboundHTTPResponse {
        let response = try await exchange(method, url, headers: headers, body: body)
        guard response.status == 401, isRegistryOrigin(url), let challenge = response.header("WWW-Authenticate") else { return response }
        let previous = authorization
        try await authenticate(answering: challenge)
        guard authorization != previous else { return response }
        return try await exchange(method, url, headers: headers, body: body)
    }

    private func exchange(_ method: String, _ url: URL, headers: [HTTPHeaderField], body: Data?) async throws(RegistryError)
        -> OutboundHTTPResponse
    {
        var fields = headers
        if isRegistryOrigin(url) { fields.append(HTTPHeaderField("Authorization", authorization)) }
        let request = OutboundHTTPRequest(method: method, url: url, headers: fields, body: body, timeout: timeout)
        do {
            return try await context.http.send(request)
        } catch {
            throw .transport(error)
        }
    }

    /// Sets ``authorization`` from a `WWW-Authenticate` challenge.
    private mutating func authenticate(answering challengeHeader: String) async throws(RegistryError) {
        let challenge = AuthenticationChallenge(parsing: challengeHeader)
        switch challenge.scheme.lowercased() {
        case "basic":
            return  // The Basic credentials went with the request: the registry refused them.
        case "bearer":
            authorization = "Bearer " + (try await fetchToken(challenge))
        default:
            throw .protocolViolation("the registry asked for unsupported authentication \"\(challenge.scheme)\"")
        }
    }

    private static func basicCredentials(username: String, password: String) -> String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// Fetches a token from the challenge's realm, asking for its service and scope (or push and pull on the repository).
    private func fetchToken(_ challenge: AuthenticationChallenge) async throws(RegistryError) -> String {
        guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm),
            let scheme = components.scheme?.lowercased(), let host = components.host, ["http", "https"].contains(scheme)
        else { throw .protocolViolation("the registry's token challenge has no valid realm") }
        guard scheme == "https" || insecure || isLoopbackHost(host) else {
            throw .protocolViolation("the registry's token service \(host) is plain HTTP; refusing to send credentials (set insecure to allow)")
        }
        var query = components.queryItems ?? []
        if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        query.append(URLQueryItem(name: "scope", value: challenge.parameters["scope"] ?? "repository:\(name):pull,push"))
        components.queryItems = query
        guard let url = components.url else { throw .protocolViolation("the registry's token challenge has no valid realm") }
        let request = OutboundHTTPRequest(
            method: "GET", url: url,
            headers: [HTTPHeaderField("Authorization", Self.basicCredentials(username: username, password: password))], timeout: timeout)
        let response: OutboundHTTPResponse
        do {
            response = try await context.http.send(request)
        } catch {
            throw .transport(error)
        }
        if response.status == 401 || response.status == 403 { throw .invalidCredentials }
        guard response.isSuccess else { throw failure(of: "GET token", response) }
        struct TokenResponse: Decodable {
            var token: String?
            var accessToken: String?
            enum CodingKeys: String, CodingKey {
                case token
                case accessToken = "access_token"
            }
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: response.body),
            let token = decoded.token ?? decoded.accessToken, !token.isEmpty
        else { throw .protocolViolation("the registry's token service answered no token") }
        return token
    }

    private func isRegistryOrigin(_ url: URL) -> Bool {
        url.scheme == baseURL.scheme && url.host == baseURL.host && url.port == baseURL.port
    }

    /// The error for an unexpected answer, quoting the registry's `errors` list (or the start of the body).
    private func failure(of operation: String, _ response: OutboundHTTPResponse) -> RegistryError {
        struct ErrorList: Decodable {
            struct Entry: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Entry]
        }
        let reason: String
        if let list = try? JSONDecoder().decode(ErrorList.self, from: response.body), !list.errors.isEmpty {
            reason = list.errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
        } else {
            reason = String(String(decoding: response.body.prefix(Self.reasonLength * 4), as: UTF8.self).prefix(Self.reasonLength))
        }
        return .unexpectedStatus(
            operation: operation, status: response.status, reason: reason, retryAfter: response.retryAfter(now: context.now()))
    }
}

/// A parsed `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"`.
struct AuthenticationChallenge: Sendable, Hashable {
    /// `Basic` or `Bearer`.
    var scheme: String
    /// The parameters, names lowercased; quoted values unquoted (commas inside quotes kept).
    var parameters: [String: String]

    init(parsing header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        let schemeEnd = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        scheme = String(trimmed[..<schemeEnd])
        parameters = [:]
        var rest = trimmed[schemeEnd...]
        while let equals = rest.firstIndex(of: "=") {
            let name = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " ,")).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            parameters[name] = value
        }
    }
}
