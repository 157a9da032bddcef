import CourierWire
import Foundation

extension CourierCommand {
    /// `courier attestation`: push attestations of workflow runs and look at the accepted ones.
    struct AttestationCommands: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "attestation",
            abstract: "Push attestations of workflow runs, with their materials, and see the ones accepted.",
            subcommands: [Push.self, List.self, Describe.self]
        )

        /// DIGEST | WORKFLOW | MATERIALS | VERIFIED BY | CREATED AT; MATERIALS counts them.
        static func table(_ attestations: [AttestationDTO]) -> Table {
            Table(
                header: ["DIGEST", "WORKFLOW", "MATERIALS", "VERIFIED BY", "CREATED AT"],
                rows: attestations.map { attestation in
                    [
                        attestation.digest, workflow(of: attestation), String(attestation.materials.count), attestation.verifiedBy ?? "",
                        Formatting.date(attestation.createdAt),
                    ]
                }
            )
        }

        /// `project/workflow`.
        static func workflow(of attestation: AttestationDTO) -> String {
            "\(attestation.project)/\(attestation.workflow)"
        }
    }
}

extension CourierCommand.AttestationCommands {
    /// `courier attestation list [--project P] [--workflow W] [--limit N]`.
    struct List: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "list",
            aliases: ["ls"],
            abstract: "List accepted attestations, newest first.",
            options: [
                .value("project", help: "Only the attestations of workflows of this project."),
                .value("workflow", help: "Only the attestations of workflows of this name."),
                .value("limit", valueName: "n", help: "At most this many attestations."),
            ]
        )

        var project: String?
        var workflow: String?
        var limit: Int?

        init(project: String? = nil, workflow: String? = nil, limit: Int? = nil) {
            self.project = project
            self.workflow = workflow
            self.limit = limit
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            project = arguments.value("project")
            workflow = arguments.value("workflow")
            limit = try arguments.positiveInteger("limit")
        }

        func run(in invocation: Invocation) async throws {
            let attestations = try await invocation.client().listAttestations(project: project, workflow: workflow, limit: limit)
            try invocation.printList(
                attestations, emptyMessage: "There are no attestations yet; push one with 'courier attestation push'.",
                table: CourierCommand.AttestationCommands.table(attestations))
        }
    }

    /// `courier attestation describe DIGEST`.
    struct Describe: Command, Equatable {
        static let configuration = CommandConfiguration(
            name: "describe",
            abstract: "Show an attestation: its run, its materials and its deliveries.",
            positionals: [PositionalSpec("digest", help: "The attestation's digest, sha256:<hex>, as 'courier attestation list' shows it.")]
        )

        var digest: String

        init(digest: String) {
            self.digest = digest
        }

        init(arguments: ParsedArguments) throws(UsageError) {
            guard let digest = arguments.positional("digest") else {
                throw UsageError("Missing required argument '<digest>'.")
            }
            self.digest = digest
        }

        func run(in invocation: Invocation) async throws {
            let detail = try await invocation.client().attestation(digest: digest)
            switch invocation.output {
            case .json:
                try invocation.printJSON(detail)
            case .table:
                invocation.print(Self.summaryTable(detail.attestation))
                if detail.attestation.materials.isEmpty {
                    invocation.print("The attestation has no materials.")
                } else {
                    invocation.print(Self.materialsTable(detail.attestation.materials))
                }
                if detail.deliveries.isEmpty {
                    invocation.print("No deliveries were made for this attestation; no integration was attached to its workflow.")
                } else {
                    invocation.print(CourierCommand.DeliveryCommands.table(detail.deliveries, title: "Deliveries"))
                }
            }
        }

        /// `Attestation`: one row per property.
        static func summaryTable(_ attestation: AttestationDTO) -> Table {
            let annotations = attestation.annotations.keys.sorted().map { "\($0): \(attestation.annotations[$0] ?? "")" }
            let runner = [attestation.runnerType, attestation.runURL].filter { !$0.isEmpty }.joined(separator: "\n")
            return Table(
                title: "Attestation",
                rows: [
                    ["Digest", attestation.digest],
                    ["Workflow", CourierCommand.AttestationCommands.workflow(of: attestation)],
                    ["Run ID", attestation.id],
                    ["Runner", runner],
                    ["Verified by", attestation.verifiedBy ?? "not verified (the organization has no keys)"],
                    ["Annotations", annotations.joined(separator: "\n")],
                    ["Created at", Formatting.date(attestation.createdAt)],
                ]
            )
        }

        /// `Materials`: NAME | TYPE | DIGEST | CAS, in the attestation's order.
        static func materialsTable(_ materials: [MaterialDTO]) -> Table {
            Table(
                title: "Materials",
                header: ["NAME", "TYPE", "DIGEST", "CAS"],
                rows: materials.map { material in
                    let storage = material.uploadedToCAS ? "Yes" : material.embeddedInline ? "Inline" : "No"
                    return [material.name, material.type, material.digest ?? "", storage]
                }
            )
        }
    }
}

extension ParsedArguments {
    /// The value of an integer option that must be at least 1, or nil when it is absent.
    func positiveInteger(_ name: String) throws(UsageError) -> Int? {
        guard let number = try integer(name) else { return nil }
        guard number > 0 else {
            throw UsageError("Invalid value '\(number)' for '--\(name) <n>'; expected a positive integer.")
        }
        return number
    }
}

extension APIClient {
    /// `GET /v1/attestations[?project=P&workflow=W&limit=N]`.
    public func listAttestations(project: String?, workflow: String?, limit: Int?) async throws(CLIError) -> [AttestationDTO] {
        let query = [("project", project), ("workflow", workflow), ("limit", limit.map(String.init))].compactMap { name, value in
            value.map { URLQueryItem(name: name, value: $0) }
        }
        return try await get("/v1/attestations", query: query, as: AttestationListDTO.self).attestations
    }

    /// `GET /v1/attestations/{digest}`.
    public func attestation(digest: String) async throws(CLIError) -> AttestationDetailDTO {
        try await get(APIClient.path("v1", "attestations", digest))
    }

    /// `POST /v1/attestations?project=P&workflow=W` with `document`, a DSSE envelope or Sigstore bundle, sent unchanged.
    public func pushAttestation(_ document: Data, project: String, workflow: String) async throws(CLIError) -> PushedAttestationDTO {
        let query = [URLQueryItem(name: "project", value: project), URLQueryItem(name: "workflow", value: workflow)]
        return try await post("/v1/attestations", query: query, json: document)
    }

    /// `HEAD /v1/cas/{digest}`: whether the organization's CAS already has the content.
    public func casContains(digest: String) async throws(CLIError) -> Bool {
        try await exists(APIClient.path("v1", "cas", digest))
    }

    /// `PUT /v1/cas/{digest}` with the bytes of `file`, streamed from disk.
    public func uploadToCAS(file: URL, digest: String) async throws(CLIError) {
        let _: ContentDTO = try await put(APIClient.path("v1", "cas", digest), file: file)
    }
}
