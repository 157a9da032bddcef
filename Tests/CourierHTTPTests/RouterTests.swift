import CourierHTTP
import Foundation
import Testing

@Suite struct RouterTests {
    struct Boom: Error {}

    private func makeRouter() -> Router {
        var router = Router(errorResponse: { error, request in
            HTTPResponse(status: 500, body: Data("mapped \(type(of: error)) for \(request.path)".utf8))
        })
        router.add(.get, "/v1/projects/{project}/workflows/{name}") { request in
            HTTPResponse(status: 200, body: Data("workflow \(request.pathParameters["project"]!)|\(request.pathParameters["name"]!)".utf8))
        }
        router.add(.get, "/v1/projects/{project}") { request in
            HTTPResponse(status: 200, body: Data("project \(request.pathParameters["project"]!)".utf8))
        }
        router.add(.get, "/v1/projects/default") { _ in HTTPResponse(status: 200, body: Data("the default project".utf8)) }
        router.add(.post, "/v1/projects") { _ in HTTPResponse(status: 201) }
        router.add(.get, "/v1/projects") { _ in HTTPResponse(status: 200, body: Data("list".utf8)) }
        router.add(.delete, "/v1/boom") { _ in throw Boom() }
        return router
    }

    @Test func capturesPercentDecodedPathParameters() async {
        let request = HTTPRequest(method: .get, path: "/v1/projects/my proj/workflows/a/b", rawPath: "/v1/projects/my%20proj/workflows/a%2Fb")
        let response = await makeRouter().respond(to: request)
        #expect(response.status == 200)
        #expect(response.body.text == "workflow my proj|a/b")
    }

    @Test func exactMatchWinsOverParameter() async {
        let router = makeRouter()
        #expect(await router.respond(to: HTTPRequest(method: .get, path: "/v1/projects/default")).body.text == "the default project")
        #expect(await router.respond(to: HTTPRequest(method: .get, path: "/v1/projects/other")).body.text == "project other")
    }

    @Test func dispatchesOnMethod() async {
        let router = makeRouter()
        #expect(await router.respond(to: HTTPRequest(method: .post, path: "/v1/projects")).status == 201)
        #expect(await router.respond(to: HTTPRequest(method: .get, path: "/v1/projects")).body.text == "list")
    }

    @Test func unknownPathGetsDefault404Body() async {
        let response = await makeRouter().respond(to: HTTPRequest(method: .get, path: "/x"))
        #expect(response.status == 404)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(
            response.body.text
                == #"{"error":{"code":"not_found","message":"No route for GET /x; see /v1/openapi.json for the API."}}"#
        )
    }

    @Test func trailingSlashIsAnotherPath() async {
        #expect(await makeRouter().respond(to: HTTPRequest(method: .get, path: "/v1/projects/")).status == 404)
    }

    @Test func knownPathOtherMethodGets405WithAllow() async throws {
        let response = await makeRouter().respond(to: HTTPRequest(method: .put, path: "/v1/projects"))
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET, HEAD, POST")
        let body = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: [String: String]])
        #expect(body["error"]?["code"] == "invalid_argument")
        #expect(body["error"]?["message"] == "Method PUT is not allowed on /v1/projects; use one of GET, HEAD, POST.")
    }

    @Test func headIsServedByTheGetRoute() async {
        #expect(await makeRouter().respond(to: HTTPRequest(method: .head, path: "/v1/projects")).status == 200)
    }

    @Test func handlerErrorsGoThroughTheInjectedMapping() async {
        let response = await makeRouter().respond(to: HTTPRequest(method: .delete, path: "/v1/boom"))
        #expect(response.status == 500)
        #expect(response.body.text == "mapped Boom for /v1/boom")
    }

    @Test func unmatchedResponsesCanBeInjected() async {
        let router = Router(
            errorResponse: { _, _ in HTTPResponse(status: 500) },
            unmatchedResponse: { miss, _ in HTTPResponse(status: miss == .notFound ? 418 : 419) }
        )
        #expect(await router.respond(to: HTTPRequest(method: .get, path: "/anything")).status == 418)
    }

    @Test func listsRoutesInRegistrationOrder() {
        let routes = makeRouter().routes.map { "\($0.method.rawValue) \($0.pattern)" }
        #expect(
            routes == [
                "GET /v1/projects/{project}/workflows/{name}", "GET /v1/projects/{project}", "GET /v1/projects/default",
                "POST /v1/projects", "GET /v1/projects", "DELETE /v1/boom",
            ]
        )
    }
}
