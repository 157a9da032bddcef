import Foundation

extension HTTPResponse {
    /// A JSON error response of the API's one error shape: `{"error":{"code":"…","message":"…"}}`.
    ///
    /// - Parameters:
    ///   - status: The HTTP status, e.g. 404.
    ///   - code: A stable machine-readable code, e.g. `not_found`.
    ///   - message: One sentence for a human, saying what went wrong and what to do.
    ///   - headers: Extra headers, e.g. `Allow` on a 405.
    public static func jsonError(status: Int, code: String, message: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var allHeaders = headers
        allHeaders.set("Content-Type", "application/json")
        let envelope = ErrorEnvelope(error: .init(code: code, message: message))
        return HTTPResponse(status: status, headers: allHeaders, body: (try? errorEncoder.encode(envelope)) ?? Data())
    }
}

/// The wire shape of an error body.
private struct ErrorEnvelope: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
    }

    var error: Detail
}

private let errorEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()
