import CourierTestSupport
import CourierWire
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The built `courier` binary: `courier serve` on a free port and a temporary data directory,
/// driven by the CLI as a user would.
@Suite(.timeLimit(.minutes(5))) struct ServeAndCLITests {
    @Test func firstStartBootstrapsTheDefaultOrganization() async throws {
        let server = try await ServerProcess()
        let tokenFile = server.dataDirectory.url.appendingPathComponent("owner.token")
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try server.ownerToken().hasPrefix("courier_"))
        #expect(server.standardError.contains("Created organization 'default'; its owner token is in \(tokenFile.path)."))
        #expect(!server.standardError.contains(try server.ownerToken()), "the token itself is never logged")

        let (data, response) = try await URLSession.shared.data(from: URL(string: server.url + "/healthz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(try Wire.decoder.decode(HealthDTO.self, from: data).status == "ok")
        #expect(try await server.stop() == 0)
    }

    @Test func workflowsTokensRolesAndOrganizations() async throws {
        let server = try await ServerProcess()
        let owner = try server.ownerToken()

        let created = try await server.courier("workflow", "create", "--name", "build", "--project", "demo", token: owner)
        #expect(created.status == 0, "\(created.stderr)")
        let listed = try await server.courier("workflow", "list", "-o", "json", token: owner)
        #expect(listed.status == 0)
        let workflows = try Wire.decoder.decode([WorkflowDTO].self, from: Data(listed.stdout.utf8))
        #expect(workflows.map { "\($0.project)/\($0.name)" } == ["demo/build"])
        let table = try await server.courier("workflow", "list", token: owner)
        #expect(table.stdout.contains("│ build") && table.stdout.contains("┌"))

        let viewerJSON = try await server.courier("token", "create", "--name", "auditor", "--role", "viewer", "-o", "json", token: owner)
        #expect(viewerJSON.status == 0, "\(viewerJSON.stderr)")
        let viewer = try Wire.decoder.decode(IssuedTokenDTO.self, from: Data(viewerJSON.stdout.utf8)).secret
        let denied = try await server.courier("workflow", "create", "--name", "deploy", "--project", "demo", token: viewer)
        #expect(denied.status == 1)
        #expect(denied.stderr == "Error: A viewer token cannot change this organization's objects.\n")
        #expect(try await server.courier("workflow", "list", token: viewer).status == 0)

        let tokenList = try await server.courier("token", "list", token: owner)
        #expect(tokenList.status == 0 && tokenList.stdout.contains("auditor") && !tokenList.stdout.contains(viewer))

        let orgJSON = try await server.courier("org", "create", "acme", "-o", "json", token: owner)
        #expect(orgJSON.status == 0, "\(orgJSON.stderr)")
        let acme = try Wire.decoder.decode(CreatedOrganizationDTO.self, from: Data(orgJSON.stdout.utf8))
        let acmeList = try await server.courier("workflow", "list", "-o", "json", token: acme.owner.secret)
        #expect(try Wire.decoder.decode([WorkflowDTO].self, from: Data(acmeList.stdout.utf8)).isEmpty)
        let acmeDelete = try await server.courier("workflow", "delete", "--name", "build", "--project", "demo", token: acme.owner.secret)
        #expect(acmeDelete.status == 1 && acmeDelete.stderr.contains("does not exist"))

        let revoked = try await server.courier("token", "revoke", "--name", "auditor", token: owner)
        #expect(revoked.status == 0)
        let afterRevoke = try await server.courier("workflow", "list", token: viewer)
        #expect(afterRevoke.status == 1 && afterRevoke.stderr.contains("revoked"))

        let deleted = try await server.courier("workflow", "delete", "--name", "build", "--project", "demo", token: owner)
        #expect(deleted.status == 0)
        let unknown = try await server.courier("workflow", "delete", "--name", "build", "--project", "demo", token: owner)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("Error: Workflow 'build' does not exist in project 'demo'"))
        #expect(try await server.stop() == 0)
    }

    @Test func loginWritesTheConfigFileUsedByLaterCommands() async throws {
        let server = try await ServerProcess()
        let login = try await server.courier("login", "--server", server.url, "--token", try server.ownerToken())
        #expect(login.status == 0, "\(login.stderr)")
        let config = server.home.url.appendingPathComponent(".config/courier/config.json")
        let attributes = try FileManager.default.attributesOfItem(atPath: config.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!login.stdout.contains(try server.ownerToken()))
        let environment = ["HOME": server.home.url.path]
        let list = try await runCourier(["workflow", "list"], environment: environment)
        #expect(list.status == 0, "\(list.stderr)")

        let badLogin = try await server.courier("login", "--server", server.url, "--token", "courier_wrong")
        #expect(badLogin.status == 1 && badLogin.stderr.contains("not valid"))
        #expect(try await server.stop() == 0)
    }

    @Test func usageErrorsExitTwoAndServerErrorsExitOne() async throws {
        let unknownOption = try await runCourier(["workflow", "list", "--bogus"], environment: [:])
        #expect(unknownOption.status == 2)
        #expect(unknownOption.stderr.contains("Usage: courier workflow list"))
        let missingValue = try await runCourier(["workflow", "create", "--name"], environment: [:])
        #expect(missingValue.status == 2)
        let help = try await runCourier(["workflow", "create", "--help"], environment: [:])
        #expect(help.status == 0 && help.stdout.contains("--project"))
        let unreachable = try await runCourier(["workflow", "list"], environment: ["COURIER_SERVER": "http://127.0.0.1:9", "COURIER_TOKEN": "x"])
        #expect(unreachable.status == 1 && unreachable.stderr.contains("127.0.0.1:9"))
        let badListen = try await runCourier(["serve", "--listen", "nowhere"], environment: [:])
        #expect(badListen.status == 2 && badListen.stderr.contains("Invalid value 'nowhere' for '--listen <host:port>'"))
        let badDatabase = try await runCourier(["serve", "--listen", "127.0.0.1:0", "--database", "mysql://u:hunter2@db/x"], environment: [:])
        #expect(badDatabase.status == 1)
        #expect(
            badDatabase.stderr
                == "Error: --database 'mysql://db/x' is not supported; use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE.\n")
    }

    @Test func oversizedBodiesAreRefusedWith413() async throws {
        let server = try await ServerProcess()
        var request = URLRequest(url: URL(string: server.url + "/v1/workflows")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(try server.ownerToken())", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(repeating: UInt8(ascii: "a"), count: 2 << 20)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 413)
        #expect(try Wire.decoder.decode(ErrorBody.self, from: data).error.code == "payload_too_large")
        #expect(try await server.stop() == 0)
    }

    /// SIGTERM exits 0; `kill -9` loses nothing committed; either way the same port is usable at once.
    @Test func restartsOnTheSameAddressKeepState() async throws {
        let data = try TemporaryDirectory()
        let first = try await ServerProcess(dataDirectory: data)
        let owner = try first.ownerToken()
        #expect(try await first.courier("workflow", "create", "--name", "build", "--project", "demo", token: owner).status == 0)
        let port = String(first.url.split(separator: ":").last!)
        #expect(try await first.stop(signal: SIGKILL) == SIGKILL)

        let second = try await ServerProcess(listen: "127.0.0.1:\(port)", dataDirectory: data)
        #expect(second.url == first.url)
        #expect(try second.ownerToken() == owner, "a restart does not bootstrap again")
        #expect(!second.standardError.contains("Created organization"))
        let listed = try await second.courier("workflow", "list", "-o", "json", token: owner)
        #expect(try Wire.decoder.decode([WorkflowDTO].self, from: Data(listed.stdout.utf8)).map(\.name) == ["build"])
        #expect(try await second.stop(signal: SIGINT) == 0)

        let third = try await ServerProcess(listen: "127.0.0.1:\(port)", dataDirectory: data)
        #expect(third.url == first.url)
        #expect(try await third.stop() == 0)
    }

    /// Integrations never reach link-local or cloud-metadata addresses unless the operator allows them; the
    /// refusal says how. (Only the refusal is tested: no test sends traffic off loopback.)
    @Test func egressToCloudMetadataIsRefused() async throws {
        let server = try await ServerProcess()
        let refused = try await server.courier(
            "integration", "registered", "add", "webhook", "--name", "meta", "--opt", "url=http://169.254.169.254/latest/meta-data",
            token: try server.ownerToken()
        )
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("Refusing to connect to 169.254.169.254") && refused.stderr.contains("COURIER_EGRESS_ALLOW"))
        #expect(try await server.stop() == 0)

        let badList = try await runCourier(
            ["serve", "--listen", "127.0.0.1:0"],
            environment: ["COURIER_EGRESS_DENY": "10.0.0.0/8, nonsense", "HOME": server.home.url.path]
        )
        #expect(badList.status == 1)
        #expect(badList.stderr.contains("COURIER_EGRESS_DENY has 'nonsense', which is not a CIDR block"))
    }
}
