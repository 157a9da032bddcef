import CourierWire
import Foundation

extension CourierCommand.IntegrationCommands {
    /// `courier integration attached`: registrations attached to workflows, which receive their attestations.
    struct Attached: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "attached",
            abstract: "Registered integrations attached to workflows.",
            subcommands: [Add.self, List.self, Delete.self, Replay.self]
        )
    }
}

extension CourierCommand.IntegrationCommands.Attached {
    /// `courier integration attached add --integration NAME --workflow W --project P [--opt key=value ...]`.
    struct Add: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "add",
            aliases: ["attach"],
            abstract: "Attach a registered integration to a workflow.",
            discussion: """
                Each --opt sets one attachment input: see them with 'courier integration available describe --name ID'.
                Values are typed by the input's type (true/false, integers, numbers); --opt key=@path reads the value
                from a file and drops one trailing newline.
                """,
            options: [
                .value("integration", valueName: "name", help: "The registered integration's name.", required: true),
                .value("workflow", help: "The workflow to attach it to.", required: true),
                .value("project", help: "The workflow's project.", required: true),
                .value("opt", valueName: "key=value", help: IntegrationOptions.optionHelp, repeatable: true),
            ]
        )

        var integration: String
        var workflow: String
        var project: String
        var options: IntegrationOptions

        init(integration: String, workflow: String, project: String, options: IntegrationOptions = IntegrationOptions()) {
            self.integration = integration
            self.workflow = workflow
            self.project = project
            self.options = options
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            integration = try arguments.required("integration")
            workflow = try arguments.required("workflow")
            project = try arguments.required("project")
            options = try IntegrationOptions(parsing: arguments.values("opt"))
        }

        func run(in invocation: Invocation) async throws {
            let client = try invocation.client()
            let registration = try await client.registeredIntegration(named: integration)
            let available = try await client.availableIntegration(id: registration.kind)
            let attachment = try await CourierCommand.IntegrationCommands.sendOptions(
                options, typedBy: available.attachment.inputs, in: invocation
            ) { object throws(CLIError) in
                try await client.attachIntegration(
                    AttachIntegrationRequest(integration: integration, project: project, workflow: workflow, options: object)
                )
            }
            switch invocation.output {
            case .json:
                try invocation.printJSON([attachment])
            case .table:
                invocation.print(CourierCommand.IntegrationCommands.attachmentTable([attachment]))
            }
        }
    }

    /// `courier integration attached list [--project P] [--workflow W]`.
    struct List: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "list",
            aliases: ["ls"],
            abstract: "List the attachments of registered integrations to workflows, by workflow.",
            options: [
                .value("project", help: "Only the attachments to workflows of this project."),
                .value("workflow", help: "Only the attachments to workflows of this name."),
            ]
        )

        var project: String?
        var workflow: String?

        init(project: String? = nil, workflow: String? = nil) {
            self.project = project
            self.workflow = workflow
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            project = arguments.value("project")
            workflow = arguments.value("workflow")
        }

        func run(in invocation: Invocation) async throws {
            let attachments = try await invocation.client().listAttachments(project: project, workflow: workflow).sorted { first, second in
                (first.workflow.project, first.workflow.name, first.integration.name, first.id)
                    < (second.workflow.project, second.workflow.name, second.integration.name, second.id)
            }
            try invocation.printList(
                attachments, emptyMessage: "There are no integrations attached.",
                table: CourierCommand.IntegrationCommands.attachmentTable(attachments))
        }
    }

    /// `courier integration attached delete --id ATTACHMENT_ID`.
    struct Delete: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "delete",
            aliases: ["detach"],
            abstract: "Detach a registered integration from a workflow.",
            options: [.value("id", help: "The attachment's id, as 'courier integration attached list' shows it.", required: true)]
        )

        var id: String

        init(id: String) {
            self.id = id
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            id = try arguments.required("id")
        }

        func run(in invocation: Invocation) async throws {
            try await invocation.client().detachIntegration(attachmentID: id)
            invocation.confirm("Integration detached.")
        }
    }

    /// `courier integration attached replay --id ID [--since RFC3339]`.
    struct Replay: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "replay",
            abstract: "Deliver the workflow's past attestations to an attached integration (backfill).",
            options: [
                .value("id", help: "The attachment's id, as 'courier integration attached list' shows it.", required: true),
                .value("since", valueName: "time", help: "Only attestations accepted at or after this RFC 3339 time, e.g. 2026-12-01T00:00:00Z."),
            ]
        )

        var id: String
        var since: Date?

        init(id: String, since: Date? = nil) {
            self.id = id
            self.since = since
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            id = try arguments.required("id")
            since = try arguments.value("since").map { text throws(UsageError) in
                guard let date = Self.rfc3339Date(text) else {
                    throw UsageError("Invalid value '\(text)' for '--since <time>'; expected an RFC 3339 time such as 2026-12-01T00:00:00Z.")
                }
                return date
            }
        }

        /// `2026-12-01T00:00:00Z`, `2026-12-01T00:00:00.5+01:00`.
        private static func rfc3339Date(_ text: String) -> Date? {
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions.insert(.withFractionalSeconds)
            return formatter.date(from: text)
        }

        func run(in invocation: Invocation) async throws {
            let replayed = try await invocation.client().replayAttachment(id: id, since: since)
            switch invocation.output {
            case .json:
                try invocation.printJSON(replayed)
            case .table:
                invocation.print(
                    replayed.created == 1 ? "Created 1 delivery." : "Created \(replayed.created) deliveries."
                )
            }
        }
    }
}
