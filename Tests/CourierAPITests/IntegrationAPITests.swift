import CourierAPI
import CourierCore
import CourierHTTP
import CourierIntegrationKit
import CourierSQLite
import CourierStorage
import CourierWire
import Foundation
import Testing

@Suite struct IntegrationAPITests {
    static let registerBody = #"{"kind":"recorder","name":"hooks","description":"team hooks","options":{"url":"https://sink.example/x","apiKey":"sk-live-123"}}"#

    @Test func availableListsTheCatalogWithInputs() async throws {
        let api = try await APITestHarness()
        let response = await api.send(.get, "/v1/integrations/available", token: api.ownerToken)
        let list = try api.decode(AvailableIntegrationListDTO.self, response).integrations
        let recorder = try #require(list.first)
        #expect(list.count == 1)
        #expect(recorder.name == "recorder" && recorder.version == "1.0" && recorder.subscribedInputs == ["SBOM_CYCLONEDX_JSON"])
        #expect(recorder.registration.inputs.map(\.name) == ["apiKey", "url"])
        #expect(recorder.registration.inputs.first?.format == "password")
        #expect(recorder.registration.schema.contains(#""additionalProperties":false"#))
        #expect(recorder.attachment.inputs.map(\.name) == ["channel"])
    }

    @Test func registerListDescribeAndRevealSecretsOnce() async throws {
        let api = try await APITestHarness()
        let created = await api.send(.post, "/v1/integrations/registered", token: api.ownerToken, json: Self.registerBody)
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let registration = try api.decode(RegisteredIntegrationDTO.self, created)
        #expect(registration.name == "hooks" && registration.kind == "recorder" && registration.description == "team hooks")
        #expect(registration.config == ["url": "https://sink.example/x"])
        #expect(registration.revealedSecrets == ["signingSecret": "whsec_revealed-once"])
        #expect(api.recorder.recordedCalls == ["register https://sink.example/x"])

        let listed = await api.send(.get, "/v1/integrations/registered", token: api.ownerToken)
        let described = await api.send(.get, "/v1/integrations/registered/hooks", token: api.ownerToken)
        for response in [created, listed, described] {
            #expect(!String(decoding: response.body, as: UTF8.self).contains("sk-live-123"))
        }
        #expect(try api.decode(RegisteredIntegrationListDTO.self, listed).registrations.map(\.name) == ["hooks"])
        #expect(try api.decode(RegisteredIntegrationDTO.self, described).revealedSecrets == nil)
        #expect(!api.logs.renderedText.contains("sk-live-123") && !api.logs.renderedText.contains("whsec_revealed-once"))
    }

    @Test(arguments: [
        (#"{"kind":"recorder","name":"Hooks!","options":{}}"#, 400, "The integration name \"Hooks!\" is invalid"),
        (#"{"kind":"nope","name":"hooks","options":{}}"#, 404, "integration \"nope\" not found"),
        (#"{"kind":"recorder","name":"hooks","options":{"url":"https://x.example"}}"#, 400, "validation error: missing properties: 'apiKey'"),
        (#"{"kind":"recorder","name":"hooks","options":{"url":"x","apiKey":"k"}}"#, 400, "validation error: 'x' is not valid 'uri'"),
        (
            #"{"kind":"recorder","name":"hooks","options":{"url":"https://x.example","apiKey":"k","foo":1}}"#, 400,
            "validation error: additionalProperties 'foo' not allowed"
        ),
        (#"{"kind":"recorder","name":"hooks","options":{"url":"https://refuse.example","apiKey":"k"}}"#, 400, "validation error: the remote end refused the key"),
        (#"{"kind":"recorder","name":"hooks","options":[]}"#, 400, "The field 'options' has the wrong type; expected an object."),
    ])
    func badRegistrationsAreRefusedWithTheCause(body: String, status: Int, message: String) async throws {
        let api = try await APITestHarness()
        let response = await api.send(.post, "/v1/integrations/registered", token: api.ownerToken, json: body)
        #expect(response.status == status)
        #expect(try api.error(response).message.hasPrefix(message), "\(try api.error(response).message)")
        let listed = await api.send(.get, "/v1/integrations/registered", token: api.ownerToken)
        #expect(try api.decode(RegisteredIntegrationListDTO.self, listed).registrations.isEmpty)
    }

    @Test func aTakenNameIsRefusedBeforeTheIntegrationRuns() async throws {
        let api = try await APITestHarness()
        #expect(await api.send(.post, "/v1/integrations/registered", token: api.ownerToken, json: Self.registerBody).status == 201)
        let again = await api.send(.post, "/v1/integrations/registered", token: api.ownerToken, json: Self.registerBody)
        #expect(again.status == 409)
        #expect(try api.error(again).message == "An integration named 'hooks' is already registered; choose another name or delete it first.")
        #expect(api.recorder.recordedCalls.count == 1, "no second remote side effect")
    }

    @Test func attachListDetachAndDeleteRules() async throws {
        let api = try await APITestHarness()
        let owner = api.ownerToken
        #expect(await api.send(.post, "/v1/integrations/registered", token: owner, json: Self.registerBody).status == 201)
        for name in ["build", "deploy"] {
            #expect(await api.send(.post, "/v1/workflows", token: owner, json: #"{"name":"\#(name)","project":"demo"}"#).status == 201)
        }
        let attachBody = #"{"integration":"hooks","project":"demo","workflow":"build","options":{"channel":"sboms"}}"#
        let attached = await api.send(.post, "/v1/integrations/attached", token: owner, json: attachBody)
        #expect(attached.status == 201, "\(String(decoding: attached.body, as: UTF8.self))")
        let attachment = try api.decode(AttachmentDTO.self, attached)
        #expect(attachment.config == ["channel": "sboms"] && attachment.workflow.name == "build" && attachment.integration.name == "hooks")
        #expect(api.recorder.recordedCalls.last == "attach sboms with key sk-live-123", "attach receives the decrypted credentials")

        let duplicate = await api.send(.post, "/v1/integrations/attached", token: owner, json: attachBody)
        #expect(duplicate.status == 409)
        #expect(try api.error(duplicate).message == "Integration 'hooks' is already attached to workflow demo/build.")
        let unknownWorkflow = await api.send(
            .post, "/v1/integrations/attached", token: owner,
            json: #"{"integration":"hooks","project":"demo","workflow":"nope","options":{}}"#
        )
        #expect(unknownWorkflow.status == 404)
        let badOption = await api.send(
            .post, "/v1/integrations/attached", token: owner,
            json: #"{"integration":"hooks","project":"demo","workflow":"deploy","options":{"channel":""}}"#
        )
        #expect(try api.error(badOption).message == "validation error: length must be >= 1, but got 0")
        #expect(await api.send(.post, "/v1/integrations/attached", token: owner, json: #"{"integration":"hooks","project":"demo","workflow":"deploy","options":{}}"#).status == 201)

        let all = try api.decode(AttachmentListDTO.self, await api.send(.get, "/v1/integrations/attached", token: owner))
        #expect(all.attachments.map(\.workflow.name) == ["build", "deploy"])
        let onlyBuild = await api.send(.get, "/v1/integrations/attached", token: owner, query: ["project": "demo", "workflow": "build"])
        #expect(try api.decode(AttachmentListDTO.self, onlyBuild).attachments.map(\.id) == [attachment.id])

        let refused = await api.send(.delete, "/v1/integrations/registered/hooks", token: owner)
        #expect(refused.status == 409)
        let message = try api.error(refused).message
        #expect(message.hasPrefix("Integration 'hooks' is still attached to demo/build (attachment \(attachment.id)), demo/deploy"))
        #expect(message.hasSuffix("detach it first or delete with --force."))

        #expect(await api.send(.delete, "/v1/integrations/attached/\(attachment.id)", token: owner).status == 204)
        #expect(await api.send(.delete, "/v1/integrations/attached/\(attachment.id)", token: owner).status == 404)
        #expect(await api.send(.delete, "/v1/projects/demo/workflows/deploy", token: owner).status == 204)
        let afterWorkflowDelete = try api.decode(AttachmentListDTO.self, await api.send(.get, "/v1/integrations/attached", token: owner))
        #expect(afterWorkflowDelete.attachments.isEmpty, "deleting a workflow detaches its integrations")
        #expect(await api.send(.delete, "/v1/integrations/registered/hooks", token: owner).status == 204)
    }

    @Test func forceDeleteDetachesEverywhere() async throws {
        let api = try await APITestHarness()
        let owner = api.ownerToken
        #expect(await api.send(.post, "/v1/integrations/registered", token: owner, json: Self.registerBody).status == 201)
        #expect(await api.send(.post, "/v1/workflows", token: owner, json: #"{"name":"build","project":"demo"}"#).status == 201)
        let attachBody = #"{"integration":"hooks","project":"demo","workflow":"build","options":{}}"#
        #expect(await api.send(.post, "/v1/integrations/attached", token: owner, json: attachBody).status == 201)
        #expect(await api.send(.delete, "/v1/integrations/registered/hooks", token: owner, query: ["force": "true"]).status == 204)
        let attachments = try api.decode(AttachmentListDTO.self, await api.send(.get, "/v1/integrations/attached", token: owner))
        #expect(attachments.attachments.isEmpty)
        #expect(await api.send(.get, "/v1/integrations/registered/hooks", token: owner).status == 404)
        #expect(await api.send(.post, "/v1/integrations/registered", token: owner, json: Self.registerBody).status == 201, "the name is free again")
    }

    @Test func rolesAndOrganizationIsolation() async throws {
        let api = try await APITestHarness()
        let owner = api.ownerToken
        let viewer = try await api.token("viewer", role: "viewer")
        let robot = try await api.token("robot", role: "robot")
        #expect(await api.send(.post, "/v1/integrations/registered", token: viewer, json: Self.registerBody).status == 403)
        #expect(await api.send(.post, "/v1/integrations/registered", token: robot, json: Self.registerBody).status == 403)
        #expect(api.recorder.recordedCalls.isEmpty)
        #expect(await api.send(.post, "/v1/integrations/registered", token: owner, json: Self.registerBody).status == 201)
        #expect(await api.send(.get, "/v1/integrations/available", token: viewer).status == 200)
        #expect(await api.send(.get, "/v1/integrations/registered", token: viewer).status == 200)
        #expect(await api.send(.get, "/v1/integrations/registered/hooks", token: viewer).status == 200)
        #expect(await api.send(.get, "/v1/integrations/attached", token: viewer).status == 200)
        #expect(await api.send(.delete, "/v1/integrations/registered/hooks", token: viewer).status == 403)
        for path in ["/v1/integrations/available", "/v1/integrations/registered", "/v1/integrations/attached"] {
            #expect(await api.send(.get, path, token: robot).status == 403)
        }

        let acme = try api.decode(
            CreatedOrganizationDTO.self,
            await api.send(.post, "/v1/organizations", token: owner, json: #"{"name":"acme"}"#)
        ).owner.secret
        let acmeList = await api.send(.get, "/v1/integrations/registered", token: acme)
        #expect(try api.decode(RegisteredIntegrationListDTO.self, acmeList).registrations.isEmpty)
        #expect(await api.send(.get, "/v1/integrations/registered/hooks", token: acme).status == 404)
        #expect(await api.send(.delete, "/v1/integrations/registered/hooks", token: acme).status == 404)
        #expect(await api.send(.post, "/v1/workflows", token: acme, json: #"{"name":"build","project":"demo"}"#).status == 201)
        let crossAttach = await api.send(
            .post, "/v1/integrations/attached", token: acme,
            json: #"{"integration":"hooks","project":"demo","workflow":"build","options":{}}"#
        )
        #expect(crossAttach.status == 404)
    }

    /// The credentials are encrypted at rest: the SQLite file's bytes never contain them.
    @Test func credentialsAreNotInTheDatabaseFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("courier-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("courier.db").path
        let api = try await APITestHarness(store: try await SQLStore.sqlite(path: path))
        #expect(await api.send(.post, "/v1/integrations/registered", token: api.ownerToken, json: Self.registerBody).status == 201)
        var bytes = Data()
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
            bytes.append(try Data(contentsOf: URL(fileURLWithPath: path + suffix)))
        }
        #expect(bytes.range(of: Data("https://sink.example/x".utf8)) != nil, "the non-secret configuration is stored")
        #expect(bytes.range(of: Data("sk-live-123".utf8)) == nil)
        #expect(bytes.range(of: Data(api.ownerToken.utf8)) == nil)
    }
}
