import CourierWire

extension CourierCommand.IntegrationCommands {
    /// `courier integration available`: the integrations compiled into the server.
    struct Available: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "available",
            abstract: "Integrations the server can deliver to, and the inputs they take.",
            subcommands: [List.self, Describe.self]
        )

        /// ID | VERSION | MATERIAL REQUIREMENT | DESCRIPTION, a separator after every row.
        static func table(_ integrations: [AvailableIntegrationDTO]) -> Table {
            var table = Table(header: ["ID", "VERSION", "MATERIAL REQUIREMENT", "DESCRIPTION"])
            for integration in integrations {
                table.addRow(
                    [integration.name, integration.version, integration.subscribedInputs.joined(separator: ", "), integration.description],
                    separatorAfter: true
                )
            }
            return table
        }
    }
}

extension CourierCommand.IntegrationCommands.Available {
    /// `courier integration available list`.
    struct List: Command, Equatable {
        static let configuration = CommandConfiguration(name: "list", aliases: ["ls"], abstract: "List the available integrations.")

        init(arguments: ParsedArguments) throws(UsageError) {}

        func run(in invocation: Invocation) async throws {
            let integrations = try await invocation.client().listAvailableIntegrations()
            try invocation.printList(
                integrations, emptyMessage: "There are no integrations available.",
                table: CourierCommand.IntegrationCommands.Available.table(integrations))
        }
    }

    /// `courier integration available describe --name ID` (or `--id ID`).
    struct Describe: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "describe",
            abstract: "Show an available integration and the inputs its registration and attachments take.",
            options: [
                .value("name", valueName: "id", help: "The integration's id, e.g. dependency-track."),
                .value("id", help: "Same as --name."),
            ],
            usage: "(--name <id> | --id <id>)"
        )

        /// The integration's id.
        var id: String

        init(id: String) {
            self.id = id
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            switch (arguments.value("name"), arguments.value("id")) {
            case (let name?, nil):
                id = name
            case (nil, let id?):
                self.id = id
            case (nil, nil):
                throw UsageError("Missing required option '--name <id>'.")
            case (.some, .some):
                throw UsageError("Pass '--name <id>' or '--id <id>', not both.")
            }
        }

        func run(in invocation: Invocation) async throws {
            let integration = try await invocation.client().availableIntegration(id: id)
            switch invocation.output {
            case .json:
                try invocation.printJSON([integration])
            case .table:
                invocation.print(CourierCommand.IntegrationCommands.Available.table([integration]))
                let inputs = [("Registration inputs", integration.registration.inputs), ("Attachment inputs", integration.attachment.inputs)]
                for (title, fields) in inputs where !fields.isEmpty {
                    invocation.print(CourierCommand.IntegrationCommands.inputsTable(title: title, fields))
                }
            }
        }
    }
}
