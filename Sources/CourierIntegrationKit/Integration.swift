import CourierCore
import Foundation

/// A destination that attestations fan out to (Dependency-Track, SMTP, an OCI registry, …).
///
/// Conform a stateless `struct`. The lifecycle, driven through ``IntegrationCatalog``:
/// 1. **register** — the payload is checked against `RegistrationInput.inputSchema`, decoded, and handed to
///    ``register(_:context:)``, which validates further (often probing the remote end) and splits the result into
///    non-secret configuration and ``Credentials``;
/// 2. **attach** — likewise with `AttachmentInput`, plus the stored ``Registration``;
/// 3. **execute** — once per stored attestation of an attached workflow; returns an ``ExecutionOutcome`` rather than
///    throwing, so the dispatcher knows whether to retry.
///
/// Network access goes only through `context.http`, so tests substitute a fake.
///
/// ### Errors
/// Throw ``IntegrationValidationError`` for input the operator must fix (it becomes
/// `invalid_argument: validation error: …`), or a `CourierError` to choose the code yourself.
public protocol Integration: Sendable {
    /// The typed registration inputs.
    associatedtype RegistrationInput: IntegrationInput
    /// The typed attachment inputs; ``NoInput`` when there are none.
    associatedtype AttachmentInput: IntegrationInput = NoInput

    /// ID, version, description, subscribed materials and input schemas.
    static var descriptor: IntegrationDescriptor { get }

    /// Validates schema-checked registration inputs and returns what to store.
    func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration

    /// Validates schema-checked attachment inputs against the registration and returns the attachment configuration.
    func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue

    /// Delivers one attestation.
    func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome
}

/// Typed inputs of an integration: decoded from a payload that already passed ``inputSchema``.
public protocol IntegrationInput: Decodable, Sendable {
    /// The schema of this input, declared property by property in the struct's field order.
    static var inputSchema: InputSchema { get }
}

/// The inputs of an integration that takes none: the payload must be an empty object.
public struct NoInput: IntegrationInput, Hashable {
    public static let inputSchema = InputSchema.empty

    /// Creates the empty input.
    public init() {}
}

/// What registering produces and what attach and execute later receive: non-secret configuration stored in the
/// database and shown to operators, and optional credentials kept in the secret store.
public struct Registration: Sendable, Hashable {
    /// The integration's own state, e.g. `{"domain": "https://dt.example.com", "allowAutoCreate": false}`; an object.
    public var configuration: JSONValue
    /// Secrets, if the integration has any.
    public var credentials: Credentials?
    /// Secrets generated at registration that the operator must see once, in the registration's response, and
    /// never again (e.g. a webhook signing secret); keep them in `credentials` too if execution needs them.
    public var revealOnce: [String: String]

    /// Creates a registration.
    public init(configuration: JSONValue, credentials: Credentials? = nil, revealOnce: [String: String] = [:]) {
        self.configuration = configuration
        self.credentials = credentials
        self.revealOnce = revealOnce
    }
}

/// A stored registration handed back to ``Integration/attach(_:registration:context:)``.
public typealias RegistrationState = Registration

/// The clients an integration may use; injected so that tests substitute fakes.
public struct IntegrationContext: Sendable {
    /// The HTTP client.
    public var http: any HTTPClient
    /// How long one request of this attempt may take; `nil` lets each integration use its own default
    /// (upstream's 10 s for webhooks).
    public var requestTimeout: Duration?
    /// The current time, for timestamps the integration sends (signatures, `Retry-After` dates).
    public var now: @Sendable () -> Date

    /// Creates a context.
    public init(http: any HTTPClient, requestTimeout: Duration? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.http = http
        self.requestTimeout = requestTimeout
        self.now = now
    }
}

/// Input the operator must fix; reported as `invalid_argument: validation error: <message>`.
public struct IntegrationValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, in upstream's words where upstream has some (e.g. `permission: BOM_UPLOAD`).
    public var message: String

    /// Creates a validation error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension Integration where AttachmentInput == NoInput {
    /// Integrations without attachment inputs store an empty attachment configuration.
    public func attach(_ input: NoInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        .object([:])
    }
}
