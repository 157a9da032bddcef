import CourierCore
import CourierWire

extension CourierCommand {
    /// `courier token`: API tokens of the caller's organization.
    struct TokenCommands: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "token",
            abstract: "Manage the API tokens of your organization.",
            subcommands: [Create.self, List.self, Revoke.self]
        )

        /// NAME | ROLE | SCOPE | CREATED AT.
        static func table(_ tokens: [TokenDTO]) -> Table {
            Table(
                header: ["NAME", "ROLE", "SCOPE", "CREATED AT"],
                rows: tokens.map { [$0.name, $0.role, Formatting.scope($0.scope), Formatting.date($0.createdAt)] }
            )
        }
    }
}

extension CourierCommand.TokenCommands {
    /// `courier token create`: a new token, whose secret is shown once.
    struct Create: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "create",
            abstract: "Create an API token; prints its secret once.",
            options: [
                .value("name", help: "The token's name, unique in the organization.", required: true),
                .choice("role", of: Role.self, help: "What the token may do: owner, admin, viewer or robot.", required: true),
                .value("project", help: "With --workflow: limit the token to one workflow of this project."),
                .value("workflow", help: "With --project: the only workflow the token may act on."),
            ],
            usage: "--name <name> --role <role> [--project <project> --workflow <workflow>]"
        )

        var name: String
        var role: Role
        var scope: WorkflowScopeDTO?

        init(name: String, role: Role, scope: WorkflowScopeDTO? = nil) {
            self.name = name
            self.role = role
            self.scope = scope
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            name = try arguments.required("name")
            role = try arguments.choice("role", as: Role.self) ?? .viewer
            switch (arguments.value("project"), arguments.value("workflow")) {
            case (let project?, let workflow?):
                scope = WorkflowScopeDTO(project: project, workflow: workflow)
            case (nil, nil):
                scope = nil
            default:
                throw UsageError("Pass both '--project <project>' and '--workflow <workflow>', or neither.")
            }
        }

        func run(in invocation: Invocation) async throws {
            let request = CreateTokenRequest(name: name, role: role.rawValue, project: scope?.project, workflow: scope?.workflow)
            let issued = try await invocation.client().createToken(request)
            switch invocation.output {
            case .table:
                let token = issued.token
                invocation.print(
                    Table(
                        header: ["NAME", "ROLE", "SCOPE", "TOKEN"], rows: [[token.name, token.role, Formatting.scope(token.scope), issued.secret]])
                )
                invocation.printNote("Store the token now; it is shown only once.")
            case .json:
                try invocation.printJSON(issued)
            }
        }
    }

    /// `courier token list`.
    struct List: Command, Equatable {
        static let configuration = CommandConfiguration(name: "list", aliases: ["ls"], abstract: "List the API tokens of your organization.")

        init(arguments: ParsedArguments) throws(UsageError) {}

        func run(in invocation: Invocation) async throws {
            let tokens = try await invocation.client().listTokens().sorted { ($0.name, $0.id) < ($1.name, $1.id) }
            try invocation.printList(
                tokens, emptyMessage: "There are no tokens yet; create one with 'courier token create --name NAME --role ROLE'.",
                table: CourierCommand.TokenCommands.table(tokens))
        }
    }

    /// `courier token revoke --name N`.
    struct Revoke: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "revoke",
            abstract: "Revoke an API token; requests using it fail from now on.",
            options: [.value("name", help: "The token's name.", required: true)]
        )

        var name: String

        init(name: String) {
            self.name = name
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            name = try arguments.required("name")
        }

        func run(in invocation: Invocation) async throws {
            try await invocation.client().revokeToken(named: name)
            invocation.confirm("Token '\(name)' revoked.")
        }
    }
}

extension APIClient {
    /// `POST /v1/tokens`.
    public func createToken(_ request: CreateTokenRequest) async throws(CLIError) -> IssuedTokenDTO {
        try await post("/v1/tokens", body: request)
    }

    /// `GET /v1/tokens`.
    public func listTokens() async throws(CLIError) -> [TokenDTO] {
        try await get("/v1/tokens", as: TokenListDTO.self).tokens
    }

    /// `DELETE /v1/tokens/{name}`.
    public func revokeToken(named name: String) async throws(CLIError) {
        try await delete(APIClient.path("v1", "tokens", name))
    }
}
