import CourierHTTP
import CourierIntegrationKit
import CourierLogging
import Foundation
import Synchronization

/// Runs `body` with `responder` listening on 127.0.0.1 and a free port; the server runs in a child task, cancelled at
/// the end.
func withFakeServer<Result: Sendable>(
    _ responder: any HTTPResponder, _ body: @Sendable (_ baseURL: String) async throws -> Result
) async throws -> Result {
    let server = try HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), responder: responder, logger: .disabled)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        return try await body("http://127.0.0.1:\(server.port)")
    }
}

/// One part of a `multipart/form-data` body as a server reads it.
struct ReceivedFormPart: Sendable, Hashable {
    var name: String
    var filename: String?
    var contentType: String?
    var data: Data

    var text: String { String(decoding: data, as: UTF8.self) }
}

/// Parses a `multipart/form-data` body the way servers do (RFC 7578); `nil` when it is not one.
func parseMultipartForm(_ body: Data, contentType: String?) -> [ReceivedFormPart]? {
    guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data"),
        let boundaryParameter = contentType.components(separatedBy: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { $0.hasPrefix("boundary=") })
    else { return nil }
    let boundary = boundaryParameter.dropFirst("boundary=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    guard var cursor = body.range(of: Data("--\(boundary)".utf8))?.upperBound else { return nil }
    var parts: [ReceivedFormPart] = []
    while true {
        let marker = body[cursor..<min(cursor + 2, body.endIndex)]
        if marker == Data("--".utf8) { return parts }
        guard marker == Data("\r\n".utf8),
            let next = body.range(of: Data("\r\n--\(boundary)".utf8), in: (cursor + 2)..<body.endIndex)
        else { return nil }
        let segment = body[(cursor + 2)..<next.lowerBound]
        guard let headerEnd = segment.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        var part = ReceivedFormPart(name: "", data: Data(segment[headerEnd.upperBound...]))
        for line in String(decoding: segment[..<headerEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n") {
            let lowered = line.lowercased()
            if lowered.hasPrefix("content-type:") {
                part.contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
            } else if lowered.hasPrefix("content-disposition:") {
                part.name = dispositionParameter("name", in: line) ?? ""
                part.filename = dispositionParameter("filename", in: line)
            }
        }
        parts.append(part)
        cursor = next.upperBound
    }
}

private func dispositionParameter(_ name: String, in line: String) -> String? {
    for parameter in line.components(separatedBy: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
    where parameter.hasPrefix("\(name)=\"") && parameter.hasSuffix("\"") {
        return String(parameter.dropFirst(name.count + 2).dropLast())
    }
    return nil
}

private func jsonResponse(_ status: Int, _ value: JSONValue, headers: HTTPHeaders = [:]) -> HTTPResponse {
    var headers = headers
    headers.set("Content-Type", "application/json")
    return HTTPResponse(status: status, headers: headers, body: Data(value.serialized().utf8))
}

/// Answers queued first, in order, before a fake's normal behaviour (to script 429s and 5xx); a queued `nil` lets one
/// request through to the normal behaviour.
final class ScriptedAnswers: Sendable {
    private let queue = Mutex<[HTTPResponse?]>([])

    func enqueue(_ responses: HTTPResponse?...) {
        queue.withLock { $0.append(contentsOf: responses) }
    }

    func next() -> HTTPResponse? {
        queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// A BOM upload the Dependency-Track fake accepted or refused.
struct ReceivedBOMUpload: Sendable {
    var parts: [ReceivedFormPart]
    /// The token answered, when accepted.
    var token: String?
    /// The project the BOM went into, when accepted.
    var projectUUID: String?

    func field(_ name: String) -> String? { parts.first { $0.name == name }?.text }
    var fieldNames: [String] { parts.map(\.name) }
}

/// A Dependency-Track API server following its documented REST API, served under a base path: `X-Api-Key`
/// authentication, `GET team/self` with configurable permissions, `GET project/<uuid>`, and `POST bom` taking
/// multipart form fields (`bom`, `project` or `autoCreate` + `projectName` [+ `parentUUID`]) and answering a token.
final class FakeDependencyTrack: HTTPResponder {
    let basePath: String
    let apiKey: String
    let permissions: Mutex<[String]>
    /// Projects by UUID: their names.
    let projects: Mutex<[String: String]>
    let uploads = Mutex<[ReceivedBOMUpload]>([])
    /// `METHOD path` of every request, in order.
    let requestLog = Mutex<[String]>([])
    /// Answers for `POST bom` that take precedence over accepting the upload.
    let scriptedUploadAnswers = ScriptedAnswers()

    init(basePath: String = "/dtrack", apiKey: String, permissions: [String], projects: [String: String] = [:]) {
        self.basePath = basePath
        self.apiKey = apiKey
        self.permissions = Mutex(permissions)
        self.projects = Mutex(projects)
    }

    var receivedUploads: [ReceivedBOMUpload] { uploads.withLock { $0 } }
    var requests: [String] { requestLog.withLock { $0 } }

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        requestLog.withLock { $0.append("\(request.method.rawValue) \(request.path)") }
        guard request.path.hasPrefix(basePath + "/api/v1/") else { return HTTPResponse(status: 404) }
        guard request.headers["X-Api-Key"] == apiKey else { return HTTPResponse(status: 401) }
        let route = String(request.path.dropFirst(basePath.count))
        switch (request.method, route) {
        case (.get, "/api/v1/team/self"):
            let granted = permissions.withLock { $0 }
            return jsonResponse(
                200,
                [
                    "uuid": "7a1e0000-0000-0000-0000-000000000001", "name": "Automation",
                    "permissions": .array(granted.map { ["name": .string($0), "description": "granted"] }),
                ])
        case (.get, _) where route.hasPrefix("/api/v1/project/"):
            let uuid = String(route.dropFirst("/api/v1/project/".count))
            guard let name = projects.withLock({ $0[uuid] }) else {
                return HTTPResponse(status: 404, body: Data("The project could not be found.".utf8))
            }
            return jsonResponse(200, ["uuid": .string(uuid), "name": .string(name)])
        case (.post, "/api/v1/bom"):
            return upload(request)
        default:
            return HTTPResponse(status: 405)
        }
    }

    private func upload(_ request: HTTPRequest) -> HTTPResponse {
        guard let parts = parseMultipartForm(request.body, contentType: request.headers["Content-Type"]) else {
            return HTTPResponse(status: 415)
        }
        var upload = ReceivedBOMUpload(parts: parts)
        defer { uploads.withLock { $0.append(upload) } }
        if let scripted = scriptedUploadAnswers.next() { return scripted }
        guard upload.field("bom") != nil else { return HTTPResponse(status: 400, body: Data("bom is required".utf8)) }
        let projectUUID: String
        if let project = upload.field("project") {
            guard projects.withLock({ $0[project] }) != nil else {
                return HTTPResponse(status: 404, body: Data("The project could not be found.".utf8))
            }
            projectUUID = project
        } else if upload.field("autoCreate") == "true", let name = upload.field("projectName") {
            guard permissions.withLock({ $0.contains("PROJECT_CREATION_UPLOAD") }) else { return HTTPResponse(status: 401) }
            if let parent = upload.field("parentUUID"), projects.withLock({ $0[parent] }) == nil {
                return HTTPResponse(status: 404, body: Data("The parent component could not be found.".utf8))
            }
            projectUUID = projects.withLock { projects in
                if let existing = projects.first(where: { $0.value == name })?.key { return existing }
                let created = UUID().uuidString.lowercased()
                projects[created] = name
                return created
            }
        } else {
            return HTTPResponse(status: 400, body: Data("project or projectName with autoCreate is required".utf8))
        }
        let token = UUID().uuidString.lowercased()
        upload.token = token
        upload.projectUUID = projectUUID
        return jsonResponse(200, ["token": .string(token)])
    }
}

/// A message the Discord fake received: `payload_json` and the file parts.
struct ReceivedDiscordMessage: Sendable {
    var payload: JSONValue
    var files: [ReceivedFormPart]
}

/// A Discord webhook: `GET` describes it; `POST` takes what Discord accepts with attachments — multipart with a
/// `payload_json` field whose `attachments[n].id` matches a `files[n]` part — and answers 200 with the message.
final class FakeDiscordWebhook: HTTPResponder {
    let messages = Mutex<[ReceivedDiscordMessage]>([])
    let scripted = ScriptedAnswers()

    var received: [ReceivedDiscordMessage] { messages.withLock { $0 } }

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        guard request.path.hasPrefix("/api/webhooks/") else { return jsonResponse(404, ["message": "Unknown Webhook", "code": 10015]) }
        switch request.method {
        case .get:
            return jsonResponse(200, ["id": "1", "type": 1, "name": "releases", "channel_id": "42", "user": ["username": "alice"]])
        case .post:
            if let answer = scripted.next() { return answer }
            guard let parts = parseMultipartForm(request.body, contentType: request.headers["Content-Type"]),
                let payloadPart = parts.first(where: { $0.name == "payload_json" }),
                let payload = try? JSONValue(parsing: payloadPart.data)
            else { return jsonResponse(400, ["message": "Cannot send an empty message", "code": 50006]) }
            let files = parts.filter { $0.name.hasPrefix("files[") && $0.filename != nil }
            if case .array(let attachments) = payload.objectValue?["attachments"] {
                for attachment in attachments {
                    guard case .integer(let id) = attachment.objectValue?["id"], files.contains(where: { $0.name == "files[\(id)]" }) else {
                        return jsonResponse(400, ["message": "Invalid Form Body", "code": 50035])
                    }
                }
            }
            messages.withLock { $0.append(ReceivedDiscordMessage(payload: payload, files: files)) }
            return jsonResponse(200, ["id": "9", "type": 0, "content": payload.objectValue?["content"] ?? ""])
        default:
            return jsonResponse(405, ["message": "405: Method Not Allowed", "code": 0])
        }
    }
}

/// A Slack incoming webhook: `POST` of JSON with a `text` string answers `ok`; anything else `invalid_payload` or
/// `no_text`, as Slack does.
final class FakeSlackWebhook: HTTPResponder {
    let texts = Mutex<[String]>([])
    let scripted = ScriptedAnswers()

    var received: [String] { texts.withLock { $0 } }

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        guard request.method == .post, request.path.hasPrefix("/services/") else { return HTTPResponse(status: 404, body: Data("no_service".utf8)) }
        if let answer = scripted.next() { return answer }
        guard request.headers["Content-Type"]?.hasPrefix("application/json") == true,
            let body = try? JSONValue(parsing: request.body)
        else { return HTTPResponse(status: 400, body: Data("invalid_payload".utf8)) }
        guard let text = body.objectValue?["text"]?.stringValue, !text.isEmpty else {
            return HTTPResponse(status: 400, body: Data("no_text".utf8))
        }
        texts.withLock { $0.append(text) }
        return HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], body: Data("ok".utf8))
    }
}
