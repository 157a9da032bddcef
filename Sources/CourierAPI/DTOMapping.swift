import CourierCore
import CourierWire

extension OrganizationDTO {
    init(_ organization: Organization) {
        self.init(id: organization.id, name: organization.name, createdAt: organization.createdAt)
    }
}

extension TokenDTO {
    init(_ token: APIToken) {
        self.init(
            id: token.id,
            name: token.name,
            role: token.role.rawValue,
            scope: token.scope.map { WorkflowScopeDTO(project: $0.project, workflow: $0.workflow) },
            createdAt: token.createdAt
        )
    }
}

extension IssuedTokenDTO {
    init(_ issued: AccessService.IssuedToken) {
        self.init(token: TokenDTO(issued.token), secret: issued.secret)
    }
}

extension WorkflowDTO {
    init(_ workflow: Workflow) {
        self.init(
            id: workflow.id,
            name: workflow.name,
            project: workflow.projectName,
            team: workflow.team,
            description: workflow.description,
            createdAt: workflow.createdAt
        )
    }
}
