import CourierCore
import CourierDelivery
import CourierHTTP
import CourierIntegrationKit
import CourierLogging
import CourierWire
import Foundation

/// The `/v1` HTTP API: one handler per operation, each decoding its input, calling one use case
/// and encoding the result. Authentication and the error mapping are applied here for every route.
public struct CourierAPI: Sendable {
    /// Called after content was uploaded and recorded for an organization, with the organization's id and the
    /// content's digest (`sha256:<hex>`), e.g. to wake deliveries that wait for that content.
    public typealias ContentUploadedHook = @Sendable (_ organizationID: String, _ digest: String) async -> Void

    /// The default limit of one CAS upload: 1 GiB.
    public static let defaultMaxContentBytes = 1 << 30

    let access: AccessService
    let workflows: WorkflowService
    let integrations: IntegrationService
    let deliveries: DeliveryService
    let attestations: AttestationService
    /// The Prometheus text served at `/metrics`.
    let metrics: @Sendable () async -> String
    let content: ContentService
    let logger: Logger
    /// The largest CAS upload accepted, in bytes.
    let maxContentBytes: Int
    let onContentUploaded: ContentUploadedHook

    /// Creates the API over its use cases.
    ///
    /// - Parameters:
    ///   - deliveries, attestations: the delivery pipeline's use cases.
    ///   - metrics: the Prometheus text served at `/metrics`.
    ///   - content: CAS uploads and downloads, over the server's `ContentStore`.
    ///   - maxContentBytes: The largest CAS upload accepted; larger ones get 413. Default 1 GiB.
    ///   - onContentUploaded: Called after each successful CAS upload; by default nothing happens.
    public init(
        access: AccessService,
        workflows: WorkflowService,
        integrations: IntegrationService,
        deliveries: DeliveryService,
        attestations: AttestationService,
        metrics: @escaping @Sendable () async -> String,
        content: ContentService,
        logger: Logger,
        maxContentBytes: Int = CourierAPI.defaultMaxContentBytes,
        onContentUploaded: @escaping ContentUploadedHook = { _, _ in }
    ) {
        self.access = access
        self.workflows = workflows
        self.integrations = integrations
        self.deliveries = deliveries
        self.attestations = attestations
        self.metrics = metrics
        self.content = content
        self.logger = logger
        self.maxContentBytes = maxContentBytes
        self.onContentUploaded = onContentUploaded
    }

    /// The router serving every route of the API, `/healthz` and `/v1/openapi.json`.
    public func makeRouter() -> Router {
        var router = Router(errorResponse: { [logger] error, request in
            errorResponse(for: error, request: request, logger: logger)
        })
        router.add(.get, "/healthz") { _ in jsonResponse(HealthDTO(status: "ok")) }
        router.add(.get, "/v1/openapi.json") { _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: OpenAPIDocument.data)
        }
        router.add(.get, "/v1/whoami", authenticated(whoAmI))
        router.add(.post, "/v1/organizations", authenticated(createOrganization))
        router.add(.get, "/v1/tokens", authenticated(listTokens))
        router.add(.post, "/v1/tokens", authenticated(createToken))
        router.add(.delete, "/v1/tokens/{name}", authenticated(revokeToken))
        router.add(.get, "/v1/workflows", authenticated(listWorkflows))
        router.add(.post, "/v1/workflows", authenticated(createWorkflow))
        router.add(.get, "/v1/projects/{project}/workflows/{workflow}", authenticated(getWorkflow))
        router.add(.delete, "/v1/projects/{project}/workflows/{workflow}", authenticated(deleteWorkflow))
        addIntegrationRoutes(to: &router)
        addDeliveryRoutes(to: &router)
        addAttestationRoutes(to: &router)
        addContentRoutes(to: &router)
        return router
    }

    /// Wraps a handler so it runs only for a valid bearer token, with the token's principal.
    func authenticated(
        _ handler: @escaping @Sendable (HTTPRequest, Principal) async throws -> HTTPResponse
    ) -> @Sendable (HTTPRequest) async throws -> HTTPResponse {
        { [access] request in
            let principal = try await access.authenticate(bearer: Self.bearerToken(in: request))
            return try await handler(request, principal)
        }
    }

    static func bearerToken(in request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    // MARK: - Organizations and tokens

    func whoAmI(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let (organization, token) = try await access.describe(principal)
        return jsonResponse(WhoAmIDTO(organization: OrganizationDTO(organization), token: TokenDTO(token)))
    }

    func createOrganization(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let input = try decodeBody(CreateOrganizationRequest.self, from: request)
        let (organization, owner) = try await access.createOrganization(named: input.name, by: principal)
        logger.info("Organization created", ["request.id": request.id, "organization.name": organization.name])
        return jsonResponse(CreatedOrganizationDTO(organization: OrganizationDTO(organization), owner: IssuedTokenDTO(owner)), status: 201)
    }

    func listTokens(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let tokens = try await access.listTokens(by: principal)
        return jsonResponse(TokenListDTO(tokens: tokens.map(TokenDTO.init)))
    }

    func createToken(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let input = try decodeBody(CreateTokenRequest.self, from: request)
        guard let role = Role(rawValue: input.role) else {
            throw CourierError.invalid("Unknown role '\(input.role)'; use owner, admin, viewer or robot.")
        }
        let scope: WorkflowScope?
        switch (input.project, input.workflow) {
        case (nil, nil): scope = nil
        case (let project?, let workflow?): scope = WorkflowScope(project: project, workflow: workflow)
        default: throw CourierError.invalid("Give both 'project' and 'workflow' to limit a token to a workflow, or neither.")
        }
        let issued = try await access.createToken(name: input.name, role: role, scope: scope, by: principal)
        logger.info("Token created", ["request.id": request.id, "token.name": issued.token.name, "token.role": role.rawValue])
        return jsonResponse(IssuedTokenDTO(issued), status: 201)
    }

    func revokeToken(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let name = request.pathParameters["name"] ?? ""
        try await access.revokeToken(named: name, by: principal)
        logger.info("Token revoked", ["request.id": request.id, "token.name": name])
        return noContent()
    }

    // MARK: - Workflows

    func listWorkflows(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let list = try await workflows.list(project: nonEmptyQuery("project", in: request), by: principal)
        return jsonResponse(WorkflowListDTO(workflows: list.map(WorkflowDTO.init)))
    }

    func createWorkflow(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let input = try decodeBody(CreateWorkflowRequest.self, from: request)
        let workflow = try await workflows.create(
            name: input.name,
            project: input.project,
            team: input.team ?? "",
            description: input.description ?? "",
            by: principal
        )
        return jsonResponse(WorkflowDTO(workflow), status: 201)
    }

    func getWorkflow(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let workflow = try await workflows.get(
            name: request.pathParameters["workflow"] ?? "",
            project: request.pathParameters["project"] ?? "",
            by: principal
        )
        return jsonResponse(WorkflowDTO(workflow))
    }

    func deleteWorkflow(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        try await workflows.delete(
            name: request.pathParameters["workflow"] ?? "",
            project: request.pathParameters["project"] ?? "",
            by: principal
        )
        return noContent()
    }

    // MARK: - Query parameters

    /// The query parameter `name`, or `nil` when absent or empty.
    func nonEmptyQuery(_ name: String, in request: HTTPRequest) -> String? {
        request.query[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A boolean query parameter: absent is false; `true`/`false`/`1`/`0` otherwise.
    func booleanQuery(_ name: String, in request: HTTPRequest) throws(CourierError) -> Bool {
        switch request.query[name] {
        case nil, "false", "0": return false
        case "true", "1", "": return true
        case let value?: throw CourierError.invalid("The query parameter '\(name)' must be true or false, not '\(value)'.")
        }
    }
}
