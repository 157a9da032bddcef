import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A keep-alive HTTP client of one Courier server, authenticated as its owner: URLSession with a connection pool
/// as large as the highest concurrency the benchmark drives.
public final class APIClient: Sendable {
    private let baseURL: String
    private let token: String
    private let session: URLSession

    /// A client of `server` keeping up to `connections` connections open.
    public init(server: CourierServer, connections: Int = 64) {
        baseURL = server.baseURL
        token = server.ownerToken
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = connections
        configuration.timeoutIntervalForRequest = 300
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    deinit { session.invalidateAndCancel() }

    /// Sends `method path` with an optional body; returns the status and the response body.
    public func send(_ method: String, _ path: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        let request = makeRequest(method, path)
        let (data, response) =
            if let body {
                try await session.upload(for: request, from: body)
            } else {
                try await session.data(for: request)
            }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Sends `method path` with the contents of `file` as the body.
    public func send(_ method: String, _ path: String, file: URL) async throws -> (status: Int, body: Data) {
        let (data, response) = try await session.upload(for: makeRequest(method, path), fromFile: file)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Sends a request and throws unless the server answers `expected`.
    @discardableResult
    public func expect(_ expected: Int, _ method: String, _ path: String, body: Data? = nil) async throws -> Data {
        let (status, data) = try await send(method, path, body: body)
        guard status == expected else { throw Self.unexpected(status, expected, method, path, data) }
        return data
    }

    /// Sends a JSON object and throws unless the server answers `expected`.
    @discardableResult
    public func expect(_ expected: Int, _ method: String, _ path: String, json: [String: Any]) async throws -> Data {
        try await expect(expected, method, path, body: try JSONSerialization.data(withJSONObject: json))
    }

    /// The error for a status other than the one expected, with the start of the response body.
    static func unexpected(_ status: Int, _ expected: Int, _ method: String, _ path: String, _ body: Data) -> BenchmarkError {
        BenchmarkError("\(method) \(path) answered \(status), not \(expected): \(String(decoding: body.prefix(500), as: UTF8.self))")
    }

    private func makeRequest(_ method: String, _ path: String) -> URLRequest {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        return request
    }
}
