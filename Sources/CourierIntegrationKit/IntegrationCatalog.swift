import CourierCore

/// The integrations this Courier offers, built once at start-up from an explicit list:
///
/// ```swift
/// let catalog = try IntegrationCatalog([DependencyTrackIntegration(), SMTPIntegration(), WebhookIntegration()])
/// let registration = try await catalog.register("smtp", payload: payload, context: context)
/// ```
///
/// It checks each descriptor's rules, rejects duplicate IDs, and lists integrations sorted by ID.
public struct IntegrationCatalog: Sendable {
    private let integrations: [String: AnyIntegration]

    /// The descriptors, sorted by ID.
    public let descriptors: [IntegrationDescriptor]

    /// Builds a catalog.
    ///
    /// - Throws: `CourierError(.failedPrecondition)` for a descriptor breaking a rule
    ///   (see ``IntegrationDescriptor/checkRules()``), `CourierError(.alreadyExists)` for a repeated ID.
    public init(_ integrations: [any Integration]) throws(CourierError) {
        var byID: [String: AnyIntegration] = [:]
        for integration in integrations {
            let erased = AnyIntegration(integration)
            try erased.descriptor.checkRules()
            guard byID[erased.descriptor.id] == nil else {
                throw CourierError(.alreadyExists, "integration \"\(erased.descriptor.id)\" is listed twice")
            }
            byID[erased.descriptor.id] = erased
        }
        self.integrations = byID
        self.descriptors = byID.values.map(\.descriptor).sorted { $0.id < $1.id }
    }

    /// The descriptor of integration `id`.
    ///
    /// - Throws: `CourierError(.notFound, "integration \"<id>\" not found")`.
    public func descriptor(_ id: String) throws(CourierError) -> IntegrationDescriptor {
        try integration(id).descriptor
    }

    /// Checks `payload` against integration `id`'s schema of `kind` without running the integration, as the CLI does
    /// before calling the API.
    ///
    /// - Throws: `not_found`, or `invalid_argument` with `validation error: <message>`.
    public func validate(_ payload: JSONValue, for id: String, kind: InputSchemaKind) throws(CourierError) {
        try SchemaValidator.validate(payload, against: integration(id).descriptor.schema(kind))
    }

    /// Registers an instance of integration `id`: schema check, then the integration's own validation.
    ///
    /// - Throws: `not_found`; `invalid_argument` with `validation error: <message>`; whatever `CourierError` the
    ///   integration chooses (e.g. `failed_precondition` while its logic is not implemented).
    public func register(_ id: String, payload: JSONValue, context: IntegrationContext) async throws(CourierError) -> Registration {
        try await integration(id).register(payload, context: context)
    }

    /// Attaches a registration of integration `id` to a workflow: schema check, then the integration's own checks.
    ///
    /// - Returns: the attachment configuration to store.
    public func attach(
        _ id: String, payload: JSONValue, registration: RegistrationState, context: IntegrationContext
    ) async throws(CourierError) -> JSONValue {
        try await integration(id).attach(payload, registration: registration, context: context)
    }

    /// Executes integration `id` for one attestation.
    public func execute(_ id: String, request: ExecutionRequest, context: IntegrationContext) async throws(CourierError) -> ExecutionOutcome {
        try await integration(id).execute(request, context: context)
    }

    private func integration(_ id: String) throws(CourierError) -> AnyIntegration {
        guard let integration = integrations[id] else { throw CourierError.notFound("integration \"\(id)\" not found") }
        return integration
    }
}
