import CourierWire

extension CourierCommand {
    /// `courier login`: checks a server and token with `GET /v1/whoami`, then saves them in the config file.
    struct Login: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "login",
            abstract: "Check a server address and API token, and save them for later commands.",
            discussion: """
                Uses the global --server and --token (or COURIER_SERVER and COURIER_TOKEN). Writes \
                $XDG_CONFIG_HOME/courier/config.json, else ~/.config/courier/config.json, readable only by you (mode 0600).
                """,
            usage: "--server <url> --token <token>"
        )

        init(arguments: ParsedArguments) throws(UsageError) {}

        func run(in invocation: Invocation) async throws {
            let environment = invocation.context.environment
            guard let token = invocation.globalOptions.token ?? environment.variable("COURIER_TOKEN") else {
                throw UsageError("Missing required option '--token <token>'.")
            }
            let serverAddress = invocation.globalOptions.server ?? environment.variable("COURIER_SERVER") ?? Settings.defaultServer
            let client = APIClient(server: try Settings.serverURL(serverAddress), token: token, transport: invocation.context.transport)
            let identity = try await client.whoAmI()
            try ConfigFile(server: serverAddress, token: token).save(to: environment.configFile)
            switch invocation.output {
            case .table:
                invocation.print(
                    "Logged in to \(serverAddress) as token '\(identity.token.name)' (\(identity.token.role)) "
                        + "of organization '\(identity.organization.name)'."
                )
            case .json:
                try invocation.printJSON(identity)
            }
        }
    }
}

extension APIClient {
    /// `GET /v1/whoami`: the caller's organization and token.
    public func whoAmI() async throws(CLIError) -> WhoAmIDTO {
        try await get("/v1/whoami")
    }
}
