import CourierServer
import CourierWire
import Foundation
import Testing

@testable import CourierCLI

@Suite("Commands")
struct CommandTests {
    private let organization = OrganizationDTO(id: "org-1", name: "acme", createdAt: sampleDate)
    private let ownerToken = TokenDTO(id: "tok-1", name: "owner", role: "owner", scope: nil, createdAt: sampleDate)
    private let robotToken = TokenDTO(
        id: "tok-2", name: "ci", role: "robot", scope: WorkflowScopeDTO(project: "shop", workflow: "build"), createdAt: sampleDate
    )
    private let workflow = WorkflowDTO(id: "wf-1", name: "build", project: "shop", team: "payments", description: "Builds", createdAt: sampleDate)

    private func body<Value: Decodable>(_ request: TransportRequest?, as type: Value.Type) throws -> Value {
        try Wire.decoder.decode(Value.self, from: try #require(request?.body))
    }

    // MARK: - serve

    @Test func serveCallsTheServerWithItsOptions() async {
        let harness = Harness()
        let result = await harness.run(["serve", "--listen", "127.0.0.1:0", "--database", "sqlite:/tmp/x.db", "--cas", "file:/tmp/cas"])
        #expect(result.status == 0)
        #expect(
            harness.servedOptions.withLock { $0 } == [
                ServeOptions(listen: "127.0.0.1:0", dataDirectory: nil, database: "sqlite:/tmp/x.db", cas: "file:/tmp/cas")
            ])
    }

    @Test func serveTakesTheDataDirectoryFromTheEnvironmentUnlessGiven() async {
        let harness = Harness()
        _ = await harness.run(["serve"], environment: ["COURIER_DATA_DIR": "/env/data"])
        _ = await harness.run(["serve", "--data-dir", "/flag/data"], environment: ["COURIER_DATA_DIR": "/env/data"])
        #expect(harness.servedOptions.withLock { $0 } == [ServeOptions(dataDirectory: "/env/data"), ServeOptions(dataDirectory: "/flag/data")])
    }

    @Test func serveExitsWithTheServerStatus() async {
        let result = await Harness(serveStatus: 1).run(["serve"])
        #expect(result.status == 1)
        #expect(result.standardError.isEmpty)
    }

    // MARK: - login

    @Test func loginVerifiesTheTokenAndWritesTheConfigFile() async throws {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/whoami", json: WhoAmIDTO(organization: organization, token: ownerToken))
        let result = await harness.run(["login", "--server", "http://courier.example:8080", "--token", "courier_secret"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "Logged in to http://courier.example:8080 as token 'owner' (owner) of organization 'acme'.\n")
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "GET")
        #expect(request.url.absoluteString == "http://courier.example:8080/v1/whoami")
        #expect(request.headers["Authorization"] == "Bearer courier_secret")
        #expect(try ConfigFile.load(from: harness.configFile) == ConfigFile(server: "http://courier.example:8080", token: "courier_secret"))
        let mode = try FileManager.default.attributesOfItem(atPath: harness.configFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func loginWritesUnderXDGConfigHome() async throws {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/whoami", json: WhoAmIDTO(organization: organization, token: ownerToken))
        let xdg = harness.home.appendingPathComponent("xdg")
        let result = await harness.run(["login", "--token", "t"], environment: ["XDG_CONFIG_HOME": xdg.path])
        #expect(result.status == 0)
        let saved = try ConfigFile.load(from: xdg.appendingPathComponent("courier/config.json"))
        #expect(saved == ConfigFile(server: Settings.defaultServer, token: "t"))
    }

    @Test func loginWithARejectedTokenWritesNothing() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/whoami", status: 401, json: ErrorBody(code: "unauthenticated", message: "The token is not valid."))
        let result = await harness.run(["login", "--token", "bad"])
        #expect(result.status == 1)
        #expect(result.standardError == "Error: The token is not valid.\n")
        #expect(!FileManager.default.fileExists(atPath: harness.configFile.path))
    }

    @Test func loginRequiresAToken() async {
        let result = await Harness().run(["login", "--server", "http://s:1"])
        #expect(result.status == 2)
        #expect(
            result.standardError == """
                Error: Missing required option '--token <token>'.
                Usage: courier login --server <url> --token <token>
                See 'courier login --help'.

                """)
    }

    // MARK: - org

    @Test func orgCreatePrintsTheOwnerTokenOnce() async throws {
        let harness = Harness()
        let created = CreatedOrganizationDTO(organization: organization, owner: IssuedTokenDTO(token: ownerToken, secret: "courier_owner"))
        harness.transport.respond("POST", "/v1/organizations", status: 201, json: created)
        let result = await harness.run(["org", "create", "acme"])
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌──────────────┬───────────────┐
                │ ORGANIZATION │ OWNER TOKEN   │
                ├──────────────┼───────────────┤
                │ acme         │ courier_owner │
                └──────────────┴───────────────┘

                """)
        #expect(result.standardError == "Store the owner token now; it is shown only once.\n")
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.headers["Content-Type"] == "application/json")
        #expect(try body(request, as: CreateOrganizationRequest.self) == CreateOrganizationRequest(name: "acme"))

        let json = await harness.run(["org", "create", "acme", "-o", "json"])
        #expect(try decodeJSON(CreatedOrganizationDTO.self, json.standardOutput) == created)
        #expect(json.standardOutput == String(decoding: try Wire.prettyEncoder.encode(created), as: UTF8.self) + "\n")
    }

    // MARK: - token

    @Test func tokenCreateSendsTheScopeAndPrintsTheSecret() async throws {
        let harness = Harness()
        let issued = IssuedTokenDTO(token: robotToken, secret: "courier_robot")
        harness.transport.respond("POST", "/v1/tokens", status: 201, json: issued)
        let result = await harness.runAuthenticated(
            ["token", "create", "--name", "ci", "--role", "robot", "--project", "shop", "--workflow", "build"]
        )
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌──────┬───────┬────────────┬───────────────┐
                │ NAME │ ROLE  │ SCOPE      │ TOKEN         │
                ├──────┼───────┼────────────┼───────────────┤
                │ ci   │ robot │ shop/build │ courier_robot │
                └──────┴───────┴────────────┴───────────────┘

                """)
        #expect(result.standardError == "Store the token now; it is shown only once.\n")
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "POST" && request.url.path == "/v1/tokens")
        #expect(request.headers["Authorization"] == "Bearer courier_secret")
        #expect(try body(request, as: CreateTokenRequest.self) == CreateTokenRequest(name: "ci", role: "robot", project: "shop", workflow: "build"))

        let json = await harness.runAuthenticated(["token", "create", "--name", "ci", "--role", "robot", "-o", "json"])
        #expect(try decodeJSON(IssuedTokenDTO.self, json.standardOutput) == issued)
        #expect(try body(harness.transport.requests.last, as: CreateTokenRequest.self) == CreateTokenRequest(name: "ci", role: "robot"))
    }

    @Test func tokenListPrintsATableSortedByName() async throws {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/tokens", json: TokenListDTO(tokens: [robotToken, ownerToken]))
        let result = await harness.runAuthenticated(["token", "list"])
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌───────┬───────┬────────────┬─────────────────────────┐
                │ NAME  │ ROLE  │ SCOPE      │ CREATED AT              │
                ├───────┼───────┼────────────┼─────────────────────────┤
                │ ci    │ robot │ shop/build │ 2026-12-04 15:24:42 UTC │
                │ owner │ owner │            │ 2026-12-04 15:24:42 UTC │
                └───────┴───────┴────────────┴─────────────────────────┘

                """)
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "GET" && request.body == nil)
        #expect(request.headers["Authorization"] == "Bearer courier_secret")

        let json = await harness.runAuthenticated(["token", "list", "-o", "json"])
        #expect(try decodeJSON([TokenDTO].self, json.standardOutput) == [robotToken, ownerToken])
    }

    @Test func tokenListSaysWhenThereAreNone() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/tokens", json: TokenListDTO(tokens: []))
        let result = await harness.runAuthenticated(["token", "list"])
        #expect(result.standardOutput == "There are no tokens yet; create one with 'courier token create --name NAME --role ROLE'.\n")
        let json = await harness.runAuthenticated(["token", "list", "-o", "json"])
        #expect(json.standardOutput == "[\n\n]\n")
    }

    @Test func tokenRevokeDeletesByName() async throws {
        let harness = Harness()
        harness.transport.respond("DELETE", "/v1/tokens/ci", with: .success(TransportResponse(status: 204)))
        let result = await harness.runAuthenticated(["token", "revoke", "--name", "ci"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "Token 'ci' revoked.\n")
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "DELETE")
        #expect(request.headers["Authorization"] == "Bearer courier_secret")

        let json = await harness.runAuthenticated(["token", "revoke", "--name", "ci", "-o", "json"])
        #expect(json.standardOutput.isEmpty)
        #expect(json.standardError == "Token 'ci' revoked.\n")
    }

    // MARK: - workflow

    @Test func workflowCreateSendsItsFields() async throws {
        let harness = Harness()
        harness.transport.respond("POST", "/v1/workflows", status: 201, json: workflow)
        let result = await harness.runAuthenticated(
            ["workflow", "create", "--name", "build", "--project", "shop", "--team", "payments", "--description", "Builds"]
        )
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌───────┬─────────┬──────────┬─────────────────────────┐
                │ NAME  │ PROJECT │ TEAM     │ CREATED AT              │
                ├───────┼─────────┼──────────┼─────────────────────────┤
                │ build │ shop    │ payments │ 2026-12-04 15:24:42 UTC │
                └───────┴─────────┴──────────┴─────────────────────────┘

                """)
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "POST" && request.url.path == "/v1/workflows")
        #expect(request.headers["Authorization"] == "Bearer courier_secret")
        #expect(
            try body(request, as: CreateWorkflowRequest.self)
                == CreateWorkflowRequest(name: "build", project: "shop", team: "payments", description: "Builds"))

        let json = await harness.runAuthenticated(["workflow", "create", "--name", "build", "--project", "shop", "-o", "json"])
        #expect(try decodeJSON(WorkflowDTO.self, json.standardOutput) == workflow)
        #expect(try body(harness.transport.requests.last, as: CreateWorkflowRequest.self) == CreateWorkflowRequest(name: "build", project: "shop"))
    }

    @Test func workflowListFiltersByProjectAndSorts() async throws {
        let harness = Harness()
        let other = WorkflowDTO(id: "wf-2", name: "audit", project: "shop", team: "", description: "", createdAt: sampleDate)
        harness.transport.respond("GET", "/v1/workflows", json: WorkflowListDTO(workflows: [workflow, other]))
        let result = await harness.runAuthenticated(["workflow", "list", "--project", "shop"])
        #expect(
            result.standardOutput == """
                ┌───────┬─────────┬──────────┬─────────────────────────┐
                │ NAME  │ PROJECT │ TEAM     │ CREATED AT              │
                ├───────┼─────────┼──────────┼─────────────────────────┤
                │ audit │ shop    │          │ 2026-12-04 15:24:42 UTC │
                │ build │ shop    │ payments │ 2026-12-04 15:24:42 UTC │
                └───────┴─────────┴──────────┴─────────────────────────┘

                """)
        #expect(harness.transport.requests.first?.url.query == "project=shop")

        let json = await harness.runAuthenticated(["workflow", "list", "-o", "json"])
        #expect(try decodeJSON([WorkflowDTO].self, json.standardOutput) == [other, workflow])
        #expect(harness.transport.requests.last?.url.query == nil)
    }

    @Test func workflowListSaysWhenThereAreNone() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/workflows", json: WorkflowListDTO(workflows: []))
        let all = await harness.runAuthenticated(["workflow", "list"])
        #expect(all.standardOutput == "There are no workflows yet; create one with 'courier workflow create --name NAME --project PROJECT'.\n")
        let inProject = await harness.runAuthenticated(["workflow", "list", "--project", "shop"])
        #expect(
            inProject.standardOutput
                == "There are no workflows in project 'shop' yet; create one with 'courier workflow create --name NAME --project shop'.\n")
    }

    @Test func workflowDeleteUsesTheProjectPath() async throws {
        let harness = Harness()
        harness.transport.respond("DELETE", "/v1/projects/shop/workflows/build", with: .success(TransportResponse(status: 204)))
        let result = await harness.runAuthenticated(["workflow", "delete", "--name", "build", "--project", "shop"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "Workflow 'shop/build' deleted.\n")
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "DELETE")
        #expect(request.headers["Authorization"] == "Bearer courier_secret")
    }
}
