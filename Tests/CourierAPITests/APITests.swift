import CourierAPI
import CourierCore
import CourierCrypto
import CourierHTTP
import CourierIntegrationKit
import CourierLogging
import CourierTestSupport
import CourierWire
import Foundation
import Testing

@Suite struct APITests {
    @Test func healthAndOpenAPIAreServedWithoutAToken() async throws {
        let api = try await APITestHarness()
        let health = await api.send(.get, "/healthz", token: nil)
        #expect(health.status == 200)
        #expect(try api.decode(HealthDTO.self, health) == HealthDTO(status: "ok"))
        let document = await api.send(.get, "/v1/openapi.json", token: nil)
        #expect(document.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: document.body) as? [String: Any])
        #expect(object["openapi"] as? String == "3.1.0")
    }

    @Test func workflowLifecycle() async throws {
        let api = try await APITestHarness()
        let created = await api.send(
            .post,
            "/v1/workflows",
            token: api.ownerToken,
            json: #"{"name":"build","project":"demo","team":"platform"}"#
        )
        #expect(created.status == 201)
        let workflow = try api.decode(WorkflowDTO.self, created)
        #expect(workflow.name == "build" && workflow.project == "demo" && workflow.team == "platform")

        let listed = try api.decode(WorkflowListDTO.self, await api.send(.get, "/v1/workflows", token: api.ownerToken))
        #expect(listed.workflows == [workflow])
        let filtered = await api.send(.get, "/v1/workflows", token: api.ownerToken, query: ["project": "other"])
        #expect(try api.decode(WorkflowListDTO.self, filtered).workflows.isEmpty)

        let fetched = await api.send(.get, "/v1/projects/demo/workflows/build", token: api.ownerToken)
        #expect(try api.decode(WorkflowDTO.self, fetched) == workflow)

        let duplicate = await api.send(.post, "/v1/workflows", token: api.ownerToken, json: #"{"name":"build","project":"demo"}"#)
        #expect(duplicate.status == 409)
        #expect(try api.error(duplicate).code == "already_exists")

        let deleted = await api.send(.delete, "/v1/projects/demo/workflows/build", token: api.ownerToken)
        #expect(deleted.status == 204)
        let gone = await api.send(.get, "/v1/projects/demo/workflows/build", token: api.ownerToken)
        #expect(gone.status == 404)
        #expect(try api.error(gone).message.contains("Workflow 'build' does not exist in project 'demo'"))
        let again = await api.send(.delete, "/v1/projects/demo/workflows/build", token: api.ownerToken)
        #expect(again.status == 404)
    }

    @Test(arguments: [
        ("", "The request body is empty; send a JSON object."),
        ("{not json", "The request body is not valid JSON; send a JSON object."),
        (#"{"project":"demo"}"#, "The request body is missing the required field 'name'."),
        (#"{"name":7,"project":"demo"}"#, "The field 'name' has the wrong type; expected a string."),
        (#"{"name":"Build!","project":"demo"}"#, "The workflow name \"Build!\" is invalid"),
        (#"{"name":"build","project":""}"#, "The project name is required."),
    ])
    func malformedWorkflowBodiesAreRejected(body: String, message: String) async throws {
        let api = try await APITestHarness()
        let response = await api.send(.post, "/v1/workflows", token: api.ownerToken, json: body)
        #expect(response.status == 400)
        let error = try api.error(response)
        #expect(error.code == "invalid_argument")
        #expect(error.message.hasPrefix(message))
        #expect(error.requestID != nil)
    }

    @Test func unknownRouteAndWrongMethodAreClearErrors() async throws {
        let api = try await APITestHarness()
        let unknown = await api.send(.get, "/v1/nothing-here", token: api.ownerToken)
        #expect(unknown.status == 404)
        #expect(try api.error(unknown).code == "not_found")
        let wrongMethod = await api.send(.put, "/v1/workflows", token: api.ownerToken)
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["Allow"]?.contains("POST") == true)
    }

    @Test func missingInvalidAndRevokedTokensAreUnauthenticated() async throws {
        let api = try await APITestHarness()
        let missing = await api.send(.get, "/v1/workflows", token: nil)
        #expect(missing.status == 401)
        #expect(try api.error(missing).message.contains("Missing API token"))

        let invalid = await api.send(.get, "/v1/workflows", token: "courier_nope")
        #expect(invalid.status == 401)
        #expect(try api.error(invalid).message == "The API token is not valid; check that it was copied whole.")

        let ci = try await api.token("ci", role: "admin")
        #expect(await api.send(.get, "/v1/workflows", token: ci).status == 200)
        #expect(await api.send(.delete, "/v1/tokens/ci", token: api.ownerToken).status == 204)
        let revoked = await api.send(.get, "/v1/workflows", token: ci)
        #expect(revoked.status == 401)
        #expect(try api.error(revoked).message.contains("has been revoked"))
    }

    @Test func tokensAreListedWithoutSecretsAndStoredHashed() async throws {
        let api = try await APITestHarness()
        let secret = try await api.token("reader", role: "viewer")
        #expect(secret.hasPrefix("courier_"))
        let list = await api.send(.get, "/v1/tokens", token: api.ownerToken)
        let text = String(decoding: list.body, as: UTF8.self)
        #expect(!text.contains(secret) && !text.contains(api.ownerToken))
        #expect(try api.decode(TokenListDTO.self, list).tokens.map(\.name) == ["owner", "reader"])
        #expect(!api.logs.renderedText.contains(secret))

        let whoami = try api.decode(WhoAmIDTO.self, await api.send(.get, "/v1/whoami", token: secret))
        #expect(whoami.organization.name == "default" && whoami.token.name == "reader" && whoami.token.role == "viewer")
    }

    @Test func duplicateTokenNamesAndBadRolesAreRejected() async throws {
        let api = try await APITestHarness()
        _ = try await api.token("ci", role: "robot")
        let duplicate = await api.send(.post, "/v1/tokens", token: api.ownerToken, json: #"{"name":"ci","role":"robot"}"#)
        #expect(duplicate.status == 409)
        let badRole = await api.send(.post, "/v1/tokens", token: api.ownerToken, json: #"{"name":"x","role":"god"}"#)
        #expect(badRole.status == 400)
        #expect(try api.error(badRole).message == "Unknown role 'god'; use owner, admin, viewer or robot.")
        let halfScope = await api.send(.post, "/v1/tokens", token: api.ownerToken, json: #"{"name":"x","role":"robot","project":"p"}"#)
        #expect(halfScope.status == 400)
        let unknownWorkflow = await api.send(
            .post,
            "/v1/tokens",
            token: api.ownerToken,
            json: #"{"name":"x","role":"robot","project":"p","workflow":"w"}"#
        )
        #expect(unknownWorkflow.status == 404)
    }

    /// Every role against every route: owner and admin do everything (but admins cannot mint
    /// owners or create organizations), viewers only read, robots nothing here.
    @Test func roleMatrix() async throws {
        let api = try await APITestHarness()
        let admin = try await api.token("admin", role: "admin")
        let viewer = try await api.token("viewer", role: "viewer")
        let robot = try await api.token("robot", role: "robot")
        let createWorkflow = #"{"name":"w","project":"p"}"#

        for (token, expected) in [(viewer, 403), (robot, 403)] {
            let response = await api.send(.post, "/v1/workflows", token: token, json: createWorkflow)
            #expect(response.status == expected)
            #expect(try api.error(response).code == "permission_denied")
        }
        #expect(await api.send(.post, "/v1/workflows", token: admin, json: createWorkflow).status == 201)
        #expect(await api.send(.get, "/v1/workflows", token: viewer).status == 200)
        #expect(await api.send(.get, "/v1/tokens", token: viewer).status == 200)
        #expect(await api.send(.get, "/v1/workflows", token: robot).status == 403)
        #expect(await api.send(.get, "/v1/tokens", token: robot).status == 403)
        #expect(await api.send(.delete, "/v1/projects/p/workflows/w", token: viewer).status == 403)
        #expect(await api.send(.delete, "/v1/tokens/robot", token: viewer).status == 403)

        let ownerByAdmin = await api.send(.post, "/v1/tokens", token: admin, json: #"{"name":"o2","role":"owner"}"#)
        #expect(ownerByAdmin.status == 403)
        #expect(try api.error(ownerByAdmin).message == "A admin token cannot create owner tokens.")
        #expect(await api.send(.delete, "/v1/tokens/owner", token: admin).status == 403)
        #expect(await api.send(.post, "/v1/organizations", token: admin, json: #"{"name":"acme"}"#).status == 403)
        #expect(await api.send(.post, "/v1/tokens", token: admin, json: #"{"name":"a2","role":"admin"}"#).status == 201)
    }

    @Test func organizationsAreIsolated() async throws {
        let api = try await APITestHarness()
        let created = await api.send(.post, "/v1/organizations", token: api.ownerToken, json: #"{"name":"acme"}"#)
        #expect(created.status == 201)
        let acme = try api.decode(CreatedOrganizationDTO.self, created)
        #expect(acme.organization.name == "acme" && acme.owner.token.role == "owner")
        let acmeToken = acme.owner.secret

        #expect(await api.send(.post, "/v1/workflows", token: api.ownerToken, json: #"{"name":"build","project":"demo"}"#).status == 201)
        let acmeList = try api.decode(WorkflowListDTO.self, await api.send(.get, "/v1/workflows", token: acmeToken))
        #expect(acmeList.workflows.isEmpty)
        #expect(await api.send(.get, "/v1/projects/demo/workflows/build", token: acmeToken).status == 404)
        #expect(await api.send(.delete, "/v1/projects/demo/workflows/build", token: acmeToken).status == 404)
        #expect(await api.send(.delete, "/v1/tokens/owner", token: acmeToken).status == 204)
        #expect(await api.send(.get, "/v1/workflows", token: api.ownerToken).status == 200, "acme revoked its own owner token, not default's")
        #expect(await api.send(.get, "/v1/workflows", token: acmeToken).status == 401)

        let duplicate = await api.send(.post, "/v1/organizations", token: api.ownerToken, json: #"{"name":"acme"}"#)
        #expect(duplicate.status == 409)
    }

    @Test func unexpectedErrorsBecomeAnOpaque500AndAreLogged() async throws {
        struct DiskOnFire: Error { var detail = "SELECT secret FROM tokens" }
        struct FailingStore: Store {
            func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T { throw DiskOnFire() }
            func write<T: Sendable>(
                isolation: WriteIsolation, _ body: @escaping @Sendable (any StoreTransaction) throws -> T
            ) async throws -> T { throw DiskOnFire() }
        }
        let logs = InMemoryLogHandler()
        let environment = ServiceEnvironment(now: { Date() }, newID: { "id" }, hashSecret: { $0 })
        let api = try APITestHarness.makeAPI(
            store: FailingStore(),
            environment: environment,
            catalog: IntegrationCatalog([]),
            logs: logs
        )
        let response = await api.makeRouter().respond(
            to: HTTPRequest(method: .get, path: "/v1/workflows", headers: ["Authorization": "Bearer x"], id: "req-1")
        )
        #expect(response.status == 500)
        let error = try Wire.decoder.decode(ErrorBody.self, from: response.body).error
        #expect(error == ErrorBody.Detail(code: "internal", message: "Internal server error.", requestID: "req-1"))
        #expect(logs.renderedText.contains("SELECT secret FROM tokens"))
        #expect(logs.records.contains { $0.metadata["request.id"] == "req-1" && $0.level == .error })
    }
}

@Suite struct OpenAPIContractTests {
    /// The checked-in OpenAPI document lists exactly the routes the router serves.
    @Test func documentMatchesTheRouter() async throws {
        let api = try await APITestHarness()
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.data) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in operations.keys where HTTPMethod(rawValue: method.uppercased()) != nil {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let served = Set(api.router.routes.map { "\($0.method.rawValue) \($0.pattern)" })
        #expect(documented == served)
    }
}
