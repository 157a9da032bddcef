import CourierCore
import CourierHTTP
import CourierIntegrationKit
import CourierWire

extension CourierAPI {
    /// Adds the `/v1/integrations` routes.
    func addIntegrationRoutes(to router: inout Router) {
        router.add(.get, "/v1/integrations/available", authenticated(listAvailable))
        router.add(.get, "/v1/integrations/registered", authenticated(listRegistrations))
        router.add(.post, "/v1/integrations/registered", authenticated(register))
        router.add(.get, "/v1/integrations/registered/{name}", authenticated(describeRegistration))
        router.add(.delete, "/v1/integrations/registered/{name}", authenticated(deleteRegistration))
        router.add(.get, "/v1/integrations/attached", authenticated(listAttachments))
        router.add(.post, "/v1/integrations/attached", authenticated(attach))
        router.add(.delete, "/v1/integrations/attached/{id}", authenticated(detach))
    }

    func listAvailable(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let descriptors = try integrations.available(by: principal)
        return jsonResponse(AvailableIntegrationListDTO(integrations: descriptors.map(AvailableIntegrationDTO.init)))
    }

    func register(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let input = try decodeBody(RegisterIntegrationRequest.self, from: request)
        let view = try await integrations.register(
            kind: input.kind,
            name: input.name,
            description: input.description ?? "",
            options: input.options,
            by: principal
        )
        logger.info(
            "Integration registered",
            ["request.id": request.id, "integration.id": input.kind, "integration.instance": input.name]
        )
        return jsonResponse(RegisteredIntegrationDTO(view, revealingSecrets: true), status: 201)
    }

    func listRegistrations(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let views = try await integrations.registrations(by: principal)
        return jsonResponse(RegisteredIntegrationListDTO(registrations: views.map { RegisteredIntegrationDTO($0) }))
    }

    func describeRegistration(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let view = try await integrations.registration(named: request.pathParameters["name"] ?? "", by: principal)
        return jsonResponse(RegisteredIntegrationDTO(view))
    }

    func deleteRegistration(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let name = request.pathParameters["name"] ?? ""
        let force = try booleanQuery("force", in: request)
        try await integrations.deleteRegistration(named: name, force: force, by: principal)
        logger.info("Integration deleted", ["request.id": request.id, "integration.instance": name])
        return noContent()
    }

    func attach(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let input = try decodeBody(AttachIntegrationRequest.self, from: request)
        let view = try await integrations.attach(
            integration: input.integration,
            project: input.project,
            workflow: input.workflow,
            options: input.options,
            by: principal
        )
        logger.info(
            "Integration attached",
            ["request.id": request.id, "integration.instance": input.integration, "workflow": "\(input.project)/\(input.workflow)"]
        )
        return jsonResponse(AttachmentDTO(view), status: 201)
    }

    func listAttachments(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        let views = try await integrations.attachments(
            project: nonEmptyQuery("project", in: request),
            workflow: nonEmptyQuery("workflow", in: request),
            by: principal
        )
        return jsonResponse(AttachmentListDTO(attachments: views.map(AttachmentDTO.init)))
    }

    func detach(_ request: HTTPRequest, _ principal: Principal) async throws -> HTTPResponse {
        try await integrations.detach(attachmentID: request.pathParameters["id"] ?? "", by: principal)
        return noContent()
    }
}

extension AvailableIntegrationDTO {
    init(_ descriptor: IntegrationDescriptor) {
        self.init(
            name: descriptor.id,
            version: descriptor.version,
            description: descriptor.description,
            subscribedInputs: descriptor.subscribedMaterials.map(\.rawValue),
            registration: InputsDTO(descriptor.registrationSchemaDocument, descriptor.registrationSchema),
            attachment: InputsDTO(descriptor.attachmentSchemaDocument, descriptor.attachmentSchema)
        )
    }
}

extension InputsDTO {
    init(_ document: JSONValue, _ schema: InputSchema) {
        self.init(
            schema: document.serialized(),
            inputs: schema.propertiesMap.map { field in
                InputFieldDTO(
                    name: field.name,
                    type: field.type,
                    format: field.format,
                    required: field.isRequired,
                    default: field.defaultValue,
                    description: field.description
                )
            }
        )
    }
}

extension RegisteredIntegrationDTO {
    init(_ view: IntegrationService.RegistrationView, revealingSecrets: Bool = false) {
        self.init(
            id: view.registration.id,
            name: view.registration.name,
            kind: view.registration.kind,
            description: view.registration.description,
            createdAt: view.registration.createdAt,
            config: view.configuration,
            revealedSecrets: revealingSecrets && !view.revealedSecrets.isEmpty ? view.revealedSecrets : nil
        )
    }
}

extension AttachmentDTO {
    init(_ view: IntegrationService.AttachmentView) {
        self.init(
            id: view.attachment.id,
            createdAt: view.attachment.createdAt,
            config: view.configuration,
            integration: RegisteredIntegrationDTO(view.registration),
            workflow: WorkflowDTO(view.workflow)
        )
    }
}
