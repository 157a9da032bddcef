import CourierAPI
import CourierCore
import CourierCrypto
import CourierHTTP
import CourierWire
import Foundation
import Testing

extension APITestHarness {
    /// Sends `body` to a CAS route, streamed in chunks of `chunkSize` bytes as the server would deliver them.
    func sendContent(
        _ method: HTTPMethod,
        _ digest: String,
        token: String?,
        body: Data = Data(),
        chunkSize: Int = 1000
    ) async -> HTTPResponse {
        var headers = HTTPHeaders()
        if let token { headers.add("Authorization", "Bearer \(token)") }
        let request = HTTPRequest(method: method, path: "/v1/cas/\(digest)", headers: headers)
        let chunks = stride(from: 0, to: body.count, by: chunkSize).map { body.subdata(in: $0..<min($0 + chunkSize, body.count)) }
        return await router.respond(to: request, body: HTTPRequestBody(chunks: chunks))
    }
}

/// The bytes of a streamed response body.
private func drain(_ response: HTTPResponse) throws -> Data {
    guard let stream = response.stream else { return response.body }
    defer { stream.source.close() }
    var data = Data()
    while let chunk = try stream.source.nextChunk() { data.append(chunk) }
    return data
}

private func sha256(_ data: Data) -> String { "sha256:" + SHA256.hex(data) }

@Suite struct ContentAPITests {
    let sbom = Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}"#.utf8)

    @Test func uploadHeadAndDownloadRoundTrip() async throws {
        let api = try await APITestHarness()
        let digest = sha256(sbom)
        let created = await api.sendContent(.put, digest, token: api.ownerToken, body: sbom, chunkSize: 7)
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        #expect(try api.decode(ContentDTO.self, created) == ContentDTO(digest: digest, size: Int64(sbom.count)))
        #expect(api.contentStore.digests.map(\.description) == [digest])

        let again = await api.sendContent(.put, digest, token: api.ownerToken, body: sbom)
        #expect(again.status == 200, "the organization already had it")
        #expect(api.uploadedContent.all.count == 2 && api.uploadedContent.all.allSatisfy { $0.hasSuffix(" \(digest)") })

        let head = await api.sendContent(.head, digest, token: api.ownerToken)
        #expect(head.status == 200 && head.stream?.length == Int64(sbom.count))
        let download = await api.sendContent(.get, digest, token: api.ownerToken)
        #expect(download.status == 200)
        #expect(download.headers["Content-Type"] == "application/octet-stream")
        #expect(download.headers["Content-Digest"] == digest)
        #expect(download.headers["ETag"] == "\"\(digest)\"")
        #expect(try drain(download) == sbom)
    }

    @Test func aDigestMismatchIs400AndStoresNothing() async throws {
        let api = try await APITestHarness()
        let named = sha256(Data("the real SBOM".utf8))
        let response = await api.sendContent(.put, named, token: api.ownerToken, body: sbom)
        #expect(response.status == 400)
        #expect(
            try api.error(response).message
                == "The uploaded content's digest is \(sha256(sbom)), not the \(named) named in the request; nothing was stored."
        )
        #expect(api.contentStore.digests.isEmpty)
        #expect(await api.sendContent(.head, named, token: api.ownerToken).status == 404)
        #expect(api.uploadedContent.all.isEmpty)
    }

    @Test func aMalformedDigestIs400WithTheExpectedForm() async throws {
        let api = try await APITestHarness()
        for digest in ["md5:abc", "sha256:" + String(repeating: "A", count: 64), "sha256:1234"] {
            let response = await api.sendContent(.put, digest, token: api.ownerToken, body: sbom)
            #expect(response.status == 400)
            #expect(try api.error(response).message.contains("use sha256: followed by 64 lowercase hex digits"))
            #expect(await api.sendContent(.get, digest, token: api.ownerToken).status == 400)
        }
    }

    @Test func rolesDecideWhoUploadsAndWhoReads() async throws {
        let api = try await APITestHarness()
        let digest = sha256(sbom)
        let viewer = try await api.token("auditor", role: "viewer")
        let robot = try await api.token("ci", role: "robot")
        let admin = try await api.token("ops", role: "admin")

        let denied = await api.sendContent(.put, digest, token: viewer, body: sbom)
        #expect(denied.status == 403)
        #expect(try api.error(denied).message == "A viewer token cannot upload content.")
        #expect(await api.sendContent(.put, digest, token: nil, body: sbom).status == 401)
        #expect(await api.sendContent(.put, digest, token: robot, body: sbom).status == 201)
        #expect(await api.sendContent(.put, digest, token: admin, body: sbom).status == 200)

        #expect(await api.sendContent(.head, digest, token: robot).status == 200, "robots may check that content is there")
        #expect(await api.sendContent(.get, digest, token: viewer).status == 200)
    }

    @Test func organizationsSeeOnlyTheirOwnContent() async throws {
        let api = try await APITestHarness()
        let digest = sha256(sbom)
        #expect(await api.sendContent(.put, digest, token: api.ownerToken, body: sbom).status == 201)
        let created = await api.send(.post, "/v1/organizations", token: api.ownerToken, json: #"{"name":"acme"}"#)
        let acme = try api.decode(CreatedOrganizationDTO.self, created).owner.secret

        let hidden = await api.sendContent(.get, digest, token: acme)
        #expect(hidden.status == 404)
        #expect(try api.error(hidden).message == "No content \(digest) has been uploaded to this organization.")
        #expect(await api.sendContent(.head, digest, token: acme).status == 404)
        #expect(await api.sendContent(.put, digest, token: acme, body: sbom).status == 201, "new to acme, though stored once")
        #expect(await api.sendContent(.get, digest, token: acme).status == 200)
    }

    @Test func theUploadRouteStreamsWithItsOwnLimit() async throws {
        let api = try await APITestHarness()
        #expect(api.router.bodyMode(method: .put, rawPath: "/v1/cas/sha256:\(String(repeating: "0", count: 64))") == .streamed(limit: 1 << 20))
        #expect(api.router.bodyMode(method: .post, rawPath: "/v1/workflows") == .buffered)
    }
}
