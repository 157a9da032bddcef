import CourierWire

extension CourierCommand.IntegrationCommands {
    /// `courier integration registered`: the integrations registered (configured) in the caller's organization.
    struct Registered: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "registered",
            abstract: "Integrations registered in your organization, with their configuration.",
            subcommands: [Add.self, List.self, Describe.self, Delete.self, Test.self]
        )
    }
}

extension CourierCommand.IntegrationCommands.Registered {
    /// `courier integration registered add ID --name NAME [--description D] [--opt key=value ...]`.
    struct Add: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "add",
            abstract: "Register an available integration in your organization.",
            discussion: """
                Each --opt sets one registration input: see them with 'courier integration available describe --name ID'.
                Values are typed by the input's type (true/false, integers, numbers); --opt key=@path reads the value
                from a file and drops one trailing newline. Secrets the registration generates are printed once.
                """,
            options: [
                .value("name", help: "The registration's name, unique in the organization, e.g. sboms-to-prod.", required: true),
                .value("description", help: "What the registration is for."),
                .value("opt", valueName: "key=value", help: IntegrationOptions.optionHelp, repeatable: true),
            ],
            positionals: [PositionalSpec("integration-id", help: "The available integration to register, e.g. dependency-track.")],
            usage: "<integration-id> --name <name> [--description <description>] [--opt <key=value> ...]"
        )

        var integrationID: String
        var name: String
        var description: String?
        var options: IntegrationOptions

        init(integrationID: String, name: String, description: String? = nil, options: IntegrationOptions = IntegrationOptions()) {
            self.integrationID = integrationID
            self.name = name
            self.description = description
            self.options = options
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            guard let integrationID = arguments.positional("integration-id") else {
                throw UsageError("Missing required argument '<integration-id>'.")
            }
            self.integrationID = integrationID
            name = try arguments.required("name")
            description = arguments.value("description")
            options = try IntegrationOptions(parsing: arguments.values("opt"))
        }

        func run(in invocation: Invocation) async throws {
            let client = try invocation.client()
            let integration = try await client.availableIntegration(id: integrationID)
            let registration = try await CourierCommand.IntegrationCommands.sendOptions(
                options, typedBy: integration.registration.inputs, in: invocation
            ) { object throws(CLIError) in
                try await client.registerIntegration(
                    RegisterIntegrationRequest(kind: integrationID, name: name, description: description, options: object)
                )
            }
            switch invocation.output {
            case .json:
                try invocation.printJSON(registration)
            case .table:
                invocation.print(CourierCommand.IntegrationCommands.registrationTable([registration]))
                printRevealedSecrets(registration.revealedSecrets ?? [:], in: invocation)
            }
        }

        /// `NAME: value` lines on standard output and a note on standard error: the only time they are shown.
        private func printRevealedSecrets(_ secrets: [String: String], in invocation: Invocation) {
            guard !secrets.isEmpty else { return }
            for name in secrets.keys.sorted() {
                invocation.print("\(name): \(secrets[name] ?? "")")
            }
            if let only = secrets.keys.first, secrets.count == 1 {
                invocation.printNote("Store the \(Self.spokenName(of: only)) now; it is shown only once.")
            } else {
                invocation.printNote("Store these secrets now; they are shown only once.")
            }
        }

        /// `signing secret` for `signingSecret`.
        private static func spokenName(of key: String) -> String {
            key.reduce(into: "") { words, character in
                words += character.isUppercase ? " " + character.lowercased() : String(character)
            }
        }
    }

    /// `courier integration registered list`.
    struct List: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "list",
            aliases: ["ls"],
            abstract: "List the integrations registered in your organization, by name."
        )

        init(arguments: ParsedArguments) throws(UsageError) {}

        func run(in invocation: Invocation) async throws {
            let registrations = try await invocation.client().listRegisteredIntegrations().sorted { ($0.name, $0.id) < ($1.name, $1.id) }
            try invocation.printList(
                registrations, emptyMessage: "There are no third party integrations configured in your organization yet.",
                table: CourierCommand.IntegrationCommands.registrationTable(registrations))
        }
    }

    /// `courier integration registered describe --name NAME`.
    struct Describe: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "describe",
            abstract: "Show one registered integration and its configuration.",
            options: [.value("name", help: "The registration's name.", required: true)]
        )

        var name: String

        init(name: String) {
            self.name = name
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            name = try arguments.required("name")
        }

        func run(in invocation: Invocation) async throws {
            let registration = try await invocation.client().registeredIntegration(named: name)
            switch invocation.output {
            case .json:
                try invocation.printJSON(registration)
            case .table:
                invocation.print(CourierCommand.IntegrationCommands.registrationTable([registration]))
            }
        }
    }

    /// `courier integration registered delete --name NAME [--force]`.
    struct Delete: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "delete",
            abstract: "Delete a registered integration; it must be detached from every workflow unless --force is given.",
            options: [
                .value("name", help: "The registration's name.", required: true),
                .flag("force", help: "Detach it from every workflow first."),
            ]
        )

        var name: String
        var force: Bool

        init(name: String, force: Bool = false) {
            self.name = name
            self.force = force
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            name = try arguments.required("name")
            force = arguments.flag("force")
        }

        func run(in invocation: Invocation) async throws {
            try await invocation.client().deleteRegisteredIntegration(named: name, force: force)
            invocation.confirm("Integration '\(name)' deleted.")
        }
    }

    /// `courier integration registered test --name NAME`.
    struct Test: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "test",
            abstract: "Send a test delivery to a registered integration now and show the outcome; exits 1 if it failed.",
            options: [.value("name", help: "The registration's name.", required: true)]
        )

        var name: String

        init(name: String) {
            self.name = name
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            name = try arguments.required("name")
        }

        func run(in invocation: Invocation) async throws {
            let detail = try await invocation.client().testRegisteredIntegration(named: name)
            switch invocation.output {
            case .json:
                try invocation.printJSON(detail)
            case .table where detail.attempts.isEmpty:
                invocation.print(
                    "The test delivery \(detail.delivery.id) has not been attempted yet; "
                        + "follow it with 'courier delivery describe \(detail.delivery.id)'.")
            case .table:
                invocation.print(CourierCommand.DeliveryCommands.attemptsTable(detail.attempts))
            }
            guard let failure = Self.failure(of: detail) else { return }
            invocation.printNote("The test delivery to '\(name)' failed: \(failure)")
            throw ExitCode(1)
        }

        /// Why the test delivery failed: its last attempt was retryable or rejected, or the delivery failed; nil otherwise.
        static func failure(of detail: DeliveryDetailDTO) -> String? {
            let lastOutcome = detail.attempts.max { $0.number < $1.number }
            guard detail.delivery.state == "failed" || ["retryable", "rejected"].contains(lastOutcome?.outcome) else { return nil }
            let reason = [lastOutcome?.error, detail.delivery.reason].compactMap { $0 }.first { !$0.isEmpty }
            return reason ?? "no reason given"
        }
    }
}
