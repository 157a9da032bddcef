import CourierCore
import CourierDependencyTrack
import CourierHTTP
import CourierHTTPClient
import CourierIntegrationKit
import Foundation
import Testing

@Suite struct DependencyTrackIntegrationTests {
    static let apiKey = "odt_S3cretKeyValue"
    static let projectID = "11111111-2222-3333-4444-555555555555"
    static let parentID = "99999999-8888-7777-6666-555555555555"
    static let allPermissions = ["BOM_UPLOAD", "VIEW_PORTFOLIO", "PROJECT_CREATION_UPLOAD"]
    static let firstSBOM = Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"name":"api"}}}"#.utf8)
    static let secondSBOM = Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"name":"web"}}}"#.utf8)

    let integration = DependencyTrackIntegration()
    let context = IntegrationContext(http: LiveHTTPClient(), requestTimeout: .seconds(30))

    func fake(permissions: [String] = allPermissions) -> FakeDependencyTrack {
        FakeDependencyTrack(apiKey: Self.apiKey, permissions: permissions, projects: [Self.projectID: "existing", Self.parentID: "parent"])
    }

    func registration(_ base: String, allowAutoCreate: Bool = true) -> Registration {
        Registration(
            configuration: ["domain": .string(base + "/dtrack"), "allowAutoCreate": .bool(allowAutoCreate)],
            credentials: Credentials(password: Self.apiKey))
    }

    func request(_ base: String, attachment: JSONValue, delivered: [String: String] = [:]) -> ExecutionRequest {
        ExecutionRequest(
            workflow: WorkflowMetadata(id: "wf-1", name: "build", team: "core", project: "shop"),
            run: RunMetadata(
                id: "run-1", state: "success", startedAt: Date(), finishedAt: nil, runnerType: "GITHUB_ACTION", runURL: "",
                attestationDigest: "sha256:abc"),
            attestation: AttestationInput(envelope: Data(), hash: "sha256:def", annotations: ["version": "1.2.3", "env": "prod"]),
            materials: [
                ExecutionMaterial(
                    name: "api-sbom", type: .sbomCycloneDXJSON, annotations: ["component": "api", "env": "prod"], content: .inline(Self.firstSBOM)),
                ExecutionMaterial(name: "web-sbom", type: .sbomCycloneDXJSON, annotations: ["component": "web"], content: .inline(Self.secondSBOM)),
            ],
            registration: registration(base),
            attachmentConfiguration: attachment,
            progress: DeliveryProgress(deliveryID: "del-1", attempt: delivered.isEmpty ? 1 : 2, deliveredParts: delivered)
        )
    }

    /// Registers through the catalog, as the API does, and returns the error message or the registration.
    func register(_ payload: JSONValue) async -> Result<Registration, CourierError> {
        do {
            return .success(try await IntegrationCatalog(allIntegrations).register("dependency-track", payload: payload, context: context))
        } catch {
            return .failure(error)
        }
    }

    func attach(_ payload: JSONValue, registration: Registration) async -> Result<JSONValue, CourierError> {
        do {
            return .success(
                try await IntegrationCatalog(allIntegrations).attach(
                    "dependency-track", payload: payload, registration: registration, context: context))
        } catch {
            return .failure(error)
        }
    }

    // MARK: Register

    static let permissionMatrix: [([String], Bool, String?)] = [
        ([], false, "validation error: permission: BOM_UPLOAD"),
        (["BOM_UPLOAD"], false, "validation error: permission: VIEW_PORTFOLIO"),
        (["BOM_UPLOAD", "VIEW_PORTFOLIO"], false, nil),
        (["BOM_UPLOAD", "VIEW_PORTFOLIO"], true, "validation error: permission: PROJECT_CREATION_UPLOAD"),
        (["BOM_UPLOAD", "PROJECT_CREATION_UPLOAD"], true, "validation error: permission: VIEW_PORTFOLIO"),
        (allPermissions, true, nil),
        (allPermissions, false, nil),
    ]

    @Test(arguments: permissionMatrix)
    func registrationChecksTeamPermissions(permissions: [String], autoCreate: Bool, expected: String?) async throws {
        let server = fake(permissions: permissions)
        let result = try await withFakeServer(server) { base in
            await register(["instanceURI": .string(base + "/dtrack"), "apiKey": .string(Self.apiKey), "allowAutoCreate": .bool(autoCreate)])
        }
        #expect(server.requests == ["GET /dtrack/api/v1/team/self"])
        switch result {
        case .success(let registration):
            #expect(expected == nil)
            #expect(registration.configuration.objectValue?["allowAutoCreate"] == .bool(autoCreate))
            #expect(registration.configuration.objectValue?["domain"]?.stringValue?.hasSuffix("/dtrack") == true)
            #expect(registration.credentials?.password == Self.apiKey)
            #expect(!registration.configuration.serialized().contains(Self.apiKey))
        case .failure(let error):
            #expect(error.code == .invalidArgument)
            #expect(error.message == expected)
        }
    }

    @Test func aWrongKeyIsABadStatusWithoutTheKey() async throws {
        let result = try await withFakeServer(fake()) { base in
            await register(["instanceURI": .string(base + "/dtrack/"), "apiKey": "wrong-key"])
        }
        guard case .failure(let error) = result else {
            Issue.record("registered with a wrong key")
            return
        }
        #expect(error.message == "validation error: bad status: 401 Unauthorized")
    }

    @Test func schemaErrorsUseUpstreamMessages() async throws {
        let catalog = try IntegrationCatalog(allIntegrations)
        let cases: [(JSONValue, String)] = [
            (["apiKey": "k"], "validation error: missing properties: 'instanceURI'"),
            (["instanceURI": "localhost", "apiKey": "k"], "validation error: 'localhost' is not valid 'uri'"),
            (["instanceURI": "https://dt.example.com:8443/dtrack"], "validation error: missing properties: 'apiKey'"),
        ]
        for (payload, message) in cases {
            let error = #expect(throws: CourierError.self) { try catalog.validate(payload, for: "dependency-track", kind: .registration) }
            #expect(error?.message == message)
        }
        #expect(throws: Never.self) {
            try catalog.validate(["instanceURI": "https://dt.example.com:8443/dtrack", "apiKey": "k"], for: "dependency-track", kind: .registration)
        }
    }

    // MARK: Attach

    static let attachMatrix: [(String, Bool, String?, String?)] = [
        (#"{"projectID": "\#(projectID)"}"#, false, nil, #"{"projectId":"\#(projectID)"}"#),
        (
            #"{"projectID": "00000000-0000-0000-0000-000000000000"}"#, false,
            #"validation error: project with ID "00000000-0000-0000-0000-000000000000" not found"#, nil
        ),
        (#"{"projectName": "shop"}"#, false, "validation error: auto creation of projects is not supported in this integration", nil),
        (
            #"{"projectName": "shop-{{.Material.Annotations.component}}"}"#, true, nil,
            #"{"projectName":"shop-{{.Material.Annotations.component}}"}"#
        ),
        (#"{"projectName": "{{.Hello"}"#, true, "validation error: invalid project name: template: projectName:1: unclosed action", nil),
        (#"{"projectName": "shop", "parentID": "\#(parentID)"}"#, true, nil, #"{"projectName":"shop","parentId":"\#(parentID)"}"#),
        (
            #"{"projectName": "shop", "parentID": "00000000-0000-0000-0000-000000000000"}"#, true,
            #"validation error: project with ID "00000000-0000-0000-0000-000000000000" not found"#, nil
        ),
        (
            #"{"projectID": "\#(projectID)", "parentID": "\#(parentID)"}"#, true,
            "validation error: property 'projectName' is required, if 'parentID' property exists", nil
        ),
        (#"{"projectID": "\#(projectID)", "projectName": "shop"}"#, true, "validation error: valid against schemas at indexes 0 and 1", nil),
        (#"{}"#, true, "validation error: missing properties: 'projectName'", nil),
        (
            #"{"projectID": "\#(projectID)", "filter": "env=prod, component=api"}"#, false, nil,
            #"{"projectId":"\#(projectID)","filter":"env=prod, component=api"}"#
        ),
        (
            #"{"projectID": "\#(projectID)", "filter": "env=prod,=api"}"#, false,
            "validation error: invalid filter: invalid filter segment '=api' - must be 'key=value'", nil
        ),
        (
            #"{"projectID": "\#(projectID)", "filter": "env"}"#, false,
            "validation error: invalid filter: invalid filter segment 'env' - must be 'key=value'", nil
        ),
    ]

    @Test(arguments: attachMatrix)
    func attachmentRules(payload: String, allowAutoCreate: Bool, expectedError: String?, expectedConfiguration: String?) async throws {
        let result = try await withFakeServer(fake()) { base in
            await attach(json(payload), registration: registration(base, allowAutoCreate: allowAutoCreate))
        }
        switch result {
        case .success(let configuration):
            #expect(expectedError == nil)
            #expect(configuration == expectedConfiguration.map(json))
        case .failure(let error):
            #expect(expectedConfiguration == nil)
            #expect(error.message == expectedError)
        }
    }

    @Test func attachingWithANameNeedsTheAutoCreatePermission() async throws {
        let server = fake(permissions: ["BOM_UPLOAD", "VIEW_PORTFOLIO"])
        let result = try await withFakeServer(server) { base in
            await attach(["projectName": "shop"], registration: registration(base))
        }
        guard case .failure(let error) = result else {
            Issue.record("attached without PROJECT_CREATION_UPLOAD")
            return
        }
        #expect(error.message == "validation error: permission: PROJECT_CREATION_UPLOAD")
    }

    // MARK: Execute

    @Test func eachSBOMIsUploadedIntoTheTemplatedProject() async throws {
        let server = fake()
        let attachment: JSONValue = [
            "projectName": "shop-{{.Material.Annotations.Component}}-{{.Attestation.Annotations.version}}", "parentId": .string(Self.parentID),
        ]
        let outcome = try await withFakeServer(server) { base in
            await integration.execute(request(base, attachment: attachment), context: context)
        }
        let uploads = server.receivedUploads
        try #require(uploads.count == 2)
        #expect(
            uploads.map(\.fieldNames) == [["bom", "autoCreate", "projectName", "parentUUID"], ["bom", "autoCreate", "projectName", "parentUUID"]])
        #expect(uploads[0].parts[0].data == Self.firstSBOM)
        #expect(uploads[0].parts[0].filename == nil)
        #expect(uploads[1].parts[0].data == Self.secondSBOM)
        #expect(uploads.map { $0.field("autoCreate") } == ["true", "true"])
        #expect(uploads.map { $0.field("projectName") } == ["shop-api-1.2.3", "shop-web-1.2.3"])
        #expect(uploads.map { $0.field("parentUUID") } == [Self.parentID, Self.parentID])
        #expect(
            outcome
                == .parts([
                    PartOutcome(partID: "sbom:api-sbom", outcome: .delivered(reference: uploads[0].token)),
                    PartOutcome(partID: "sbom:web-sbom", outcome: .delivered(reference: uploads[1].token)),
                ]))
        #expect(server.requests.filter { $0.hasPrefix("POST") } == ["POST /dtrack/api/v1/bom", "POST /dtrack/api/v1/bom"])
    }

    @Test func anExistingProjectGetsTheProjectField() async throws {
        let server = fake(permissions: ["BOM_UPLOAD", "VIEW_PORTFOLIO"])
        let outcome = try await withFakeServer(server) { base in
            var request = request(base, attachment: ["projectId": .string(Self.projectID)])
            request.registration = registration(base, allowAutoCreate: false)
            return await integration.execute(request, context: context)
        }
        #expect(server.receivedUploads.map(\.fieldNames) == [["bom", "project"], ["bom", "project"]])
        #expect(server.receivedUploads.map { $0.field("project") } == [Self.projectID, Self.projectID])
        #expect(server.receivedUploads.allSatisfy { $0.projectUUID == Self.projectID })
        #expect(outcome.overall == .delivered(reference: nil))
    }

    @Test func aFailedSecondSBOMIsRetriedAloneHonouringRetryAfter() async throws {
        let server = fake()
        let attachment: JSONValue = ["projectName": "shop"]
        let (first, second) = try await withFakeServer(server) { base in
            server.scriptedUploadAnswers.enqueue(nil, HTTPResponse(status: 503, headers: ["Retry-After": "7"], body: Data("busy".utf8)))
            let first = await integration.execute(request(base, attachment: attachment), context: context)
            let firstToken = server.receivedUploads.first?.token ?? ""
            let second = await integration.execute(
                request(base, attachment: attachment, delivered: ["sbom:api-sbom": firstToken]), context: context)
            return (first, second)
        }
        let uploads = server.receivedUploads
        try #require(uploads.count == 3)
        #expect(uploads.map { $0.parts.first?.data } == [Self.firstSBOM, Self.secondSBOM, Self.secondSBOM])
        let firstToken = try #require(uploads[0].token)
        #expect(
            first
                == .parts([
                    PartOutcome(partID: "sbom:api-sbom", outcome: .delivered(reference: firstToken)),
                    PartOutcome(
                        partID: "sbom:web-sbom", outcome: .retryable(reason: "bad status: 503 Service Unavailable: busy", retryAfter: .seconds(7))),
                ]))
        #expect(first.overall == .retryable(reason: "bad status: 503 Service Unavailable: busy", retryAfter: .seconds(7)))
        #expect(
            second
                == .parts([
                    PartOutcome(partID: "sbom:api-sbom", outcome: .delivered(reference: firstToken)),
                    PartOutcome(partID: "sbom:web-sbom", outcome: .delivered(reference: uploads[2].token)),
                ]))
    }

    @Test func rateLimitedUploadsAreRetryable() async throws {
        let server = fake()
        let outcome = try await withFakeServer(server) { base in
            server.scriptedUploadAnswers.enqueue(HTTPResponse(status: 429, headers: ["Retry-After": "30"]), nil)
            return await integration.execute(request(base, attachment: ["projectName": "shop"]), context: context)
        }
        guard case .parts(let parts) = outcome else {
            Issue.record("expected parts")
            return
        }
        #expect(parts[0].outcome == .retryable(reason: "bad status: 429 Too Many Requests", retryAfter: .seconds(30)))
        #expect(parts[1].outcome.overall == .delivered(reference: server.receivedUploads.last?.token))
    }

    @Test func filtersAndMissingTemplateKeysSkipSBOMs() async throws {
        let server = fake()
        let attachment: JSONValue = ["projectName": "{{.Material.Annotations.component}}-{{.Material.Annotations.team}}", "filter": "env=prod"]
        let outcome = try await withFakeServer(server) { base in
            await integration.execute(request(base, attachment: attachment), context: context)
        }
        // api-sbom passes the filter (material env=prod) but has no `team` annotation; web-sbom falls back to the
        // attestation's env=prod, then also lacks `team`.
        #expect(server.receivedUploads.isEmpty)
        guard case .parts(let parts) = outcome else {
            Issue.record("expected parts")
            return
        }
        #expect(parts.map(\.partID) == ["sbom:api-sbom", "sbom:web-sbom"])
        for part in parts {
            guard case .skipped(let reason) = part.outcome else {
                Issue.record("expected a skip")
                continue
            }
            #expect(reason.hasPrefix("failed to resolve project name"))
        }
        let filtered = try await withFakeServer(server) { base in
            await integration.execute(request(base, attachment: ["projectName": "shop", "filter": "component=web,env=prod"]), context: context)
        }
        guard case .parts(let filteredParts) = filtered else {
            Issue.record("expected parts")
            return
        }
        #expect(filteredParts[0].outcome == .skipped(reason: "filter conditions not met: material annotation mismatch: component"))
        #expect(filteredParts[1].outcome.overall == .delivered(reference: server.receivedUploads.last?.token))
        #expect(server.receivedUploads.map { $0.field("projectName") } == ["shop"])
    }

    @Test func aRefusedUploadIsRejectedWithTheServerReasonAndNoKey() async throws {
        let server = fake()
        let outcome = try await withFakeServer(server) { base in
            server.scriptedUploadAnswers.enqueue(
                HTTPResponse(status: 400, body: Data("invalid BOM for key \(Self.apiKey)".utf8)),
                HTTPResponse(status: 400, body: Data("invalid BOM".utf8)))
            return await integration.execute(request(base, attachment: ["projectName": "shop"]), context: context)
        }
        guard case .parts(let parts) = outcome else {
            Issue.record("expected parts")
            return
        }
        #expect(parts[0].outcome == .rejected(reason: "bad status: 400 Bad Request: invalid BOM for key <redacted>"))
        #expect(!String(describing: outcome).contains(Self.apiKey))
    }

    @Test func withoutCycloneDXSBOMsThereIsNothingToDo() async throws {
        var request = request("http://127.0.0.1:9", attachment: ["projectName": "shop"])
        request.materials = []
        #expect(await integration.execute(request, context: offlineContext) == .skipped(reason: "the attestation has no CycloneDX SBOM"))
    }
}
