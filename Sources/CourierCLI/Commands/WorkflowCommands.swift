import CourierWire
import Foundation

extension CourierCommand {
    /// `courier workflow`: the workflows of the caller's organization.
    struct WorkflowCommands: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "workflow",
            abstract: "Manage workflows, the CI pipelines that push attestations.",
            subcommands: [Create.self, List.self, Delete.self]
        )

        /// NAME | PROJECT | TEAM | CREATED AT.
        static func table(_ workflows: [WorkflowDTO]) -> Table {
            Table(
                header: ["NAME", "PROJECT", "TEAM", "CREATED AT"],
                rows: workflows.map { [$0.name, $0.project, $0.team, Formatting.date($0.createdAt)] }
            )
        }
    }
}

extension CourierCommand.WorkflowCommands {
    /// `courier workflow create`.
    struct Create: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "create",
            abstract: "Create a workflow; its project is created with it if needed.",
            options: [
                .value("name", help: "The workflow's name, unique in its project.", required: true),
                .value("project", help: "The project the workflow belongs to.", required: true),
                .value("team", help: "The team owning the workflow."),
                .value("description", help: "What the workflow builds."),
            ]
        )

        var request: CreateWorkflowRequest

        init(request: CreateWorkflowRequest) {
            self.request = request
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            request = CreateWorkflowRequest(
                name: try arguments.required("name"),
                project: try arguments.required("project"),
                team: arguments.value("team"),
                description: arguments.value("description")
            )
        }

        func run(in invocation: Invocation) async throws {
            let workflow = try await invocation.client().createWorkflow(request)
            switch invocation.output {
            case .table:
                invocation.print(CourierCommand.WorkflowCommands.table([workflow]))
            case .json:
                try invocation.printJSON(workflow)
            }
        }
    }

    /// `courier workflow list [--project P]`.
    struct List: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "list",
            aliases: ["ls"],
            abstract: "List workflows, by project and name.",
            options: [.value("project", help: "Only the workflows of this project.")]
        )

        var project: String?

        init(project: String? = nil) {
            self.project = project
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            project = arguments.value("project")
        }

        func run(in invocation: Invocation) async throws {
            let workflows = try await invocation.client().listWorkflows(project: project)
                .sorted { ($0.project, $0.name, $0.id) < ($1.project, $1.name, $1.id) }
            let emptyMessage =
                if let project {
                    "There are no workflows in project '\(project)' yet; create one with 'courier workflow create --name NAME --project \(project)'."
                } else {
                    "There are no workflows yet; create one with 'courier workflow create --name NAME --project PROJECT'."
                }
            try invocation.printList(workflows, emptyMessage: emptyMessage, table: CourierCommand.WorkflowCommands.table(workflows))
        }
    }

    /// `courier workflow delete --name W --project P`.
    struct Delete: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "delete",
            abstract: "Delete a workflow.",
            options: [
                .value("name", help: "The workflow's name.", required: true),
                .value("project", help: "The workflow's project.", required: true),
            ]
        )

        var name: String
        var project: String

        init(name: String, project: String) {
            self.name = name
            self.project = project
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            name = try arguments.required("name")
            project = try arguments.required("project")
        }

        func run(in invocation: Invocation) async throws {
            try await invocation.client().deleteWorkflow(named: name, project: project)
            invocation.confirm("Workflow '\(project)/\(name)' deleted.")
        }
    }
}

extension APIClient {
    /// `POST /v1/workflows`.
    public func createWorkflow(_ request: CreateWorkflowRequest) async throws(CLIError) -> WorkflowDTO {
        try await post("/v1/workflows", body: request)
    }

    /// `GET /v1/workflows[?project=P]`.
    public func listWorkflows(project: String?) async throws(CLIError) -> [WorkflowDTO] {
        let query = project.map { [URLQueryItem(name: "project", value: $0)] } ?? []
        return try await get("/v1/workflows", query: query, as: WorkflowListDTO.self).workflows
    }

    /// `DELETE /v1/projects/{project}/workflows/{name}`.
    public func deleteWorkflow(named name: String, project: String) async throws(CLIError) {
        try await delete(APIClient.path("v1", "projects", project, "workflows", name))
    }
}
