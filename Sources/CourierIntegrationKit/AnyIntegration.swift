import CourierCore

/// Type erasure for ``Integration``: validates raw payloads against the schemas, decodes them into the typed inputs,
/// and maps errors to `CourierError`, so that integration authors never handle raw JSON.
struct AnyIntegration: Sendable {
    let descriptor: IntegrationDescriptor
    private let registerPayload: @Sendable (JSONValue, IntegrationContext) async throws -> Registration
    private let attachPayload: @Sendable (JSONValue, Registration, IntegrationContext) async throws -> JSONValue
    private let executeRequest: @Sendable (ExecutionRequest, IntegrationContext) async -> ExecutionOutcome

    init<Wrapped: Integration>(_ integration: Wrapped) {
        descriptor = Wrapped.descriptor
        registerPayload = { payload, context in
            let input = try Self.validatedInput(Wrapped.RegistrationInput.self, from: payload)
            return try await Self.reportingValidationErrors { try await integration.register(input, context: context) }
        }
        attachPayload = { payload, registration, context in
            let input = try Self.validatedInput(Wrapped.AttachmentInput.self, from: payload)
            return try await Self.reportingValidationErrors {
                try await integration.attach(input, registration: registration, context: context)
            }
        }
        executeRequest = { request, context in await integration.execute(request, context: context) }
    }

    func register(_ payload: JSONValue, context: IntegrationContext) async throws(CourierError) -> Registration {
        try await Self.courierErrors { try await registerPayload(payload, context) }
    }

    func attach(_ payload: JSONValue, registration: Registration, context: IntegrationContext) async throws(CourierError) -> JSONValue {
        try await Self.courierErrors { try await attachPayload(payload, registration, context) }
    }

    func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        await executeRequest(request, context)
    }

    /// Checks `payload` against `Input`'s schema, then decodes it.
    private static func validatedInput<Input: IntegrationInput>(_ type: Input.Type, from payload: JSONValue) throws -> Input {
        try SchemaValidator.validate(payload, against: Input.inputSchema)
        do {
            return try payload.decode(as: Input.self)
        } catch {
            throw CourierError.validation("the input does not match the integration's declared fields: \(error)")
        }
    }

    /// Turns ``IntegrationValidationError`` and any other non-Courier error into upstream's `validation error: …`.
    private static func reportingValidationErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as CourierError {
            throw error
        } catch let error as IntegrationValidationError {
            throw CourierError.validation(error.message)
        } catch {
            throw CourierError.validation(String(describing: error))
        }
    }

    private static func courierErrors<Result>(_ body: () async throws -> Result) async throws(CourierError) -> Result {
        do {
            return try await body()
        } catch let error as CourierError {
            throw error
        } catch {
            throw CourierError.validation(String(describing: error))
        }
    }
}
