import CourierCore
import CourierDelivery
import CourierHTTP
import CourierWire
import Foundation

extension CourierAPI {
    /// Adds the delivery routes, the test and replay actions, and `/metrics`.
    func addDeliveryRoutes(to router: inout Router) {
        router.add(.get, "/v1/deliveries", authenticated(listDeliveries))
        router.add(.post, "/v1/deliveries/retry-failed", authenticated(retryFailedDeliveries))
        router.add(.get, "/v1/deliveries/{id}", authenticated(describeDelivery))
        router.add(.post, "/v1/deliveries/{id}/retry", authenticated(retryDelivery))
        router.add(.post, "/v1/integrations/registered/{name}/test", authenticated(testRegistration))
        router.add(.post, "/v1/integrations/attached/{id}/replay", authenticated(replayAttachment))
        router.add(.get, "/metrics") { [metrics] _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4"], body: Data(await metrics().utf8))
        }
    }

    func listDeliveries(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        var state: DeliveryState?
        if let name = nonEmptyQuery("state", in: request) {
            guard let parsed = DeliveryState(rawValue: name) else {
                let names = DeliveryState.allCases.map(\.rawValue).joined(separator: ", ")
                throw CourierError.invalid("Unknown delivery state '\(name)'; use one of \(names).")
            }
            state = parsed
        }
        var limit = 100
        if let text = nonEmptyQuery("limit", in: request) {
            guard let parsed = Int(text), (1...1_000).contains(parsed) else {
                throw CourierError.invalid("The query parameter 'limit' must be a number from 1 to 1000.")
            }
            limit = parsed
        }
        let views = try await deliveries.list(
            state: state,
            integration: nonEmptyQuery("integration", in: request),
            project: nonEmptyQuery("project", in: request),
            workflow: nonEmptyQuery("workflow", in: request),
            limit: limit,
            by: principal
        )
        return jsonResponse(DeliveryListDTO(deliveries: views.map(DeliveryDTO.init)))
    }

    func describeDelivery(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let detail = try await deliveries.describe(id: request.pathParameters["id"] ?? "", by: principal)
        return jsonResponse(DeliveryDetailDTO(detail))
    }

    func retryDelivery(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let view = try await deliveries.retry(id: request.pathParameters["id"] ?? "", by: principal)
        logger.info("Delivery retry requested", ["request.id": request.id, "delivery.id": view.delivery.id])
        return jsonResponse(DeliveryDTO(view))
    }

    func retryFailedDeliveries(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let count = try await deliveries.retryAllFailed(by: principal)
        logger.info("Retry of failed deliveries requested", ["request.id": request.id, "delivery.count": String(count)])
        return jsonResponse(RetriedDTO(retried: count))
    }

    func testRegistration(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let detail = try await deliveries.test(registration: request.pathParameters["name"] ?? "", by: principal)
        return jsonResponse(DeliveryDetailDTO(detail), status: 201)
    }

    func replayAttachment(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let input = request.body.isEmpty ? ReplayRequest() : try decodeBody(ReplayRequest.self, from: request)
        let created = try await deliveries.replay(attachmentID: request.pathParameters["id"] ?? "", since: input.since, by: principal)
        logger.info("Replay requested", ["request.id": request.id, "delivery.count": String(created)])
        return jsonResponse(ReplayedDTO(created: created), status: 201)
    }
}

extension DeliveryDTO {
    init(_ view: DeliveryService.DeliveryView) {
        let delivery = view.delivery
        self.init(
            id: delivery.id,
            state: delivery.state.rawValue,
            kind: delivery.kind.rawValue,
            integration: view.integrationName,
            integrationKind: view.integrationKind,
            workflow: view.workflow,
            attestationDigest: view.attestationDigest,
            attempts: delivery.attempts,
            nextAttemptAt: delivery.state.isFinal ? nil : delivery.nextAttemptAt,
            reason: delivery.reason,
            createdAt: delivery.createdAt,
            updatedAt: delivery.updatedAt
        )
    }
}

extension DeliveryDetailDTO {
    init(_ detail: DeliveryService.DeliveryDetail) {
        self.init(
            delivery: DeliveryDTO(detail.view),
            attempts: detail.attempts.map { attempt in
                DeliveryAttemptDTO(
                    number: attempt.number,
                    startedAt: attempt.startedAt,
                    durationMs: attempt.durationMilliseconds,
                    outcome: attempt.outcome.rawValue,
                    httpStatus: attempt.httpStatus,
                    error: attempt.error,
                    retryAfterMs: attempt.retryAfterMilliseconds
                )
            },
            parts: detail.parts.map { DeliveryPartDTO(id: $0.partID, outcome: $0.outcome.rawValue, reference: $0.reference) }
        )
    }
}
