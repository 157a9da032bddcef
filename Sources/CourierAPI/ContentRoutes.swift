import CourierCore
import CourierHTTP
import CourierWire
import Foundation

extension CourierAPI {
    /// Adds the `/v1/cas/{digest}` routes: a streamed upload, and a streamed download with its `HEAD`.
    func addContentRoutes(to router: inout Router) {
        router.addStreaming(.put, "/v1/cas/{digest}", bodyLimit: maxContentBytes, authenticatedStreaming(uploadContent))
        router.add(.head, "/v1/cas/{digest}", authenticated(downloadContent))
        router.add(.get, "/v1/cas/{digest}", authenticated(downloadContent))
    }

    /// Streams the body into the content store; 201 when the content is new to the organization, 200 when it had it.
    func uploadContent(_ request: HTTPRequest, _ body: HTTPRequestBody, _ principal: Principal) async throws -> HTTPResponse {
        let digest = try content.prepareUpload(digest: request.pathParameters["digest"] ?? "", by: principal)
        let upload: ContentService.Upload
        do {
            upload = try await content.upload(digest, from: body, by: principal)
        } catch let error as HTTPRequestBodyError {
            // The server has already answered (413), or the client is gone; this answer is not sent.
            throw CourierError(error == .interrupted ? .invalidArgument : .payloadTooLarge, error.description)
        }
        logger.info(
            "Content uploaded",
            [
                "request.id": request.id, "content.digest": digest.description, "content.size": String(upload.content.size),
                "content.new": String(upload.isNewToOrganization),
            ]
        )
        await onContentUploaded(principal.organizationID, digest.description)
        let dto = ContentDTO(digest: upload.content.digest.description, size: upload.content.size)
        return jsonResponse(dto, status: upload.isNewToOrganization ? 201 : 200)
    }

    /// The content's bytes, streamed from the store (for `HEAD`, only the headers).
    func downloadContent(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let digest = request.pathParameters["digest"] ?? ""
        let reader = try await content.open(digest, by: principal)
        let headers: HTTPHeaders = [
            "Content-Type": "application/octet-stream",
            "Content-Digest": digest,
            "ETag": "\"\(digest)\"",
            "Cache-Control": "private, max-age=31536000, immutable",
        ]
        return HTTPResponse(status: 200, headers: headers, length: reader.size, source: ContentBodySource(reader: reader))
    }

    /// Wraps a streaming handler so it runs only for a valid bearer token, with the token's principal.
    func authenticatedStreaming(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPRequestBody, Principal) async throws -> HTTPResponse
    ) -> Router.StreamingHandler {
        { [access] request, body in
            let principal = try await access.authenticate(bearer: Self.bearerToken(in: request))
            return try await handler(request, body, principal)
        }
    }
}

/// Sends stored content as a response body.
private struct ContentBodySource: HTTPBodySource {
    let reader: any ContentReader

    func nextChunk() throws -> Data? { try reader.nextChunk() }

    func close() { reader.close() }
}
