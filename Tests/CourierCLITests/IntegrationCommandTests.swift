import CourierIntegrationKit
import CourierWire
import Foundation
import Testing

@testable import CourierCLI

@Suite("Integration commands")
struct IntegrationCommandTests {
    private typealias Fixtures = IntegrationFixtures

    private let dependencyTrackRegistrationInputs = """
        ┌───────────────────────────────────────────────────────────────────────────────────────────┐
        │ Registration inputs                                                                       │
        ├─────────────────┬───────────────────┬──────────┬──────────────────────────────────────────┤
        │ FIELD           │ TYPE              │ REQUIRED │ DESCRIPTION                              │
        ├─────────────────┼───────────────────┼──────────┼──────────────────────────────────────────┤
        │ allowAutoCreate │ boolean           │ No       │ Support of creating projects on demand   │
        │ apiKey          │ string (password) │ Yes      │ The API key                              │
        │ instanceURI     │ string (uri)      │ Yes      │ The URL of the Dependency-Track instance │
        └─────────────────┴───────────────────┴──────────┴──────────────────────────────────────────┘

        """

    private var dependencyTrackAvailableOptions: String {
        dependencyTrackRegistrationInputs.replacingOccurrences(of: "Registration inputs", with: "Available options  ")
    }

    private let registrationTable = """
        ┌─────────┬───────────────┬──────────────────┬────────────────────────────────┬─────────────────────────┐
        │ NAME    │ DESCRIPTION   │ KIND             │ CONFIG                         │ CREATED AT              │
        ├─────────┼───────────────┼──────────────────┼────────────────────────────────┼─────────────────────────┤
        │ dt-prod │ Production DT │ dependency-track │ allowAutoCreate: true          │ 2026-12-04 15:24:42 UTC │
        │         │               │                  │ domain: https://dt.example.com │                         │
        └─────────┴───────────────┴──────────────────┴────────────────────────────────┴─────────────────────────┘

        """

    private let attachmentTable = """
        ┌───────┬──────────────────┬──────────────────────────────────────┬────────────┬─────────────────────────┐
        │ ID    │ KIND             │ CONFIG                               │ WORKFLOW   │ ATTACHED AT             │
        ├───────┼──────────────────┼──────────────────────────────────────┼────────────┼─────────────────────────┤
        │ att-1 │ dependency-track │ allowAutoCreate: true                │ shop/build │ 2026-12-04 15:24:42 UTC │
        │       │                  │ domain: https://override.example.com │            │                         │
        │       │                  │ projectName: shop-sboms              │            │                         │
        └───────┴──────────────────┴──────────────────────────────────────┴────────────┴─────────────────────────┘

        """

    private func harness() -> Harness {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/integrations/available", json: Fixtures.available)
        return harness
    }

    private func body<Value: Decodable>(_ request: TransportRequest?, as type: Value.Type) throws -> Value {
        try Wire.decoder.decode(Value.self, from: try #require(request?.body))
    }

    private func requestLines(_ harness: Harness) -> [String] {
        harness.transport.requests.map { request in
            "\(request.method) \(request.url.path)" + (request.url.query.map { "?\($0)" } ?? "")
        }
    }

    // MARK: - available

    @Test func availableListPrintsOneRowPerIntegrationWithSeparators() async throws {
        let harness = harness()
        let result = await harness.runAuthenticated(["integration", "available", "ls"])
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌──────────────────┬─────────┬──────────────────────┬───────────────────────────────────────────────────────────┐
                │ ID               │ VERSION │ MATERIAL REQUIREMENT │ DESCRIPTION                                               │
                ├──────────────────┼─────────┼──────────────────────┼───────────────────────────────────────────────────────────┤
                │ dependency-track │ 1.7     │ SBOM_CYCLONEDX_JSON  │ Send CycloneDX SBOMs to your Dependency-Track instance    │
                ├──────────────────┼─────────┼──────────────────────┼───────────────────────────────────────────────────────────┤
                │ smtp             │ 1.0     │                      │ Send emails with information about a received attestation │
                ├──────────────────┼─────────┼──────────────────────┼───────────────────────────────────────────────────────────┤
                │ webhook          │ 1.2     │                      │ Send attestations to an HTTP endpoint                     │
                └──────────────────┴─────────┴──────────────────────┴───────────────────────────────────────────────────────────┘

                """)
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "GET" && request.url.path == "/v1/integrations/available" && request.body == nil)
        #expect(request.headers["Authorization"] == "Bearer courier_secret")

        let json = await harness.runAuthenticated(["integration", "available", "list", "-o", "json"])
        #expect(try decodeJSON([AvailableIntegrationDTO].self, json.standardOutput) == Fixtures.available.integrations)
    }

    @Test func availableListSaysWhenThereAreNone() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/integrations/available", json: AvailableIntegrationListDTO(integrations: []))
        let result = await harness.runAuthenticated(["integration", "available", "list"])
        #expect(result.standardOutput == "There are no integrations available.\n")
    }

    @Test func availableDescribePrintsTheIntegrationThenItsInputs() async throws {
        let harness = harness()
        let expected = """
            ┌──────────────────┬─────────┬──────────────────────┬────────────────────────────────────────────────────────┐
            │ ID               │ VERSION │ MATERIAL REQUIREMENT │ DESCRIPTION                                            │
            ├──────────────────┼─────────┼──────────────────────┼────────────────────────────────────────────────────────┤
            │ dependency-track │ 1.7     │ SBOM_CYCLONEDX_JSON  │ Send CycloneDX SBOMs to your Dependency-Track instance │
            └──────────────────┴─────────┴──────────────────────┴────────────────────────────────────────────────────────┘

            """ + dependencyTrackRegistrationInputs + """
                ┌───────────────────────────────────────────────────────────────────────────────────────────┐
                │ Attachment inputs                                                                         │
                ├─────────────┬────────┬──────────┬─────────────────────────────────────────────────────────┤
                │ FIELD       │ TYPE   │ REQUIRED │ DESCRIPTION                                             │
                ├─────────────┼────────┼──────────┼─────────────────────────────────────────────────────────┤
                │ filter      │ string │ No       │ Annotations to match                                    │
                │ projectID   │ string │ No       │ The ID of the existing project to send the SBOMs to     │
                │ projectName │ string │ No       │ The name of the project to create and send the SBOMs to │
                └─────────────┴────────┴──────────┴─────────────────────────────────────────────────────────┘

                """
        let byName = await harness.runAuthenticated(["integration", "available", "describe", "--name", "dependency-track"])
        #expect(byName.status == 0)
        #expect(byName.standardOutput == expected)
        let byID = await harness.runAuthenticated(["integration", "available", "describe", "--id", "dependency-track"])
        #expect(byID.standardOutput == expected)

        let json = await harness.runAuthenticated(["integration", "available", "describe", "--name", "dependency-track", "-o", "json"])
        #expect(try decodeJSON([AvailableIntegrationDTO].self, json.standardOutput) == [Fixtures.dependencyTrack])
    }

    @Test func availableDescribeShowsDefaultsAndOmitsATableWithoutFields() async {
        let result = await harness().runAuthenticated(["integration", "available", "describe", "--name", "smtp"])
        #expect(result.standardOutput.contains("│ tls   │ boolean │ No (default: true) │ Use STARTTLS         │\n"))
        #expect(result.standardOutput.contains("Registration inputs"))
        #expect(!result.standardOutput.contains("Attachment inputs"))
    }

    @Test func availableDescribeOfAnUnknownIntegrationFails() async {
        let result = await harness().runAuthenticated(["integration", "available", "describe", "--name", "jira"])
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError == "Error: integration \"jira\" not found\n")
    }

    @Test func availableDescribeTakesExactlyOneOfNameAndID() async {
        let neither = await Harness().run(["integration", "available", "describe"])
        #expect(neither.status == 2)
        #expect(
            neither.standardError == """
                Error: Missing required option '--name <id>'.
                Usage: courier integration available describe (--name <id> | --id <id>)
                See 'courier integration available describe --help'.

                """)
        let both = await Harness().run(["integration", "available", "describe", "--name", "smtp", "--id", "smtp"])
        #expect(both.status == 2)
        #expect(both.standardError.hasPrefix("Error: Pass '--name <id>' or '--id <id>', not both.\n"))
    }

    // MARK: - registered add

    @Test func registeredAddTypesOptionsByTheRegistrationInputsAndReadsFiles() async throws {
        let harness = harness()
        harness.transport.respond("POST", "/v1/integrations/registered", status: 201, json: Fixtures.registration)
        let keyFile = harness.home.appendingPathComponent("api.key")
        try Data("s3cret\n".utf8).write(to: keyFile)
        let result = await harness.runAuthenticated([
            "integration", "registered", "add", "dependency-track", "--name", "dt-prod", "--description", "Production DT",
            "--opt", "instanceURI=https://dt.example.com", "--opt", "apiKey=@\(keyFile.path)", "--opt", "allowAutoCreate=true",
        ])
        #expect(result.status == 0)
        #expect(result.standardOutput == registrationTable)
        #expect(result.standardError.isEmpty)
        #expect(requestLines(harness) == ["GET /v1/integrations/available", "POST /v1/integrations/registered"])
        let post = harness.transport.requests.last
        #expect(
            try body(post, as: RegisterIntegrationRequest.self)
                == RegisterIntegrationRequest(
                    kind: "dependency-track", name: "dt-prod", description: "Production DT",
                    options: ["instanceURI": "https://dt.example.com", "apiKey": "s3cret", "allowAutoCreate": true]
                ))
        #expect(String(decoding: try #require(post?.body), as: UTF8.self).contains(#""allowAutoCreate":true"#))

        let json = await harness.runAuthenticated(["integration", "registered", "add", "dependency-track", "--name", "dt-prod", "-o", "json"])
        #expect(try decodeJSON(RegisteredIntegrationDTO.self, json.standardOutput) == Fixtures.registration)
        #expect(
            try body(harness.transport.requests.last, as: RegisterIntegrationRequest.self)
                == RegisterIntegrationRequest(kind: "dependency-track", name: "dt-prod", options: [:]))
    }

    @Test func registeredAddSendsStringFieldsAndUnknownKeysAsStrings() async throws {
        let harness = harness()
        harness.transport.respond("POST", "/v1/integrations/registered", status: 201, json: Fixtures.registration)
        let passwordFile = harness.home.appendingPathComponent("password")
        try Data("two\n\n".utf8).write(to: passwordFile)
        let result = await harness.runAuthenticated([
            "integration", "registered", "add", "smtp", "--name", "mail", "--opt", "host=smtp.example.com", "--opt", "port=587",
            "--opt", "tls=F", "--opt", "retries=3", "--opt", "password=@\(passwordFile.path)",
        ])
        #expect(result.status == 0)
        let request = try body(harness.transport.requests.last, as: RegisterIntegrationRequest.self)
        #expect(request.options == ["host": "smtp.example.com", "port": "587", "tls": false, "retries": "3", "password": "two\n"])
    }

    @Test func registeredAddRejectsAValueOfTheWrongTypeWithTheAvailableOptions() async {
        let harness = harness()
        let result = await harness.runAuthenticated(
            ["integration", "registered", "add", "dependency-track", "--name", "dt", "--opt", "allowAutoCreate=yes"]
        )
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError == dependencyTrackAvailableOptions + "Error: invalid option \"yes\", the expected format is \"boolean\"\n")
        #expect(requestLines(harness) == ["GET /v1/integrations/available"])
    }

    @Test func registeredAddShowsTheAvailableOptionsWhenTheServerRejectsThem() async {
        let harness = harness()
        let rejection = ErrorBody(code: "invalid_argument", message: "validation error: missing properties: 'instanceURI'")
        harness.transport.respond("POST", "/v1/integrations/registered", status: 400, json: rejection)
        let result = await harness.runAuthenticated(["integration", "registered", "add", "dependency-track", "--name", "dt", "--opt", "apiKey=k"])
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError == dependencyTrackAvailableOptions + "Error: validation error: missing properties: 'instanceURI'\n")
    }

    @Test func registeredAddPassesOtherServerErrorsAlone() async {
        let harness = harness()
        let conflict = ErrorBody(code: "already_exists", message: "An integration named 'dt' is already registered.")
        harness.transport.respond("POST", "/v1/integrations/registered", status: 409, json: conflict)
        let result = await harness.runAuthenticated(["integration", "registered", "add", "dependency-track", "--name", "dt"])
        #expect(result.status == 1)
        #expect(result.standardError == "Error: An integration named 'dt' is already registered.\n")
    }

    @Test func registeredAddPrintsARevealedSecretOnce() async throws {
        let harness = harness()
        var registered = RegisteredIntegrationDTO(
            id: "reg-2", name: "hook", kind: "webhook", description: "", createdAt: sampleDate,
            config: ["url": "https://hooks.example.com/in"], revealedSecrets: ["signingSecret": "whsec_123"]
        )
        harness.transport.respond("POST", "/v1/integrations/registered", status: 201, json: registered)
        let result = await harness.runAuthenticated(
            ["integration", "registered", "add", "webhook", "--name", "hook", "--opt", "url=https://hooks.example.com/in"]
        )
        #expect(result.status == 0)
        #expect(
            result.standardOutput == """
                ┌──────┬─────────────┬─────────┬───────────────────────────────────┬─────────────────────────┐
                │ NAME │ DESCRIPTION │ KIND    │ CONFIG                            │ CREATED AT              │
                ├──────┼─────────────┼─────────┼───────────────────────────────────┼─────────────────────────┤
                │ hook │             │ webhook │ url: https://hooks.example.com/in │ 2026-12-04 15:24:42 UTC │
                └──────┴─────────────┴─────────┴───────────────────────────────────┴─────────────────────────┘
                signingSecret: whsec_123

                """)
        #expect(result.standardOutput.components(separatedBy: "whsec_123").count == 2)
        #expect(result.standardError == "Store the signing secret now; it is shown only once.\n")

        let json = await harness.runAuthenticated(["integration", "registered", "add", "webhook", "--name", "hook", "-o", "json"])
        #expect(try decodeJSON(RegisteredIntegrationDTO.self, json.standardOutput) == registered)

        registered.revealedSecrets = nil
        harness.transport.respond("GET", "/v1/integrations/registered/hook", json: registered)
        let described = await harness.runAuthenticated(["integration", "registered", "describe", "--name", "hook"])
        #expect(!described.standardOutput.contains("whsec_123") && described.standardError.isEmpty)
    }

    @Test func registeredAddRefusesAnOptionWithoutEquals() async {
        let harness = harness()
        let result = await harness.run(["integration", "registered", "add", "smtp", "--name", "mail", "--opt", "port"])
        #expect(result.status == 2)
        #expect(
            result.standardError == """
                Error: invalid option "port", the expected format is key=value
                Usage: courier integration registered add <integration-id> --name <name> [--description <description>] [--opt <key=value> ...]
                See 'courier integration registered add --help'.

                """)
        #expect(harness.transport.requests.isEmpty)
    }

    @Test func registeredAddRequiresANameAndAnIntegration() async {
        let withoutName = await Harness().run(["integration", "registered", "add", "smtp", "--opt", "port=25"])
        #expect(withoutName.status == 2)
        #expect(withoutName.standardError.hasPrefix("Error: Missing required option '--name <name>'.\n"))
        let withoutIntegration = await Harness().run(["integration", "registered", "add", "--name", "mail"])
        #expect(withoutIntegration.status == 2)
        #expect(withoutIntegration.standardError.hasPrefix("Error: Missing required argument '<integration-id>'.\n"))
    }

    @Test func registeredAddFailsClearlyWhenAnOptionFileIsMissing() async {
        let harness = harness()
        let result = await harness.runAuthenticated(
            ["integration", "registered", "add", "dependency-track", "--name", "dt", "--opt", "apiKey=@/nonexistent/api.key"]
        )
        #expect(result.status == 1)
        #expect(
            result.standardError
                == "Error: Could not read the file '/nonexistent/api.key' given for option 'apiKey'; check that it exists and is readable.\n")
        #expect(requestLines(harness) == ["GET /v1/integrations/available"])
    }

    @Test func registeredAddOfAnUnknownIntegrationFails() async {
        let harness = harness()
        let result = await harness.runAuthenticated(["integration", "registered", "add", "jira", "--name", "j"])
        #expect(result.status == 1)
        #expect(result.standardError == "Error: integration \"jira\" not found\n")
        #expect(requestLines(harness) == ["GET /v1/integrations/available"])
    }

    // MARK: - registered list, describe, delete

    @Test func registeredListPrintsConfigurationLines() async throws {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/integrations/registered", json: RegisteredIntegrationListDTO(registrations: [Fixtures.registration]))
        let result = await harness.runAuthenticated(["integration", "registered", "ls"])
        #expect(result.status == 0)
        #expect(result.standardOutput == registrationTable)
        #expect(requestLines(harness) == ["GET /v1/integrations/registered"])

        let json = await harness.runAuthenticated(["integration", "registered", "list", "-o", "json"])
        #expect(try decodeJSON([RegisteredIntegrationDTO].self, json.standardOutput) == [Fixtures.registration])
    }

    @Test func registeredListSaysWhenThereAreNone() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/integrations/registered", json: RegisteredIntegrationListDTO(registrations: []))
        let result = await harness.runAuthenticated(["integration", "registered", "list"])
        #expect(result.standardOutput == "There are no third party integrations configured in your organization yet.\n")
    }

    @Test func registeredDescribeGetsOneByName() async throws {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/integrations/registered/dt-prod", json: Fixtures.registration)
        let result = await harness.runAuthenticated(["integration", "registered", "describe", "--name", "dt-prod"])
        #expect(result.status == 0)
        #expect(result.standardOutput == registrationTable)
        let json = await harness.runAuthenticated(["integration", "registered", "describe", "--name", "dt-prod", "-o", "json"])
        #expect(try decodeJSON(RegisteredIntegrationDTO.self, json.standardOutput) == Fixtures.registration)
    }

    @Test func registeredDeleteForcesOnlyWhenAsked() async {
        let harness = Harness()
        harness.transport.respond("DELETE", "/v1/integrations/registered/dt-prod", with: .success(TransportResponse(status: 204)))
        let plain = await harness.runAuthenticated(["integration", "registered", "delete", "--name", "dt-prod"])
        #expect(plain.status == 0)
        #expect(plain.standardOutput == "Integration 'dt-prod' deleted.\n")
        let forced = await harness.runAuthenticated(["integration", "registered", "delete", "--name", "dt-prod", "--force"])
        #expect(forced.standardOutput == "Integration 'dt-prod' deleted.\n")
        #expect(requestLines(harness) == ["DELETE /v1/integrations/registered/dt-prod", "DELETE /v1/integrations/registered/dt-prod?force=true"])
    }

    @Test func registeredDeletePrintsTheServersRefusalAsIs() async {
        let harness = Harness()
        let message = "integration \"dt-prod\" is still attached to shop/build, shop/release; detach it first or pass --force"
        let refusal = ErrorBody(code: "failed_precondition", message: message)
        harness.transport.respond("DELETE", "/v1/integrations/registered/dt-prod", status: 409, json: refusal)
        let result = await harness.runAuthenticated(["integration", "registered", "delete", "--name", "dt-prod"])
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError == "Error: \(message)\n")
    }

    // MARK: - attached

    @Test func attachedAddTypesOptionsByTheAttachmentInputsOfTheRegistrationsKind() async throws {
        let harness = harness()
        harness.transport.respond("GET", "/v1/integrations/registered/dt-prod", json: Fixtures.registration)
        harness.transport.respond("POST", "/v1/integrations/attached", status: 201, json: Fixtures.attachment)
        let result = await harness.runAuthenticated([
            "integration", "attached", "add", "--integration", "dt-prod", "--workflow", "build", "--project", "shop",
            "--opt", "projectName=shop-sboms", "--opt", "filter=environment=prod,team=security",
        ])
        #expect(result.status == 0)
        #expect(result.standardOutput == attachmentTable)
        #expect(
            requestLines(harness)
                == ["GET /v1/integrations/registered/dt-prod", "GET /v1/integrations/available", "POST /v1/integrations/attached"])
        #expect(
            try body(harness.transport.requests.last, as: AttachIntegrationRequest.self)
                == AttachIntegrationRequest(
                    integration: "dt-prod", project: "shop", workflow: "build",
                    options: ["projectName": "shop-sboms", "filter": "environment=prod,team=security"]
                ))

        let json = await harness.runAuthenticated(
            ["integration", "attached", "attach", "--integration", "dt-prod", "--workflow", "build", "--project", "shop", "-o", "json"]
        )
        #expect(try decodeJSON([AttachmentDTO].self, json.standardOutput) == [Fixtures.attachment])
    }

    @Test func attachedAddShowsTheAttachmentOptionsWhenTheServerRejectsThem() async {
        let harness = harness()
        harness.transport.respond("GET", "/v1/integrations/registered/dt-prod", json: Fixtures.registration)
        let rejection = ErrorBody(code: "invalid_argument", message: "validation error: additionalProperties 'foo' not allowed")
        harness.transport.respond("POST", "/v1/integrations/attached", status: 400, json: rejection)
        let result = await harness.runAuthenticated(
            ["integration", "attached", "add", "--integration", "dt-prod", "--workflow", "build", "--project", "shop", "--opt", "foo=1"]
        )
        #expect(result.status == 1)
        #expect(
            result.standardError == """
                ┌───────────────────────────────────────────────────────────────────────────────────────────┐
                │ Available options                                                                         │
                ├─────────────┬────────┬──────────┬─────────────────────────────────────────────────────────┤
                │ FIELD       │ TYPE   │ REQUIRED │ DESCRIPTION                                             │
                ├─────────────┼────────┼──────────┼─────────────────────────────────────────────────────────┤
                │ filter      │ string │ No       │ Annotations to match                                    │
                │ projectID   │ string │ No       │ The ID of the existing project to send the SBOMs to     │
                │ projectName │ string │ No       │ The name of the project to create and send the SBOMs to │
                └─────────────┴────────┴──────────┴─────────────────────────────────────────────────────────┘
                Error: validation error: additionalProperties 'foo' not allowed

                """)
    }

    @Test func attachedAddRequiresItsThreeOptions() async {
        let result = await Harness().run(["integration", "attached", "add", "--integration", "dt-prod", "--workflow", "build"])
        #expect(result.status == 2)
        #expect(result.standardError.hasPrefix("Error: Missing required option '--project <project>'.\n"))
    }

    @Test func attachedListFiltersAndMergesConfigurations() async throws {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/integrations/attached", json: AttachmentListDTO(attachments: [Fixtures.attachment]))
        let result = await harness.runAuthenticated(["integration", "attached", "ls", "--project", "shop", "--workflow", "build"])
        #expect(result.status == 0)
        #expect(result.standardOutput == attachmentTable)
        #expect(requestLines(harness) == ["GET /v1/integrations/attached?project=shop&workflow=build"])

        let json = await harness.runAuthenticated(["integration", "attached", "list", "-o", "json"])
        #expect(try decodeJSON([AttachmentDTO].self, json.standardOutput) == [Fixtures.attachment])
        #expect(harness.transport.requests.last?.url.query == nil)
    }

    @Test func attachedListSaysWhenThereAreNone() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/integrations/attached", json: AttachmentListDTO(attachments: []))
        let result = await harness.runAuthenticated(["integration", "attached", "list", "--project", "shop"])
        #expect(result.standardOutput == "There are no integrations attached.\n")
    }

    @Test func attachedDeleteDetachesByID() async {
        let harness = Harness()
        harness.transport.respond("DELETE", "/v1/integrations/attached/att-1", with: .success(TransportResponse(status: 204)))
        let result = await harness.runAuthenticated(["integration", "attached", "delete", "--id", "att-1"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "Integration detached.\n")
        let alias = await harness.runAuthenticated(["integration", "attached", "detach", "--id", "att-1"])
        #expect(alias.status == 0)
        #expect(requestLines(harness) == ["DELETE /v1/integrations/attached/att-1", "DELETE /v1/integrations/attached/att-1"])
    }

    // MARK: - parsing

    private func parsed(_ arguments: [String]) throws -> any Command {
        guard case .run(let command, _, _) = try CommandParser(root: CourierCommand.root).parse(arguments) else {
            throw UsageError("Not a command.")
        }
        return command
    }

    @Test func parsesEveryIntegrationCommand() throws {
        typealias Integration = CourierCommand.IntegrationCommands
        #expect(try parsed(["integration", "available", "describe", "--id", "smtp"]) as? Integration.Available.Describe == .init(id: "smtp"))
        #expect(
            try parsed(["integration", "registered", "add", "smtp", "--name", "mail", "--opt", "port=25", "--opt", "tls=true"])
                as? Integration.Registered.Add
                == .init(
                    integrationID: "smtp", name: "mail",
                    options: IntegrationOptions([.init(key: "port", value: .literal("25")), .init(key: "tls", value: .literal("true"))])
                ))
        #expect(
            try parsed(["integration", "registered", "delete", "--name", "mail", "--force"]) as? Integration.Registered.Delete
                == .init(name: "mail", force: true))
        #expect(
            try parsed(["integration", "attached", "attach", "--integration", "mail", "--workflow", "build", "--project", "shop"])
                as? Integration.Attached.Add == .init(integration: "mail", workflow: "build", project: "shop"))
        #expect(try parsed(["integration", "attached", "ls", "--workflow", "build"]) as? Integration.Attached.List == .init(workflow: "build"))
        #expect(try parsed(["integration", "attached", "detach", "--id", "att-1"]) as? Integration.Attached.Delete == .init(id: "att-1"))
    }

    // MARK: - help

    @Test(arguments: [
        (["integration"], ["available", "registered", "attached"]),
        (["integration", "available"], ["list, ls", "describe"]),
        (["integration", "available", "list"], ["--output"]),
        (["integration", "available", "describe"], ["--name <id>", "--id <id>"]),
        (["integration", "registered"], ["add", "list, ls", "describe", "delete"]),
        (["integration", "registered", "add"], ["<integration-id>", "--name <name>", "--description <description>", "--opt <key=value>", "@path"]),
        (["integration", "registered", "list"], ["--output"]),
        (["integration", "registered", "describe"], ["--name <name>"]),
        (["integration", "registered", "delete"], ["--name <name>", "--force"]),
        (["integration", "attached"], ["add, attach", "list, ls", "delete, detach"]),
        (["integration", "attached", "add"], ["--integration <name>", "--workflow <workflow>", "--project <project>", "--opt <key=value>"]),
        (["integration", "attached", "list"], ["--project <project>", "--workflow <workflow>"]),
        (["integration", "attached", "delete"], ["--id <id>"]),
    ])
    func helpListsTheOptions(path: [String], expected: [String]) async {
        let result = await Harness().run(path + ["--help"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("Usage: courier \(path.joined(separator: " "))"))
        for text in expected {
            #expect(result.standardOutput.contains(text), "\(path) --help lacks \(text)")
        }
    }
}

@Suite("Integration options")
struct IntegrationOptionsTests {
    private let fields = [
        InputFieldDTO(name: "enabled", type: "boolean", format: nil, required: false, default: nil, description: ""),
        InputFieldDTO(name: "retries", type: "integer", format: nil, required: false, default: nil, description: ""),
        InputFieldDTO(name: "ratio", type: "number", format: nil, required: false, default: nil, description: ""),
        InputFieldDTO(name: "port", type: "string", format: nil, required: false, default: nil, description: ""),
    ]

    private func typed(_ arguments: [String]) throws -> JSONObject {
        try IntegrationOptions(parsing: arguments).jsonObject(typedBy: fields)
    }

    @Test func splitsOnTheFirstEqualsSign() throws {
        let options = try IntegrationOptions(parsing: ["filter=environment=prod,team=security", "empty=", "file=@/tmp/key"])
        #expect(
            options
                == IntegrationOptions([
                    .init(key: "filter", value: .literal("environment=prod,team=security")),
                    .init(key: "empty", value: .literal("")),
                    .init(key: "file", value: .file(path: "/tmp/key")),
                ]))
    }

    @Test(arguments: ["1", "t", "T", "TRUE", "true", "True"])
    func readsTrueLikeGo(text: String) throws {
        #expect(try typed(["enabled=\(text)"]) == ["enabled": true])
    }

    @Test(arguments: ["0", "f", "F", "FALSE", "false", "False"])
    func readsFalseLikeGo(text: String) throws {
        #expect(try typed(["enabled=\(text)"]) == ["enabled": false])
    }

    @Test func typesIntegersNumbersAndStrings() throws {
        #expect(try typed(["retries=3", "ratio=0.5", "port=587", "other=9"]) == ["retries": 3, "ratio": 0.5, "port": "587", "other": "9"])
    }

    @Test func keepsTheLastValueOfARepeatedKey() throws {
        #expect(try typed(["port=25", "port=587"]) == ["port": "587"])
    }

    @Test(arguments: [
        ("enabled=yes", "invalid option \"yes\", the expected format is \"boolean\""),
        ("retries=2.5", "invalid option \"2.5\", the expected format is \"integer\""),
        ("ratio=inf", "invalid option \"inf\", the expected format is \"number\""),
        ("ratio=a\"b", "invalid option \"a\\\"b\", the expected format is \"number\""),
    ])
    func rejectsValuesOfTheWrongType(argument: String, message: String) throws {
        #expect(throws: IntegrationOptions.Failure.invalidValue(message)) { try typed([argument]) }
    }

    @Test func rejectsAnOptionWithoutEquals() {
        #expect(throws: UsageError("invalid option \"retries\", the expected format is key=value")) {
            try IntegrationOptions(parsing: ["retries"])
        }
    }
}
