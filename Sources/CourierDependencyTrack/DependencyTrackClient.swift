import CourierIntegrationKit
import Foundation

/// Talks to one Dependency-Track instance's REST API with an API key: permission check, project lookup, BOM upload.
/// Paths are appended to the instance URL's own path, so an instance served under `/dtrack` works.
struct DependencyTrackClient: Sendable {
    /// The permissions every key needs.
    static let basePermissions = ["BOM_UPLOAD", "VIEW_PORTFOLIO"]
    /// The permission a key needs to create projects on upload.
    static let autoCreatePermission = "PROJECT_CREATION_UPLOAD"
    /// How much of a failing response's body goes into a reason.
    static let bodyExcerptLength = 200

    private let instance: URLComponents
    private let apiKey: String
    private let context: IntegrationContext

    /// A client for `instanceURI`.
    ///
    /// - Throws: ``DependencyTrackFailure/permanent(_:)`` for an empty key (`apiKey required`) or a URL that is not an
    ///   absolute `http`/`https` URL with a host.
    init(instanceURI: String, apiKey: String, context: IntegrationContext) throws(DependencyTrackFailure) {
        guard !apiKey.isEmpty else { throw .permanent("apiKey required") }
        guard var components = URLComponents(string: instanceURI), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty
        else { throw .permanent("invalid instance URI: \(maskURL(instanceURI))") }
        components.query = nil
        components.fragment = nil
        self.instance = components
        self.apiKey = apiKey
        self.context = context
    }

    /// The host, for messages.
    var host: String { instance.host ?? "" }

    /// Checks that the key's team holds `BOM_UPLOAD`, `VIEW_PORTFOLIO` and, when `autoCreate`, `PROJECT_CREATION_UPLOAD`.
    ///
    /// - Throws: `permission: <NAME>` for the first missing one; `bad status: <status>` for a non-200 answer.
    func checkPermissions(autoCreate: Bool) async throws(DependencyTrackFailure) {
        let response = try await send("GET", path: "/api/v1/team/self")
        guard response.status == 200 else { throw failure(for: response) }
        struct Team: Decodable {
            struct Permission: Decodable { var name: String }
            var permissions: [Permission]?
        }
        guard let team = try? JSONDecoder().decode(Team.self, from: response.body) else {
            throw .permanent("decoding team/self response: not a team")
        }
        let granted = Set((team.permissions ?? []).map(\.name))
        let required = Self.basePermissions + (autoCreate ? [Self.autoCreatePermission] : [])
        if let missing = required.first(where: { !granted.contains($0) }) {
            throw .permanent("permission: \(missing)")
        }
    }

    /// Checks that the project `id` exists.
    ///
    /// - Throws: `project with ID "<id>" not found` on 404, `bad status: <status>` on any other non-200.
    func checkProjectExists(id: String) async throws(DependencyTrackFailure) {
        let encodedID = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id
        let response = try await send("GET", path: "/api/v1/project/\(encodedID)")
        if response.status == 404 { throw .permanent("project with ID \"\(id)\" not found") }
        guard response.status == 200 else { throw failure(for: response) }
    }

    /// Uploads one SBOM with `POST /api/v1/bom`, streaming its bytes as the `bom` form field, and returns the
    /// processing token Dependency-Track answers with.
    func upload(bom: HTTPBodyStream, to project: ProjectTarget) async throws(DependencyTrackFailure) -> String {
        var form = MultipartFormData()
        form.addField("bom", stream: bom)
        switch project {
        case .existing(let id):
            form.addField("project", id)
        case .autoCreated(let name, let parentID):
            form.addField("autoCreate", "true")
            form.addField("projectName", name)
            if let parentID { form.addField("parentUUID", parentID) }
        }
        let response = try await send("POST", path: "/api/v1/bom", headers: [form.contentTypeHeader], body: form.body)
        guard response.isSuccess else { throw failure(for: response) }
        struct Upload: Decodable { var token: String }
        guard let upload = try? JSONDecoder().decode(Upload.self, from: response.body) else {
            throw .permanent("unexpected answer to the BOM upload (status \(response.status)): no processing token")
        }
        return upload.token
    }

    private func send(
        _ method: String, path: String, headers: [HTTPHeaderField] = [], body: OutboundHTTPBody? = nil
    ) async throws(DependencyTrackFailure) -> OutboundHTTPResponse {
        var components = instance
        let basePath =
            components.percentEncodedPath.hasSuffix("/")
            ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = basePath + path
        guard let url = components.url else { throw .permanent("invalid instance URI: \(maskURL(instance.string ?? ""))") }
        let request = OutboundHTTPRequest(
            method: method, url: url,
            headers: [HTTPHeaderField("X-Api-Key", apiKey), HTTPHeaderField("Accept", "application/json")] + headers,
            body: body, timeout: context.requestTimeout ?? DependencyTrackIntegration.defaultRequestTimeout
        )
        do {
            return try await context.http.send(request)
        } catch {
            let reason = redacted("sending request to \(host): \(error)")
            throw error.isTransient ? .transient(reason, retryAfter: nil) : .permanent(reason)
        }
    }

    /// `bad status: <code> <reason phrase>` plus an excerpt of the body; transient for 408, 425, 429 and 5xx.
    private func failure(for response: OutboundHTTPResponse) -> DependencyTrackFailure {
        var reason = "bad status: \(response.status)"
        if let phrase = HTTPStatusPhrase.phrase(for: response.status) { reason += " \(phrase)" }
        let excerpt = String(decoding: response.body.prefix(Self.bodyExcerptLength * 4), as: UTF8.self)
            .prefix(Self.bodyExcerptLength).trimmingCharacters(in: .whitespacesAndNewlines)
        if !excerpt.isEmpty { reason += ": \(excerpt)" }
        reason = redacted(reason)
        guard response.isTransientFailure else { return .permanent(reason) }
        return .transient(reason, retryAfter: response.retryAfter(now: context.now()))
    }

    /// `text` without the API key, should a server echo it.
    private func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: apiKey, with: "<redacted>")
    }
}

/// Which project an SBOM goes to.
enum ProjectTarget: Sendable, Hashable {
    /// An existing project, by UUID.
    case existing(id: String)
    /// A project Dependency-Track creates if needed, optionally under a parent.
    case autoCreated(name: String, parentID: String?)
}

/// A failed exchange with Dependency-Track.
enum DependencyTrackFailure: Error, Sendable, Hashable {
    /// Worth retrying (transport failure, 408, 425, 429, 5xx), no earlier than `retryAfter` if given.
    case transient(String, retryAfter: Duration?)
    /// Will not succeed without a change (bad key, missing permission, unknown project, other 4xx).
    case permanent(String)

    /// The message, without the classification.
    var message: String {
        switch self {
        case .transient(let message, _), .permanent(let message): message
        }
    }

    /// The execution outcome for a part that failed this way.
    var outcome: ExecutionOutcome {
        switch self {
        case .transient(let reason, let retryAfter): .retryable(reason: reason, retryAfter: retryAfter)
        case .permanent(let reason): .rejected(reason: reason)
        }
    }
}

/// Reason phrases of the statuses Dependency-Track answers with, so messages read like upstream's Go `resp.Status`.
enum HTTPStatusPhrase {
    /// The reason phrase of `status`, if it is one of those.
    static func phrase(for status: Int) -> String? {
        let phrases = [
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            408: "Request Timeout", 409: "Conflict", 413: "Request Entity Too Large", 415: "Unsupported Media Type",
            425: "Too Early", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout",
        ]
        return phrases[status]
    }
}
