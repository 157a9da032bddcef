/// Projects and workflows.
public struct WorkflowService: Sendable {
    let store: any Store
    let environment: ServiceEnvironment

    public init(store: any Store, environment: ServiceEnvironment) {
        self.store = store
        self.environment = environment
    }

    /// Creates a workflow, creating its project on first use.
    ///
    /// - Throws: `invalid_argument` for bad names; `already_exists` when the project already has
    ///   a workflow of that name.
    public func create(
        name: String,
        project: String,
        team: String = "",
        description: String = "",
        by principal: Principal
    ) async throws -> Workflow {
        try principal.require(.manage)
        try Names.validateLabel(name, what: "workflow name")
        try Names.validateLabel(project, what: "project name")
        let env = environment
        let organizationID = principal.organizationID
        return try await store.write { tx in
            if try tx.workflow(organizationID: organizationID, project: project, name: name) != nil {
                throw CourierError(.alreadyExists, "Workflow '\(name)' already exists in project '\(project)'.")
            }
            let existing = try tx.project(organizationID: organizationID, name: project)
            let projectRecord = existing ?? Project(id: env.newID(), organizationID: organizationID, name: project, createdAt: env.now())
            if existing == nil {
                try tx.insertProject(projectRecord)
            }
            let workflow = Workflow(
                id: env.newID(),
                organizationID: organizationID,
                projectID: projectRecord.id,
                projectName: project,
                name: name,
                team: team,
                description: description,
                createdAt: env.now()
            )
            try tx.insertWorkflow(workflow)
            return workflow
        }
    }

    /// Workflows of the caller's organization, optionally of one project.
    public func list(project: String?, by principal: Principal) async throws -> [Workflow] {
        try principal.require(.read)
        if let project { try Names.validateLabel(project, what: "project name") }
        let organizationID = principal.organizationID
        return try await store.read { tx in try tx.workflows(organizationID: organizationID, project: project) }
    }

    /// One workflow of the caller's organization.
    ///
    /// - Throws: `not_found` with a hint when it does not exist.
    public func get(name: String, project: String, by principal: Principal) async throws -> Workflow {
        try principal.require(.read)
        let organizationID = principal.organizationID
        return try await store.read { tx in try tx.requireWorkflow(organizationID: organizationID, project: project, name: name) }
    }

    /// Deletes a workflow of the caller's organization and detaches the integrations attached to it.
    public func delete(name: String, project: String, by principal: Principal) async throws {
        try principal.require(.manage)
        try Names.validateLabel(name, what: "workflow name")
        try Names.validateLabel(project, what: "project name")
        let organizationID = principal.organizationID
        let now = environment.now()
        try await store.write { tx in
            let workflow = try tx.requireWorkflow(organizationID: organizationID, project: project, name: name)
            for attachment in try tx.attachments(organizationID: organizationID, workflowID: workflow.id, registrationID: nil) {
                try tx.deleteAttachment(id: attachment.id, at: now)
            }
            try tx.deleteWorkflow(id: workflow.id, at: now)
        }
    }
}
