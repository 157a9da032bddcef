import CourierWire
import Foundation

/// A client of Courier's HTTP API: builds requests, sends the bearer token, decodes responses,
/// and turns error bodies and connection failures into ``CLIError``s. Never prints the token.
public struct APIClient: Sendable {
    /// The server's base URL.
    public let server: URL
    private let token: String?
    private let transport: any HTTPTransport

    public init(server: URL, token: String?, transport: any HTTPTransport) {
        self.server = server
        self.token = token
        self.transport = transport
    }

    /// `GET path` decoded as `Response`; `path` is percent-encoded (see ``path(_:)``).
    public func get<Response: Decodable>(_ path: String, query: [URLQueryItem] = [], as type: Response.Type = Response.self)
        async throws(CLIError) -> Response
    {
        try decode(Response.self, from: await send("GET", path, query: query, body: nil))
    }

    /// `POST path` with `body` as JSON, decoded as `Response`.
    public func post<Body: Encodable, Response: Decodable>(_ path: String, body: Body, as type: Response.Type = Response.self)
        async throws(CLIError) -> Response
    {
        let data: Data
        do {
            data = try Wire.encoder.encode(body)
        } catch {
            throw CLIError("Could not encode the request to \(path).")
        }
        return try decode(Response.self, from: await send("POST", path, query: [], body: .json(data)))
    }

    /// `POST path?query` with `json`, bytes already encoded (such as an attestation pushed unchanged), decoded as `Response`.
    public func post<Response: Decodable>(_ path: String, query: [URLQueryItem] = [], json: Data, as type: Response.Type = Response.self)
        async throws(CLIError) -> Response
    {
        try decode(Response.self, from: await send("POST", path, query: query, body: .json(json)))
    }

    /// `POST path` without a body (an action such as a retry), decoded as `Response`.
    public func post<Response: Decodable>(_ path: String, as type: Response.Type = Response.self) async throws(CLIError) -> Response {
        try decode(Response.self, from: await send("POST", path, query: [], body: nil))
    }

    /// `PUT path` with the bytes of `file` as an `application/octet-stream` body, streamed from disk, decoded as `Response`.
    public func put<Response: Decodable>(_ path: String, file: URL, as type: Response.Type = Response.self) async throws(CLIError) -> Response {
        try decode(Response.self, from: await send("PUT", path, query: [], body: .file(file)))
    }

    /// `HEAD path`: true when the server answers 2xx, false when it answers 404.
    public func exists(_ path: String) async throws(CLIError) -> Bool {
        let response = try await exchange("HEAD", path, query: [], body: nil)
        if response.status == 404 { return false }
        try check(response, of: "HEAD", path)
        return true
    }

    /// `DELETE path`, ignoring any body.
    public func delete(_ path: String, query: [URLQueryItem] = []) async throws(CLIError) {
        _ = try await send("DELETE", path, query: query, body: nil)
    }

    /// `/v1/tokens/a%2Fb`: joins path segments, percent-encoding each (`:` included, so that a digest `sha256:…` reads
    /// `sha256%3A…`); the result is a percent-encoded path.
    public static func path(_ segments: String...) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/:")
        return "/" + segments.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "/")
    }

    /// What a request carries: JSON bytes, or a file streamed from disk.
    private enum RequestBody {
        case json(Data)
        case file(URL)
    }

    /// Sends a request and returns the body of a 2xx response.
    private func send(_ method: String, _ path: String, query: [URLQueryItem], body: RequestBody?) async throws(CLIError) -> Data {
        let response = try await exchange(method, path, query: query, body: body)
        try check(response, of: method, path)
        return response.body
    }

    /// Sends a request and returns the response, whatever its status.
    private func exchange(_ method: String, _ path: String, query: [URLQueryItem], body: RequestBody?) async throws(CLIError) -> TransportResponse {
        var components = URLComponents(url: server, resolvingAgainstBaseURL: false)
        let basePath = components?.percentEncodedPath ?? ""
        components?.percentEncodedPath = (basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath) + path
        components?.queryItems = query.isEmpty ? nil : query
        guard let url = components?.url else {
            throw CLIError("Could not build a URL from the server address \(server.absoluteString) and the path \(path).")
        }
        var request = TransportRequest(method: method, url: url, headers: ["Accept": "application/json"])
        if let token {
            request.headers["Authorization"] = "Bearer \(token)"
        }
        switch body {
        case .json(let data):
            request.headers["Content-Type"] = "application/json"
            request.body = data
        case .file(let file):
            request.headers["Content-Type"] = "application/octet-stream"
            request.bodyFile = file
        case nil:
            break
        }
        do {
            return try await transport.send(request)
        } catch {
            throw describe(error)
        }
    }

    /// Throws the server's error message, or a sentence naming the status, unless `response` is 2xx.
    private func check(_ response: TransportResponse, of method: String, _ path: String) throws(CLIError) {
        guard !(200..<300).contains(response.status) else { return }
        if let errorBody = try? Wire.decoder.decode(ErrorBody.self, from: response.body) {
            throw CLIError(errorBody.error.message, serverCode: errorBody.error.code)
        }
        throw CLIError("The server at \(serverName) answered \(method) \(path) with status \(response.status) and no error message.")
    }

    private func decode<Response: Decodable>(_ type: Response.Type, from data: Data) throws(CLIError) -> Response {
        do {
            return try Wire.decoder.decode(Response.self, from: data)
        } catch {
            throw CLIError("The server at \(serverName) sent a response this courier cannot read; check that client and server versions match.")
        }
    }

    private func describe(_ error: TransportError) -> CLIError {
        switch error {
        case .cannotConnect:
            return CLIError(
                "Could not reach the Courier server at \(serverName); start one with 'courier serve', "
                    + "or point to a running one with --server URL or COURIER_SERVER."
            )
        case .timedOut(let seconds):
            return CLIError("The Courier server at \(serverName) did not answer within \(seconds) seconds; check that it is healthy.")
        case .failed(let reason):
            return CLIError("The request to the Courier server at \(serverName) failed (\(reason)).")
        }
    }

    private var serverName: String { server.absoluteString }
}
