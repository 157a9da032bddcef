import CourierWire

extension CourierCommand {
    /// `courier org`: organizations.
    struct OrgCommands: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "org",
            abstract: "Manage organizations.",
            subcommands: [Create.self]
        )
    }
}

extension CourierCommand.OrgCommands {
    /// `courier org create NAME`: a new organization and its first owner token, shown once.
    struct Create: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "create",
            abstract: "Create an organization; prints its owner token once.",
            positionals: [PositionalSpec("name", help: "The organization's name.")]
        )

        var name: String

        init(name: String) {
            self.name = name
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            name = arguments.positional("name") ?? ""
        }

        func run(in invocation: Invocation) async throws {
            let created = try await invocation.client(requiringToken: false).createOrganization(CreateOrganizationRequest(name: name))
            switch invocation.output {
            case .table:
                invocation.print(Table(header: ["ORGANIZATION", "OWNER TOKEN"], rows: [[created.organization.name, created.owner.secret]]))
                invocation.printNote("Store the owner token now; it is shown only once.")
            case .json:
                try invocation.printJSON(created)
            }
        }
    }
}

extension APIClient {
    /// `POST /v1/organizations`.
    public func createOrganization(_ request: CreateOrganizationRequest) async throws(CLIError) -> CreatedOrganizationDTO {
        try await post("/v1/organizations", body: request)
    }
}
