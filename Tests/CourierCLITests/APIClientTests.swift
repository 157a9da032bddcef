import CourierWire
import Foundation
import Testing

@testable import CourierCLI

@Suite("API client")
struct APIClientTests {
    @Test func printsTheServerMessageExactly() async {
        let harness = Harness()
        harness.transport.respond(
            "DELETE", "/v1/tokens/ci", status: 404,
            json: ErrorBody(code: "not_found", message: "There is no token named 'ci' in organization 'acme'.", requestID: "r-1")
        )
        let result = await harness.runAuthenticated(["token", "revoke", "--name", "ci"])
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError == "Error: There is no token named 'ci' in organization 'acme'.\n")
    }

    @Test func mapsErrorBodiesToCLIErrors() async {
        let transport = FakeTransport()
        transport.respond("GET", "/v1/whoami", status: 401, json: ErrorBody(code: "unauthenticated", message: "The token is not valid."))
        let client = APIClient(server: URL(string: "http://s:1")!, token: "t", transport: transport)
        await #expect(throws: CLIError("The token is not valid.", serverCode: "unauthenticated")) { try await client.whoAmI() }
    }

    @Test func explainsAnErrorWithoutBody() async {
        let transport = FakeTransport()
        transport.respond("GET", "/v1/tokens", with: .success(TransportResponse(status: 502, body: Data("<html>".utf8))))
        let client = APIClient(server: URL(string: "http://s:1")!, token: "t", transport: transport)
        await #expect(throws: CLIError("The server at http://s:1 answered GET /v1/tokens with status 502 and no error message.")) {
            try await client.listTokens()
        }
    }

    @Test func explainsAnUnreadableResponse() async {
        let transport = FakeTransport()
        transport.respond("GET", "/v1/tokens", with: .success(TransportResponse(status: 200, body: Data("{}".utf8))))
        let client = APIClient(server: URL(string: "http://s:1")!, token: "t", transport: transport)
        await #expect(
            throws: CLIError("The server at http://s:1 sent a response this courier cannot read; check that client and server versions match.")
        ) {
            try await client.listTokens()
        }
    }

    @Test func saysWhichServerCouldNotBeReachedAndHowToFixIt() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/workflows", with: .failure(.cannotConnect))
        let result = await harness.run(["workflow", "list", "--server", "http://127.0.0.1:9999", "--token", "t"])
        #expect(result.status == 1)
        #expect(
            result.standardError == """
                Error: Could not reach the Courier server at http://127.0.0.1:9999; start one with 'courier serve', \
                or point to a running one with --server URL or COURIER_SERVER.

                """)
    }

    @Test func reportsATimeout() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/tokens", with: .failure(.timedOut(seconds: 30)))
        let result = await harness.runAuthenticated(["token", "list"])
        #expect(result.status == 1)
        #expect(
            result.standardError
                == "Error: The Courier server at http://127.0.0.1:8080 did not answer within 30 seconds; check that it is healthy.\n")
    }

    @Test func neverPrintsTheToken() async {
        let harness = Harness()
        harness.transport.respond("GET", "/v1/tokens", with: .failure(.cannotConnect))
        let result = await harness.runAuthenticated(["token", "list"])
        #expect(!result.standardError.contains("courier_secret"))
        #expect(!result.standardOutput.contains("courier_secret"))
    }

    @Test func keepsTheServerPathPrefixAndEncodesSegments() async throws {
        let transport = FakeTransport()
        let client = APIClient(server: URL(string: "https://example.com/courier/")!, token: nil, transport: transport)
        try? await client.deleteWorkflow(named: "a b/c", project: "shop")
        let request = try #require(transport.requests.first)
        #expect(request.url.absoluteString == "https://example.com/courier/v1/projects/shop/workflows/a%20b%2Fc")
        #expect(request.headers["Authorization"] == nil)
    }

    @Test func connectionRefusedOverRealSockets() async {
        let transport = URLSessionTransport(timeoutSeconds: 5)
        let request = TransportRequest(method: "GET", url: URL(string: "http://127.0.0.1:1/healthz")!)
        await #expect(throws: TransportError.cannotConnect) { try await transport.send(request) }
    }
}
