import CourierCore
import CourierHTTP
import CourierLogging
import CourierWire
import Foundation

extension CourierError.Code {
    /// The HTTP status of each error code: the one place this mapping is made.
    public var httpStatus: Int {
        switch self {
        case .invalidArgument: 400
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .notFound: 404
        case .alreadyExists, .failedPrecondition: 409
        case .payloadTooLarge: 413
        case .internal: 500
        case .unavailable: 503
        }
    }
}

/// Turns any error thrown by a handler into the API's error response.
///
/// `CourierError`s keep their code and message. Every other error becomes a 500 with the message
/// "Internal server error." and is logged, with the request id, at error level; nothing of it
/// reaches the client.
func errorResponse(for error: any Error, request: HTTPRequest, logger: Logger) -> HTTPResponse {
    let courierError: CourierError
    if let error = error as? CourierError {
        courierError = error
    } else {
        courierError = .internal(InternalFailure(description: String(reflecting: error)))
    }
    if courierError.code == .internal {
        logger.error(
            "Request failed",
            ["request.id": request.id, "error.detail": courierError.cause.map { String(reflecting: $0) } ?? courierError.message]
        )
    }
    let body = ErrorBody(code: courierError.code.rawValue, message: courierError.message, requestID: request.id)
    return jsonResponse(body, status: courierError.code.httpStatus)
}

/// An error that is not a `CourierError`, kept for the log.
struct InternalFailure: Error, Sendable, CustomStringConvertible {
    var description: String
}

/// A JSON response with `Content-Type: application/json`.
func jsonResponse(_ value: some Encodable, status: Int = 200) -> HTTPResponse {
    do {
        let body = try Wire.encoder.encode(value)
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: body)
    } catch {
        return HTTPResponse(
            status: 500,
            headers: ["Content-Type": "application/json"],
            body: Data(#"{"error":{"code":"internal","message":"Internal server error."}}"#.utf8)
        )
    }
}

/// A response with no body.
func noContent() -> HTTPResponse { HTTPResponse(status: 204) }

/// Decodes the JSON body of `request`, turning every failure into one `invalid_argument` sentence.
func decodeBody<T: Decodable>(_ type: T.Type, from request: HTTPRequest) throws(CourierError) -> T {
    if request.body.isEmpty {
        throw .invalid("The request body is empty; send a JSON object.")
    }
    do {
        return try Wire.decoder.decode(T.self, from: request.body)
    } catch let DecodingError.keyNotFound(key, _) {
        throw .invalid("The request body is missing the required field '\(key.stringValue)'.")
    } catch let DecodingError.typeMismatch(expected, context) {
        throw .invalid("The field '\(fieldPath(context))' has the wrong type; expected \(jsonTypeName(expected)).")
    } catch let DecodingError.valueNotFound(expected, context) {
        throw .invalid("The field '\(fieldPath(context))' must not be null; expected \(jsonTypeName(expected)).")
    } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
        throw .invalid("The field '\(fieldPath(context))' has an invalid value.")
    } catch {
        throw .invalid("The request body is not valid JSON; send a JSON object.")
    }
}

private func fieldPath(_ context: DecodingError.Context) -> String {
    context.codingPath.map(\.stringValue).joined(separator: ".")
}

private func jsonTypeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Bool.Type: "a boolean"
    case is Int.Type, is Int64.Type, is Double.Type: "a number"
    case is [Any].Type: "an array"
    default: "an object"
    }
}
