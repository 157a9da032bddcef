/// The one error type of Courier's domain, storage and API layers.
///
/// `message` is one sentence written for the person who must act: it says what is wrong and,
/// where possible, how to fix it. It never contains secrets, SQL or remote response bodies;
/// those belong in `cause`, which is only logged.
///
/// The code is mapped to an HTTP status once, in `CourierAPI`, and to an exit status once, in
/// `CourierCLI`.
public struct CourierError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; the raw value is the wire code of the API's error body.
    public enum Code: String, Sendable, Codable, CaseIterable {
        case invalidArgument = "invalid_argument"
        case unauthenticated
        case permissionDenied = "permission_denied"
        case notFound = "not_found"
        case alreadyExists = "already_exists"
        case failedPrecondition = "failed_precondition"
        case payloadTooLarge = "payload_too_large"
        case unavailable
        case `internal`
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence safe to show to API clients and CLI users.
    public var message: String
    /// The underlying error, for logs only; never serialised.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension CourierError {
    /// An `invalid_argument` error.
    public static func invalid(_ message: String) -> CourierError { CourierError(.invalidArgument, message) }
    /// A `not_found` error.
    public static func notFound(_ message: String) -> CourierError { CourierError(.notFound, message) }
    /// An `internal` error whose message hides the cause.
    public static func `internal`(_ cause: any Error & Sendable) -> CourierError {
        CourierError(.internal, "Internal server error.", cause: cause)
    }
}
