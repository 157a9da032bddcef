import CourierIntegrationKit
import CourierWire
import Foundation

extension CourierCommand {
    /// `courier integration`: the integrations compiled into the server, their registrations in the caller's
    /// organization, and the attachments of registrations to workflows.
    struct IntegrationCommands: CommandGroup {
        static let configuration = CommandConfiguration(
            name: "integration",
            abstract: "Third party integrations: see what is available, register it, attach it to workflows.",
            subcommands: [Available.self, Registered.self, Attached.self]
        )

        /// `Registration inputs`, `Attachment inputs` or `Available options`: FIELD | TYPE | REQUIRED | DESCRIPTION,
        /// one row per field, sorted by field.
        static func inputsTable(title: String, _ fields: [InputFieldDTO]) -> Table {
            Table(
                title: title,
                header: ["FIELD", "TYPE", "REQUIRED", "DESCRIPTION"],
                rows: fields.sorted { $0.name < $1.name }.map { field in
                    let type = field.format.map { "\(field.type) (\($0))" } ?? field.type
                    let required = field.required ? "Yes" : field.default.map { "No (default: \($0))" } ?? "No"
                    return [field.name, type, required, field.description]
                }
            )
        }

        /// NAME | DESCRIPTION | KIND | CONFIG | CREATED AT, a separator after every row.
        static func registrationTable(_ registrations: [RegisteredIntegrationDTO]) -> Table {
            var table = Table(header: ["NAME", "DESCRIPTION", "KIND", "CONFIG", "CREATED AT"])
            for registration in registrations {
                let config = configLines(registration.config.objectValue ?? JSONObject())
                table.addRow(
                    [registration.name, registration.description, registration.kind, config, Formatting.date(registration.createdAt)],
                    separatorAfter: true
                )
            }
            return table
        }

        /// ID | KIND | CONFIG | WORKFLOW | ATTACHED AT, a separator after every row. CONFIG merges the registration's
        /// configuration with the attachment's (the attachment's value wins), leaving out empty strings.
        static func attachmentTable(_ attachments: [AttachmentDTO]) -> Table {
            var table = Table(header: ["ID", "KIND", "CONFIG", "WORKFLOW", "ATTACHED AT"])
            for attachment in attachments {
                var config = attachment.integration.config.objectValue ?? JSONObject()
                for (key, value) in attachment.config.objectValue ?? JSONObject() {
                    config[key] = value
                }
                let shown = JSONObject(config.filter { $0.value != .string("") }.map { ($0.key, $0.value) })
                let workflow = "\(attachment.workflow.project)/\(attachment.workflow.name)"
                table.addRow(
                    [attachment.id, attachment.integration.kind, configLines(shown), workflow, Formatting.date(attachment.createdAt)],
                    separatorAfter: true
                )
            }
            return table
        }

        /// `key: value` lines of a configuration, in its key order; strings as they are, other values as compact JSON.
        static func configLines(_ config: JSONObject) -> String {
            config.map { key, value in "\(key): \(value.stringValue ?? value.serialized())" }.joined(separator: "\n")
        }

        /// Types `options` by `fields` and sends them with `send`. When a value does not fit its field's type, or
        /// the server rejects the options (`invalid_argument`), prints the `Available options` table to standard
        /// error before failing, so the user sees what the integration takes.
        static func sendOptions<Response>(
            _ options: IntegrationOptions,
            typedBy fields: [InputFieldDTO],
            in invocation: Invocation,
            _ send: (JSONObject) async throws(CLIError) -> Response
        ) async throws(CLIError) -> Response {
            let object: JSONObject
            do {
                object = try options.jsonObject(typedBy: fields)
            } catch {
                switch error {
                case .unreadableFile(let message):
                    throw CLIError(message)
                case .invalidValue(let message):
                    printAvailableOptions(fields, in: invocation)
                    throw CLIError(message)
                }
            }
            do {
                return try await send(object)
            } catch let error where error.serverCode == "invalid_argument" {
                printAvailableOptions(fields, in: invocation)
                throw error
            }
        }

        private static func printAvailableOptions(_ fields: [InputFieldDTO], in invocation: Invocation) {
            if fields.isEmpty {
                invocation.printNote("This integration takes no options.")
            } else {
                invocation.printNote(inputsTable(title: "Available options", fields))
            }
        }
    }
}

extension APIClient {
    /// `GET /v1/integrations/available`.
    public func listAvailableIntegrations() async throws(CLIError) -> [AvailableIntegrationDTO] {
        try await get("/v1/integrations/available", as: AvailableIntegrationListDTO.self).integrations
    }

    /// The available integration `id` (e.g. `dependency-track`), picked from ``listAvailableIntegrations()``.
    public func availableIntegration(id: String) async throws(CLIError) -> AvailableIntegrationDTO {
        guard let integration = try await listAvailableIntegrations().first(where: { $0.name == id }) else {
            throw CLIError("integration \(goQuoted(id)) not found")
        }
        return integration
    }

    /// `POST /v1/integrations/registered`.
    public func registerIntegration(_ request: RegisterIntegrationRequest) async throws(CLIError) -> RegisteredIntegrationDTO {
        try await post("/v1/integrations/registered", body: request)
    }

    /// `GET /v1/integrations/registered`.
    public func listRegisteredIntegrations() async throws(CLIError) -> [RegisteredIntegrationDTO] {
        try await get("/v1/integrations/registered", as: RegisteredIntegrationListDTO.self).registrations
    }

    /// `GET /v1/integrations/registered/{name}`.
    public func registeredIntegration(named name: String) async throws(CLIError) -> RegisteredIntegrationDTO {
        try await get(APIClient.path("v1", "integrations", "registered", name))
    }

    /// `DELETE /v1/integrations/registered/{name}[?force=true]`; with `force`, the server detaches it first.
    public func deleteRegisteredIntegration(named name: String, force: Bool) async throws(CLIError) {
        let query = force ? [URLQueryItem(name: "force", value: "true")] : []
        try await delete(APIClient.path("v1", "integrations", "registered", name), query: query)
    }

    /// `POST /v1/integrations/attached`.
    public func attachIntegration(_ request: AttachIntegrationRequest) async throws(CLIError) -> AttachmentDTO {
        try await post("/v1/integrations/attached", body: request)
    }

    /// `GET /v1/integrations/attached[?project=P&workflow=W]`.
    public func listAttachments(project: String?, workflow: String?) async throws(CLIError) -> [AttachmentDTO] {
        let query = [("project", project), ("workflow", workflow)].compactMap { name, value in
            value.map { URLQueryItem(name: name, value: $0) }
        }
        return try await get("/v1/integrations/attached", query: query, as: AttachmentListDTO.self).attachments
    }

    /// `POST /v1/integrations/registered/{name}/test`: creates a test delivery and answers after its first attempt.
    public func testRegisteredIntegration(named name: String) async throws(CLIError) -> DeliveryDetailDTO {
        try await post(APIClient.path("v1", "integrations", "registered", name, "test"))
    }

    /// `POST /v1/integrations/attached/{id}/replay`: delivers past attestations of the workflow, those since `since` when given.
    public func replayAttachment(id: String, since: Date?) async throws(CLIError) -> ReplayedDTO {
        try await post(APIClient.path("v1", "integrations", "attached", id, "replay"), body: ReplayRequest(since: since))
    }

    /// `DELETE /v1/integrations/attached/{id}`.
    public func detachIntegration(attachmentID id: String) async throws(CLIError) {
        try await delete(APIClient.path("v1", "integrations", "attached", id))
    }
}
