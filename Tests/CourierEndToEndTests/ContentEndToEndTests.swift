import CourierCrypto
import CourierTestSupport
import CourierWire
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `courier serve` with its filesystem CAS, over HTTP.
@Suite(.timeLimit(.minutes(5))) struct ContentEndToEndTests {
    let session = URLSession(configuration: .ephemeral)

    /// Sends a request to the server as `token`; returns the status, the headers and the body.
    func send(
        _ method: String,
        _ server: ServerProcess,
        _ path: String,
        token: String,
        body: Data? = nil
    ) async throws -> (status: Int, response: HTTPURLResponse, body: Data) {
        var request = URLRequest(url: URL(string: server.url + path)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 120
        let (data, response) =
            if let body {
                try await session.upload(for: request, from: body)
            } else {
                try await session.data(for: request)
            }
        let httpResponse = try #require(response as? HTTPURLResponse)
        return (httpResponse.statusCode, httpResponse, data)
    }

    func createToken(_ server: ServerProcess, name: String, role: String, owner: String) async throws -> String {
        let result = try await server.courier("token", "create", "--name", name, "--role", role, "-o", "json", token: owner)
        #expect(result.status == 0, "\(result.stderr)")
        return try Wire.decoder.decode(IssuedTokenDTO.self, from: Data(result.stdout.utf8)).secret
    }

    @Test func uploadCheckAndDownloadWithRolesAndOrganizations() async throws {
        let server = try await ServerProcess()
        let owner = try server.ownerToken()
        let sbom = Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5"}"#.utf8)
        let digest = "sha256:" + SHA256.hex(sbom)

        let created = try await send("PUT", server, "/v1/cas/\(digest)", token: owner, body: sbom)
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        #expect(try Wire.decoder.decode(ContentDTO.self, from: created.body) == ContentDTO(digest: digest, size: Int64(sbom.count)))
        let object = server.dataDirectory.url.appendingPathComponent("cas/sha256/\(digest.dropFirst(7).prefix(2))/\(digest.dropFirst(7))")
        #expect(FileManager.default.fileExists(atPath: object.path))

        let head = try await send("HEAD", server, "/v1/cas/\(digest)", token: owner)
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(head.response.value(forHTTPHeaderField: "Content-Length") == String(sbom.count))
        let download = try await send("GET", server, "/v1/cas/\(digest)", token: owner)
        #expect(download.status == 200 && download.body == sbom)
        #expect(download.response.value(forHTTPHeaderField: "Content-Type") == "application/octet-stream")
        #expect(download.response.value(forHTTPHeaderField: "Content-Digest") == digest)

        let wrong = "sha256:" + SHA256.hex(Data("other".utf8))
        let mismatch = try await send("PUT", server, "/v1/cas/\(wrong)", token: owner, body: sbom)
        #expect(mismatch.status == 400)
        #expect(try Wire.decoder.decode(ErrorBody.self, from: mismatch.body).error.message.contains("nothing was stored"))
        #expect(try await send("HEAD", server, "/v1/cas/\(wrong)", token: owner).status == 404)
        let temporary = try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory.url.appendingPathComponent("cas/tmp").path)
        #expect(temporary.isEmpty)

        let viewer = try await createToken(server, name: "auditor", role: "viewer", owner: owner)
        let robot = try await createToken(server, name: "ci", role: "robot", owner: owner)
        let other = Data("robot material".utf8)
        let otherDigest = "sha256:" + SHA256.hex(other)
        #expect(try await send("PUT", server, "/v1/cas/\(otherDigest)", token: viewer, body: other).status == 403)
        #expect(try await send("PUT", server, "/v1/cas/\(otherDigest)", token: robot, body: other).status == 201)
        #expect(try await send("HEAD", server, "/v1/cas/\(otherDigest)", token: robot).status == 200)

        let orgJSON = try await server.courier("org", "create", "acme", "-o", "json", token: owner)
        let acme = try Wire.decoder.decode(CreatedOrganizationDTO.self, from: Data(orgJSON.stdout.utf8)).owner.secret
        #expect(try await send("GET", server, "/v1/cas/\(digest)", token: acme).status == 404)
        #expect(try await send("HEAD", server, "/v1/cas/\(digest)", token: acme).status == 404)
        #expect(try await server.stop() == 0)
    }

    /// A 100 MB upload streams to disk: the server's peak resident memory grows far less than the body.
    @Test func aLargeUploadStreamsToDisk() async throws {
        let server = try await ServerProcess()
        let owner = try server.ownerToken()
        // Built from a 1 MiB block, each copy stamped with its index: generating 100 M bytes one by one would keep a
        // cooperative thread busy for seconds in a debug build and starve the tests running beside this one.
        let block = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        var payload = Data(capacity: 100 << 20)
        for index in 0..<100 {
            var copy = block
            copy[0] = UInt8(index)
            payload.append(copy)
        }
        let digest = "sha256:" + SHA256.hex(payload)
        let before = try peakResidentBytes(of: server.process.pid)

        let created = try await send("PUT", server, "/v1/cas/\(digest)", token: owner, body: payload)
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let growth = try peakResidentBytes(of: server.process.pid) - before
        #expect(growth < 60 << 20, "the server's peak memory grew by \(growth >> 20) MiB for a 100 MiB upload")

        let download = try await send("GET", server, "/v1/cas/\(digest)", token: owner)
        #expect(download.status == 200 && download.body.count == payload.count && download.body == payload)
        #expect(try await server.stop() == 0)
    }
}

/// A process's peak resident set size (VmHWM), from /proc/<pid>/status.
private func peakResidentBytes(of pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
    return try #require(Int(line.split(separator: " ").dropFirst().first ?? "")) * 1024
}
