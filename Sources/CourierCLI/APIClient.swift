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
        return try decode(Response.self, from: await send("POST", path, query: [], body: data))
    }

    /// `DELETE path`, ignoring any body.
    public func delete(_ path: String, query: [URLQueryItem] = []) async throws(CLIError) {
        _ = try await send("DELETE", path, query: query, body: nil)
    }

    /// `/v1/tokens/a%2Fb`: joins path segments, percent-encoding each; the result is a percent-encoded path.
    public static func path(_ segments: String...) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return "/" + segments.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "/")
    }

    /// Sends a request and returns the body of a 2xx response.
    private func send(_ method: String, _ path: String, query: [URLQueryItem], body: Data?) async throws(CLIError) -> Data {
        var components = URLComponents(url: server, resolvingAgainstBaseURL: false)
        let basePath = components?.percentEncodedPath ?? ""
        components?.percentEncodedPath = (basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath) + path
        components?.queryItems = query.isEmpty ? nil : query
        guard let url = components?.url else {
            throw CLIError("Could not build a URL from the server address \(server.absoluteString) and the path \(path).")
        }
        var headers = ["Accept": "application/json"]
        if let token {
            headers["Authorization"] = "Bearer \(token)"
        }
        if body != nil {
            headers["Content-Type"] = "application/json"
        }
        let response: TransportResponse
        do {
            response = try await transport.send(TransportRequest(method: method, url: url, headers: headers, body: body))
        } catch {
            throw describe(error)
        }
        guard (200..<300).contains(response.status) else {
            if let errorBody = try? Wire.decoder.decode(ErrorBody.self, from: response.body) {
                throw CLIError(errorBody.error.message, serverCode: errorBody.error.code)
            }
            throw CLIError("The server at \(serverName) answered \(method) \(path) with status \(response.status) and no error message.")
        }
        return response.body
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
