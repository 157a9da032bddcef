import CourierWire
import Foundation

extension CourierCommand {
    /// `courier delivery`: attestations going to attached integrations, with every attempt.
    struct DeliveryCommands: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "delivery",
            abstract: "Follow the deliveries of attestations to integrations, and retry failed ones.",
            subcommands: [List.self, Describe.self, Retry.self]
        )

        /// The states a delivery can be in, for `--state`.
        enum State: String, CaseIterable {
            case pending, retrying, delivered, failed, skipped
        }

        /// ID | STATE | INTEGRATION | WORKFLOW | ATTEMPTS | REASON | UPDATED AT, in the given order.
        static func table(_ deliveries: [DeliveryDTO], title: String? = nil) -> Table {
            Table(
                title: title,
                header: ["ID", "STATE", "INTEGRATION", "WORKFLOW", "ATTEMPTS", "REASON", "UPDATED AT"],
                rows: deliveries.map { delivery in
                    [
                        delivery.id, delivery.state, delivery.integration, delivery.workflow, String(delivery.attempts), delivery.reason,
                        Formatting.date(delivery.updatedAt),
                    ]
                }
            )
        }

        /// `Attempts`: # | STARTED AT | DURATION | OUTCOME | STATUS | ERROR.
        static func attemptsTable(_ attempts: [DeliveryAttemptDTO]) -> Table {
            Table(
                title: "Attempts",
                header: ["#", "STARTED AT", "DURATION", "OUTCOME", "STATUS", "ERROR"],
                rows: attempts.map { attempt in
                    [
                        String(attempt.number), Formatting.date(attempt.startedAt), duration(milliseconds: attempt.durationMs), attempt.outcome,
                        attempt.httpStatus.map(String.init) ?? "", attempt.error,
                    ]
                }
            )
        }

        /// `Parts`: PART | OUTCOME | REFERENCE.
        static func partsTable(_ parts: [DeliveryPartDTO]) -> Table {
            Table(title: "Parts", header: ["PART", "OUTCOME", "REFERENCE"], rows: parts.map { [$0.id, $0.outcome, $0.reference ?? ""] })
        }

        /// `850 ms` under a second, `2.4 s` under a minute, `3 min 5 s` beyond.
        static func duration(milliseconds: Int64) -> String {
            if milliseconds < 1000 { return "\(milliseconds) ms" }
            if milliseconds < 60_000 {
                let tenths = (milliseconds + 50) / 100
                return "\(tenths / 10).\(tenths % 10) s"
            }
            let seconds = (milliseconds + 500) / 1000
            return "\(seconds / 60) min \(seconds % 60) s"
        }
    }
}

extension CourierCommand.DeliveryCommands {
    /// `courier delivery list [--state S] [--integration NAME] [--project P] [--workflow W] [--limit N]`.
    struct List: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "list",
            aliases: ["ls"],
            abstract: "List deliveries, most recently updated first.",
            options: [
                .choice("state", of: State.self, help: "Only the deliveries in this state."),
                .value("integration", valueName: "name", help: "Only the deliveries to this registered integration."),
                .value("project", help: "Only the deliveries of attestations of workflows of this project."),
                .value("workflow", help: "Only the deliveries of attestations of workflows of this name."),
                .value("limit", valueName: "n", help: "At most this many deliveries."),
            ]
        )

        var filter: DeliveryFilter

        init(filter: DeliveryFilter = DeliveryFilter()) {
            self.filter = filter
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            filter = DeliveryFilter(
                state: try arguments.choice("state", as: State.self)?.rawValue,
                integration: arguments.value("integration"),
                project: arguments.value("project"),
                workflow: arguments.value("workflow"),
                limit: try arguments.positiveInteger("limit")
            )
        }

        func run(in invocation: Invocation) async throws {
            let deliveries = try await invocation.client().listDeliveries(filter)
            try invocation.printList(
                deliveries, emptyMessage: filter == DeliveryFilter() ? "There are no deliveries yet." : "No delivery matches these filters.",
                table: CourierCommand.DeliveryCommands.table(deliveries))
        }
    }

    /// `courier delivery describe ID`.
    struct Describe: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "describe",
            abstract: "Show a delivery with every attempt (time, duration, outcome, status, error) and its parts.",
            positionals: [PositionalSpec("id", help: "The delivery's id, as 'courier delivery list' shows it.")]
        )

        var id: String

        init(id: String) {
            self.id = id
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            guard let id = arguments.positional("id") else {
                throw UsageError("Missing required argument '<id>'.")
            }
            self.id = id
        }

        func run(in invocation: Invocation) async throws {
            let detail = try await invocation.client().delivery(id: id)
            switch invocation.output {
            case .json:
                try invocation.printJSON(detail)
            case .table:
                Self.print(detail, in: invocation)
            }
        }

        /// The `Delivery` summary, the `Attempts` table (or a sentence when there is none yet) and the `Parts` table if any.
        static func print(_ detail: DeliveryDetailDTO, in invocation: Invocation) {
            invocation.print(summaryTable(detail.delivery))
            if detail.attempts.isEmpty {
                invocation.print("No attempt has been made yet.")
            } else {
                invocation.print(CourierCommand.DeliveryCommands.attemptsTable(detail.attempts))
            }
            if !detail.parts.isEmpty {
                invocation.print(CourierCommand.DeliveryCommands.partsTable(detail.parts))
            }
        }

        /// `Delivery`: one row per property.
        static func summaryTable(_ delivery: DeliveryDTO) -> Table {
            var rows = [
                ["ID", delivery.id],
                ["State", delivery.state],
                ["Kind", delivery.kind],
                ["Integration", "\(delivery.integration) (\(delivery.integrationKind))"],
            ]
            if !delivery.workflow.isEmpty {
                rows.append(["Workflow", delivery.workflow])
            }
            if !delivery.attestationDigest.isEmpty {
                rows.append(["Attestation", delivery.attestationDigest])
            }
            rows.append(["Attempts", String(delivery.attempts)])
            if let nextAttemptAt = delivery.nextAttemptAt {
                rows.append(["Next attempt at", Formatting.date(nextAttemptAt)])
            }
            rows += [
                ["Reason", delivery.reason],
                ["Created at", Formatting.date(delivery.createdAt)],
                ["Updated at", Formatting.date(delivery.updatedAt)],
            ]
            return Table(title: "Delivery", rows: rows)
        }
    }

    /// `courier delivery retry ID | --all-failed`.
    struct Retry: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "retry",
            abstract: "Make a delivery, or every failed delivery, due again now.",
            options: [.flag("all-failed", help: "Retry every failed delivery of the organization.")],
            positionals: [PositionalSpec("id", help: "The delivery to retry.", required: false)],
            usage: "(<id> | --all-failed)"
        )

        /// Which deliveries to retry.
        enum Target: Sendable, Equatable {
            case delivery(id: String)
            case allFailed
        }

        var target: Target

        init(target: Target) {
            self.target = target
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            switch (arguments.positional("id"), arguments.flag("all-failed")) {
            case (.some(let id), false):
                target = .delivery(id: id)
            case (nil, true):
                target = .allFailed
            case (.some, true):
                throw UsageError("Pass '<id>' or '--all-failed', not both.")
            case (nil, false):
                throw UsageError("Missing required argument '<id>' or option '--all-failed'.")
            }
        }

        func run(in invocation: Invocation) async throws {
            let client = try invocation.client()
            switch target {
            case .delivery(let id):
                let delivery = try await client.retryDelivery(id: id)
                switch invocation.output {
                case .json:
                    try invocation.printJSON(delivery)
                case .table:
                    invocation.print(CourierCommand.DeliveryCommands.table([delivery]))
                }
            case .allFailed:
                let retried = try await client.retryFailedDeliveries()
                switch invocation.output {
                case .json:
                    try invocation.printJSON(retried)
                case .table where retried.retried == 0:
                    invocation.print("There were no failed deliveries to retry.")
                case .table:
                    invocation.print(
                        retried.retried == 1 ? "1 failed delivery will be retried." : "\(retried.retried) failed deliveries will be retried.")
                }
            }
        }
    }
}

/// The filters of `GET /v1/deliveries`; nil means any.
public struct DeliveryFilter: Sendable, Equatable {
    public var state: String?
    /// The registered integration's name.
    public var integration: String?
    public var project: String?
    public var workflow: String?
    public var limit: Int?

    public init(state: String? = nil, integration: String? = nil, project: String? = nil, workflow: String? = nil, limit: Int? = nil) {
        self.state = state
        self.integration = integration
        self.project = project
        self.workflow = workflow
        self.limit = limit
    }

    /// The query items of the filters that are set.
    var queryItems: [URLQueryItem] {
        [("state", state), ("integration", integration), ("project", project), ("workflow", workflow), ("limit", limit.map(String.init))]
            .compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
    }
}

extension APIClient {
    /// `GET /v1/deliveries[?state=&integration=&project=&workflow=&limit=]`.
    public func listDeliveries(_ filter: DeliveryFilter) async throws(CLIError) -> [DeliveryDTO] {
        try await get("/v1/deliveries", query: filter.queryItems, as: DeliveryListDTO.self).deliveries
    }

    /// `GET /v1/deliveries/{id}`.
    public func delivery(id: String) async throws(CLIError) -> DeliveryDetailDTO {
        try await get(APIClient.path("v1", "deliveries", id))
    }

    /// `POST /v1/deliveries/{id}/retry`.
    public func retryDelivery(id: String) async throws(CLIError) -> DeliveryDTO {
        try await post(APIClient.path("v1", "deliveries", id, "retry"))
    }

    /// `POST /v1/deliveries/retry-failed`.
    public func retryFailedDeliveries() async throws(CLIError) -> RetriedDTO {
        try await post("/v1/deliveries/retry-failed")
    }
}
