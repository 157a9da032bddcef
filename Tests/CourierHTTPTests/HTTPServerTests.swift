import CourierHTTP
import CourierLogging
import Foundation
import FoundationNetworking
import Testing

/// Answers with what it received, as JSON.
private let echo = ClosureResponder { request in
    let summary: [String: String] = [
        "method": request.method.rawValue,
        "path": request.path,
        "query": request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&"),
        "body": request.body.text,
        "x-custom": request.headers["X-Custom"] ?? "",
        "id": request.id,
    ]
    return HTTPResponse(
        status: request.path == "/fail" ? 503 : 200,
        headers: ["Content-Type": "application/json", "X-Echo": "yes"],
        body: try! JSONSerialization.data(withJSONObject: summary)
    )
}

private func decode(_ body: Data) throws -> [String: String] {
    try #require(try JSONSerialization.jsonObject(with: body) as? [String: String])
}

@Suite struct HTTPServerTests {
    @Test func getAndPostRoundTripWithHeadersAndBody() async throws {
        try await withRunningServer(responder: echo) { server in
            var get = URLRequest(url: url(server, "/hello"))
            get.setValue("custom value", forHTTPHeaderField: "X-Custom")
            let (getStatus, getResponse, getBody) = try await send(get)
            #expect(getStatus == 200)
            #expect(getResponse.value(forHTTPHeaderField: "X-Echo") == "yes")
            #expect(getResponse.value(forHTTPHeaderField: "Content-Length") == String(getBody.count))
            #expect(try decode(getBody)["x-custom"] == "custom value")
            #expect(try decode(getBody)["method"] == "GET")

            var post = URLRequest(url: url(server, "/things"))
            post.httpMethod = "POST"
            post.httpBody = Data(#"{"name":"thing"}"#.utf8)
            let (postStatus, _, postBody) = try await send(post)
            #expect(postStatus == 200)
            #expect(try decode(postBody)["method"] == "POST")
            #expect(try decode(postBody)["body"] == #"{"name":"thing"}"#)
        }
    }

    @Test func decodesPathAndQuery() async throws {
        try await withRunningServer(responder: echo) { server in
            let (_, _, body) = try await send(URLRequest(url: url(server, "/echo/a%20b?name=J%C3%BCrgen+M&plus=a%2Bb&empty=&x=1&x=2")))
            let echoed = try decode(body)
            #expect(echoed["path"] == "/echo/a b")
            #expect(echoed["query"] == "empty=&name=Jürgen M&plus=a+b&x=1")
        }
    }

    @Test func malformedPercentEscapeInPathIs400() async throws {
        try await withRunningServer(responder: echo) { server in
            let response = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                connection.write("GET /bad%zz HTTP/1.1\r\nHost: x\r\n\r\n")
                return try connection.readResponse()
            }
            #expect(response.status == 400)
        }
    }

    @Test func requestIdIsGeneratedOrEchoedAndLogged() async throws {
        let logs = InMemoryLogHandler()
        let logger = Logger(handler: logs, level: .debug)
        try await withRunningServer(logger: logger, responder: echo) { server in
            var withId = URLRequest(url: url(server, "/a"))
            withId.setValue("client-id_1.2", forHTTPHeaderField: "X-Request-Id")
            withId.setValue("Bearer secret-token-value", forHTTPHeaderField: "Authorization")
            withId.httpMethod = "POST"
            withId.httpBody = Data("secret-body-value".utf8)
            let (_, echoedResponse, echoedBody) = try await send(withId)
            #expect(echoedResponse.value(forHTTPHeaderField: "X-Request-Id") == "client-id_1.2")
            #expect(try decode(echoedBody)["id"] == "client-id_1.2")

            var invalid = URLRequest(url: url(server, "/b"))
            invalid.setValue("not valid!", forHTTPHeaderField: "X-Request-Id")
            let (_, generatedResponse, generatedBody) = try await send(invalid)
            let generated = try #require(generatedResponse.value(forHTTPHeaderField: "X-Request-Id"))
            #expect(generated != "not valid!")
            #expect(UUID(uuidString: generated) != nil && generated == generated.lowercased())
            #expect(try decode(generatedBody)["id"] == generated)

            let (_, failedResponse, _) = try await send(URLRequest(url: url(server, "/fail")))
            let failedId = try #require(failedResponse.value(forHTTPHeaderField: "X-Request-Id"))

            let records = logs.records
            let handled = try #require(records.first { $0.metadata["request.id"] == "client-id_1.2" })
            #expect(handled.level == .debug)
            #expect(handled.metadata["http.method"] == "POST")
            #expect(handled.metadata["http.path"] == "/a")
            #expect(handled.metadata["http.status"] == "200")
            #expect(handled.metadata["http.duration_ms"].flatMap(Int.init) != nil)
            #expect(records.contains { $0.metadata["request.id"] == generated })
            #expect(records.first { $0.metadata["request.id"] == failedId }?.level == .error)
            #expect(!logs.renderedText.contains("secret-token-value"))
            #expect(!logs.renderedText.contains("secret-body-value"))
        }
    }

    @Test func declaredBodyOverTheLimitIs413WithoutReadingIt() async throws {
        let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: 1024)
        try await withRunningServer(configuration, responder: echo) { server in
            let response = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                connection.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
                return try connection.readResponse()
            }
            #expect(response.status == 413)
            let expectedBody =
                #"{"error":{"code":"payload_too_large","#
                + #""message":"The request body is larger than the limit of 1024 bytes; send a smaller body."}}"#
            #expect(response.body.text == expectedBody)

            var post = URLRequest(url: url(server, "/upload"))
            post.httpMethod = "POST"
            post.httpBody = Data(repeating: UInt8(ascii: "a"), count: 1025)
            #expect(try await send(post).status == 413)
            post.httpBody = Data(repeating: UInt8(ascii: "a"), count: 1024)
            #expect(try await send(post).status == 200)
        }
    }

    @Test func chunkedBodyOverTheLimitIs413() async throws {
        let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: 1024)
        try await withRunningServer(configuration, responder: echo) { server in
            let response = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                connection.write("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                let chunk = String(repeating: "b", count: 600)
                for _ in 0..<4 { connection.write("258\r\n\(chunk)\r\n") }
                connection.write("0\r\n\r\n")
                return try connection.readResponse()
            }
            #expect(response.status == 413)
            #expect(response.body.text.contains(#""code":"payload_too_large""#))

            let small = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                connection.write("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                return try connection.readResponse()
            }
            #expect(small.status == 200)
            #expect(try decode(small.body)["body"] == "hello")
        }
    }

    @Test func bodyLimitCanBeRaisedPerRoute() async throws {
        let configuration = HTTPServerConfiguration(
            host: "127.0.0.1",
            port: 0,
            maxBodyBytes: 16,
            bodyLimit: { method, path in method == .put && path.hasPrefix("/cas/") ? 4096 : nil }
        )
        try await withRunningServer(configuration, responder: echo) { server in
            var upload = URLRequest(url: url(server, "/cas/blob"))
            upload.httpMethod = "PUT"
            upload.httpBody = Data(repeating: 1, count: 4000)
            let casStatus = try await send(upload).status
            #expect(casStatus == 200)
            upload.url = url(server, "/other")
            let otherStatus = try await send(upload).status
            #expect(otherStatus == 413)
        }
    }

    @Test func headerFloodIsRejected() async throws {
        let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxHeaderBytes: 16 << 10)
        try await withRunningServer(configuration, responder: echo) { server in
            let response = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                var request = "GET /flood HTTP/1.1\r\nHost: x\r\n"
                for index in 0..<1000 { request += "X-Flood-\(index): \(String(repeating: "f", count: 64))\r\n" }
                connection.write(request + "\r\n")
                return try connection.readResponse()
            }
            // libmicrohttpd 0.9.75 answers 431 Request Header Fields Too Large and closes the connection.
            #expect(response.status == 431)
        }
    }

    @Test func unsupportedMethodIs405() async throws {
        try await withRunningServer(responder: echo) { server in
            let response = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                connection.write("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
                return try connection.readResponse()
            }
            #expect(response.status == 405)
            #expect(response.body.text.contains(#""code":"invalid_argument""#))
            #expect(response.headers["allow"]?.contains("GET") == true)
        }
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() async throws {
        try await withRunningServer(responder: echo) { server in
            let statuses = try await onDedicatedThread {
                let connection = try RawHTTPConnection(port: server.port)
                return try (0..<20).map { index in
                    connection.write("POST /n/\(index) HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
                    let response = try connection.readResponse()
                    return response.status == 200 && response.headers["connection"]?.lowercased() != "close" ? "ok" : "\(response)"
                }
            }
            #expect(statuses == Array(repeating: "ok", count: 20))

            for index in 0..<50 {
                #expect(try await send(URLRequest(url: url(server, "/seq/\(index)"))).status == 200)
            }
        }
    }

    @Test func shutdownLetsInFlightRequestsFinishThenClosesThePort() async throws {
        let entered = Gate()
        let release = Gate()
        let responder = ClosureResponder { request in
            guard request.path == "/slow" else { return HTTPResponse(status: 200) }
            entered.open()
            await release.wait()
            return HTTPResponse(status: 200, body: Data("finished".utf8))
        }
        let server = try HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), responder: responder, logger: .disabled)
        let port = server.port
        try await withThrowingTaskGroup(of: Void.self) { outer in
            outer.addTask {
                let (status, _, body) = try await send(URLRequest(url: URL(string: "http://127.0.0.1:\(port)/slow")!))
                #expect(status == 200)
                #expect(body.text == "finished")
            }
            await withThrowingTaskGroup(of: Void.self) { serverGroup in
                serverGroup.addTask { try await server.run() }
                await entered.wait()
                serverGroup.cancelAll()  // shutdown begins while /slow is in flight
                release.open()
            }
            try await outer.waitForAll()
        }
        #expect(try await isConnectionRefused(port: port))
    }

    @Test func newRequestsOnOpenConnectionsGet503WhileDraining() async throws {
        let entered = Gate()
        let release = Gate()
        let responder = ClosureResponder { request in
            if request.path == "/slow" {
                entered.open()
                await release.wait()
            }
            return HTTPResponse(status: 200)
        }
        let server = try HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), responder: responder, logger: .disabled)
        let port = server.port
        let idle = try await onDedicatedThread { try RawHTTPConnection(port: port) }
        try await withThrowingTaskGroup(of: Void.self) { outer in
            outer.addTask {
                let (status, _, _) = try await send(URLRequest(url: URL(string: "http://127.0.0.1:\(port)/slow")!))
                #expect(status == 200)
            }
            await withThrowingTaskGroup(of: Void.self) { serverGroup in
                serverGroup.addTask { try await server.run() }
                let firstStatus = try? await onDedicatedThread {
                    idle.write("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
                    return try idle.readResponse().status
                }
                #expect(firstStatus == 200)
                await entered.wait()
                serverGroup.cancelAll()
                let refused = try? await onDedicatedThread {
                    idle.write("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
                    return try idle.readResponse()
                }
                #expect(refused?.status == 503)
                #expect(refused?.headers["connection"]?.lowercased() == "close")
                release.open()
            }
            try await outer.waitForAll()
        }
    }

    @Test func requestsStillRunningAtTheDrainTimeoutGet503() async throws {
        let entered = Gate()
        let release = Gate()
        let responder = ClosureResponder { _ in
            entered.open()
            await release.wait()
            return HTTPResponse(status: 200)
        }
        let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, drainTimeout: .milliseconds(200))
        let server = try HTTPServer(configuration: configuration, responder: responder, logger: .disabled)
        let port = server.port
        try await withThrowingTaskGroup(of: Void.self) { outer in
            outer.addTask {
                let (status, _, body) = try await send(URLRequest(url: URL(string: "http://127.0.0.1:\(port)/stuck")!))
                #expect(status == 503)
                #expect(body.text.contains(#""code":"unavailable""#))
                release.open()  // the handler may now return, which lets run() return
            }
            await withThrowingTaskGroup(of: Void.self) { serverGroup in
                serverGroup.addTask { try await server.run() }
                await entered.wait()
                serverGroup.cancelAll()
            }
            try await outer.waitForAll()
        }
        #expect(try await isConnectionRefused(port: port))
    }

    @Test func samePortCanBeBoundAgainRightAfterStop() async throws {
        let port = try await withRunningServer(responder: echo) { server in
            let beforeStatus = try await send(URLRequest(url: url(server, "/before"))).status
            #expect(beforeStatus == 200)
            return server.port
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: port)
        configuration.drainTimeout = .seconds(1)
        try await withRunningServer(configuration, responder: echo) { server in
            #expect(server.port == port)
            let afterStatus = try await send(URLRequest(url: url(server, "/after"))).status
            #expect(afterStatus == 200)
        }
    }

    @Test func takenPortGivesOneClearSentence() async throws {
        let first = try HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), responder: echo, logger: .disabled)
        let error = #expect(throws: HTTPServerError.self) {
            _ = try HTTPServer(configuration: .init(host: "127.0.0.1", port: first.port), responder: echo, logger: .disabled)
        }
        #expect(error?.description == "Cannot listen on 127.0.0.1:\(first.port): address already in use.")
        #expect(
            throws: HTTPServerError.cannotListen(
                host: "localhost",
                port: 1,
                reason: "the host must be an IPv4 address such as 127.0.0.1 or 0.0.0.0"
            )
        ) {
            _ = try HTTPServer(configuration: .init(host: "localhost", port: 1), responder: echo, logger: .disabled)
        }
    }

    @Test func runTwiceIsAnError() async throws {
        let server = try HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), responder: echo, logger: .disabled)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            group.cancelAll()
            try await group.waitForAll()
        }
        await #expect(throws: HTTPServerError.alreadyRun) { try await server.run() }
    }
}
