import CourierCore
import CourierDelivery
import CourierHTTP
import CourierWire
import Foundation

extension CourierAPI {
    /// The largest attestation document accepted: envelopes can carry inline materials.
    public static let attestationBodyLimit = 16 << 20

    /// Adds the attestation and key routes.
    func addAttestationRoutes(to router: inout Router) {
        router.add(.post, "/v1/attestations", authenticated(pushAttestation))
        router.add(.get, "/v1/attestations", authenticated(listAttestations))
        router.add(.get, "/v1/attestations/{digest}", authenticated(describeAttestation))
        router.add(.post, "/v1/keys", authenticated(addKey))
        router.add(.get, "/v1/keys", authenticated(listKeys))
    }

    func pushAttestation(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        guard let project = nonEmptyQuery("project", in: request), let workflow = nonEmptyQuery("workflow", in: request) else {
            throw CourierError.invalid("Name the workflow with the query parameters 'project' and 'workflow'.")
        }
        if request.body.isEmpty {
            throw CourierError.invalid("The request body is empty; send the DSSE envelope or Sigstore bundle as JSON.")
        }
        let result = try await attestations.push(request.body, project: project, workflow: workflow, by: principal)
        logger.info(
            result.duplicate ? "Attestation already accepted" : "Attestation accepted",
            [
                "request.id": request.id, "attestation.digest": result.attestation.digest, "workflow": "\(project)/\(workflow)",
                "delivery.count": String(result.deliveries),
            ]
        )
        let dto = PushedAttestationDTO(
            attestation: AttestationDTO(result.attestation, workflow: result.workflow),
            deliveries: result.deliveries,
            duplicate: result.duplicate
        )
        return jsonResponse(dto, status: result.duplicate ? 200 : 201)
    }

    func listAttestations(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        var limit = 100
        if let text = nonEmptyQuery("limit", in: request) {
            guard let parsed = Int(text), (1...1_000).contains(parsed) else {
                throw CourierError.invalid("The query parameter 'limit' must be a number from 1 to 1000.")
            }
            limit = parsed
        }
        let list = try await attestations.list(
            project: nonEmptyQuery("project", in: request),
            workflow: nonEmptyQuery("workflow", in: request),
            limit: limit,
            by: principal
        )
        return jsonResponse(AttestationListDTO(attestations: list.map { AttestationDTO($0.0, workflow: $0.1) }))
    }

    func describeAttestation(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let (attestation, workflow, deliveries) = try await attestations.describe(digest: request.pathParameters["digest"] ?? "", by: principal)
        return jsonResponse(
            AttestationDetailDTO(
                attestation: AttestationDTO(attestation, workflow: workflow),
                envelope: String(decoding: attestation.envelope, as: UTF8.self),
                deliveries: deliveries.map(DeliveryDTO.init)
            )
        )
    }

    func addKey(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let input = try decodeBody(AddKeyRequest.self, from: request)
        let key = try await attestations.addKey(name: input.name, publicKeyPEM: input.publicKey, by: principal)
        logger.info("Verification key added", ["request.id": request.id, "key.name": input.name, "key.id": key.keyID])
        return jsonResponse(KeyDTO(key), status: 201)
    }

    func listKeys(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        jsonResponse(KeyListDTO(keys: try await attestations.keys(by: principal).map(KeyDTO.init)))
    }
}

extension AttestationDTO {
    init(_ attestation: AttestationRecord, workflow: Workflow) {
        self.init(
            id: attestation.id,
            digest: attestation.digest,
            project: workflow.projectName,
            workflow: workflow.name,
            runnerType: attestation.runnerType,
            runURL: attestation.runURL,
            verifiedBy: attestation.verifiedBy,
            annotations: attestation.annotations,
            materials: attestation.materials.map { material in
                MaterialDTO(
                    name: material.name,
                    type: material.type,
                    filename: material.filename,
                    value: material.value,
                    digest: material.digest,
                    uploadedToCAS: material.uploadedToCAS,
                    embeddedInline: material.embeddedInline
                )
            },
            warnings: attestation.warnings,
            createdAt: attestation.createdAt
        )
    }
}

extension KeyDTO {
    init(_ view: AttestationService.KeyView) {
        self.init(name: view.key.name, keyID: view.keyID, algorithm: view.algorithm, createdAt: view.key.createdAt)
    }
}
