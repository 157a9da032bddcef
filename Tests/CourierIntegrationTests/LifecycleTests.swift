import CourierCore
import CourierIntegrationKit
import Foundation
import Testing

/// A small integration with real logic, to exercise the lifecycle plumbing.
private struct EchoIntegration: Integration {
    static let descriptor = IntegrationDescriptor(
        id: "echo",
        version: "0.1",
        description: "Echoes its inputs",
        subscribedMaterials: [.sbomCycloneDXJSON],
        registration: RegistrationInput.self
    )

    struct RegistrationInput: IntegrationInput {
        var url: String
        var retries: Int?
        var verbose: Bool?

        static let inputSchema = InputSchema(properties: [
            .string("url", format: .uri, required: true, description: "Where to echo"),
            .integer("retries", default: 3, description: "How often to retry"),
            .boolean("verbose", description: "Talk more"),
        ])
    }

    func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        guard !input.url.contains("forbidden") else { throw IntegrationValidationError("permission: BOM_UPLOAD") }
        return Registration(
            configuration: ["retries": .integer(Int64(input.retries ?? 3)), "verbose": .bool(input.verbose ?? false)],
            credentials: Credentials(url: input.url)
        )
    }

    /// Echoes the delivery id as the reference.
    func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        .delivered(reference: request.progress.deliveryID)
    }
}

/// An integration whose register reaches the network, failing with a transport error.
private struct ProbingIntegration: Integration {
    static let descriptor = IntegrationDescriptor(
        id: "probing", version: "1.0", description: "Probes", registration: NoInput.self
    )

    func register(_ input: NoInput, context: IntegrationContext) async throws -> Registration {
        _ = try await context.http.send(OutboundHTTPRequest(method: "GET", url: URL(string: "https://example.com")!))
        return Registration(configuration: [:])
    }

    func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        .skipped(reason: "nothing to probe")
    }
}

private func sampleRequest(registration: Registration) -> ExecutionRequest {
    ExecutionRequest(
        workflow: WorkflowMetadata(id: "w", name: "build", team: "", project: "foo"),
        run: RunMetadata(
            id: "r", state: "success", startedAt: Date(timeIntervalSince1970: 0), finishedAt: nil,
            runnerType: "GITHUB_ACTION", runURL: "", attestationDigest: "sha256:00"
        ),
        attestation: AttestationInput(envelope: Data("{}".utf8), hash: "sha256:11"),
        materials: [
            ExecutionMaterial(name: "sbom", type: .sbomCycloneDXJSON, filename: "sbom.json", content: .inline(Data("{}".utf8)))
        ],
        registration: registration,
        attachmentConfiguration: [:],
        progress: DeliveryProgress(deliveryID: "d1")
    )
}

private func courierError(_ body: () async throws -> Void) async -> CourierError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? CourierError
    }
}

@Suite struct LifecycleTests {
    let catalog: IntegrationCatalog

    init() throws {
        catalog = try IntegrationCatalog([EchoIntegration(), ProbingIntegration()])
    }

    @Test func registerDecodesTypedInputAndSplitsSecrets() async throws {
        let registration = try await catalog.register(
            "echo", payload: json(#"{"url": "https://echo.example.com", "retries": 5}"#), context: offlineContext
        )
        #expect(registration.configuration == ["retries": 5, "verbose": false])
        #expect(registration.credentials?.url == "https://echo.example.com")
    }

    @Test func schemaErrorsComeBeforeTheIntegration() async {
        let error = await courierError {
            _ = try await catalog.register("echo", payload: json(#"{"url": "echo"}"#), context: offlineContext)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "validation error: 'echo' is not valid 'uri'")
    }

    @Test func integrationValidationErrorsUseUpstreamWording() async {
        let error = await courierError {
            _ = try await catalog.register("echo", payload: json(#"{"url": "https://forbidden.example.com"}"#), context: offlineContext)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "validation error: permission: BOM_UPLOAD")
    }

    @Test func transportFailuresDuringRegistrationAreValidationErrors() async {
        let error = await courierError { _ = try await catalog.register("probing", payload: [:], context: offlineContext) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("validation error: ") == true)
    }

    @Test func defaultAttachStoresAnEmptyObject() async throws {
        let registration = Registration(configuration: [:])
        let configuration = try await catalog.attach("echo", payload: [:], registration: registration, context: offlineContext)
        #expect(configuration == .object([:]))
    }

    @Test func attachChecksTheAttachmentSchema() async {
        let error = await courierError {
            _ = try await catalog.attach("echo", payload: ["foo": 1], registration: Registration(configuration: [:]), context: offlineContext)
        }
        #expect(error?.message == "validation error: additionalProperties 'foo' not allowed")
    }

    @Test func executeGoesToTheIntegrationOfTheKind() async throws {
        let request = sampleRequest(registration: Registration(configuration: [:]))
        let outcome = try await catalog.execute("echo", request: request, context: offlineContext)
        #expect(outcome == .delivered(reference: request.progress.deliveryID))
        let unknown = await #expect(throws: CourierError.self) { try await catalog.execute("nope", request: request, context: offlineContext) }
        #expect(unknown?.message == "integration \"nope\" not found")
    }

    @Test func materialContentIsReadOnDemand() async throws {
        let request = sampleRequest(registration: Registration(configuration: [:]))
        let content = request.materials[0].content
        #expect(content.size == 2)
        #expect(try content.open().readToEnd() == Data("{}".utf8))
        #expect(try content.open().readToEnd() == Data("{}".utf8), "each opening reads from the start")
        #expect(request.progress.isDelivered("attestation") == false)
    }

    @Test func multiPartOutcomesSummarise() {
        let delivered = PartOutcome(partID: "attestation", outcome: .delivered(reference: "r1"))
        let skipped = PartOutcome(partID: "material:sbom", outcome: .skipped(reason: "filter not met"))
        let failed = PartOutcome(partID: "material:spdx", outcome: .retryable(reason: "503", retryAfter: .seconds(30)))
        let rejected = PartOutcome(partID: "material:other", outcome: .rejected(reason: "400"))
        #expect(ExecutionOutcome.parts([delivered, skipped]).overall == .delivered(reference: nil))
        #expect(ExecutionOutcome.parts([delivered, rejected, failed]).overall == .retryable(reason: "503", retryAfter: .seconds(30)))
        #expect(ExecutionOutcome.parts([delivered, rejected]).overall == .rejected(reason: "400"))
        #expect(ExecutionOutcome.parts([skipped]).overall == .skipped(reason: "every part was skipped"))
        #expect(ExecutionOutcome.delivered(reference: "x").overall == .delivered(reference: "x"))
    }
}

@Suite struct CredentialsTests {
    let credentials = Credentials(url: "https://hooks.example.com/secret-token", password: "hunter2")

    @Test func neverPrintsValues() {
        var dumped = ""
        dump(credentials, to: &dumped)
        for rendering in [credentials.description, credentials.debugDescription, String(reflecting: credentials), "\(credentials)", dumped] {
            #expect(!rendering.contains("hunter2"))
            #expect(!rendering.contains("secret-token"))
        }
        #expect(credentials.description == "Credentials(Password: <redacted>, URL: <redacted>)")
        let registration = Registration(configuration: [:], credentials: credentials)
        #expect(!String(describing: registration).contains("hunter2"))
    }

    @Test func encodesUpstreamFieldNames() throws {
        let encoded = try JSONValue(encoding: credentials)
        #expect(encoded == ["URL": "https://hooks.example.com/secret-token", "Password": "hunter2"])
        #expect(try encoded.decode(as: Credentials.self) == credentials)
        #expect(credentials.username == nil)
    }
}
