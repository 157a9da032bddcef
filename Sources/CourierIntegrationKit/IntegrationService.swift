import CourierCore
import Foundation

/// The operator's integration workflow: discover available integrations, register them per organization and attach
/// them to workflows.
///
/// Rules it enforces, in this order so that nothing is sent or stored for a request that cannot succeed:
/// the caller's role, the registration name (a DNS-1123 label not yet taken), the schema and the integration's own
/// checks (which may reach the remote service), and only then the encrypted credentials and the row, in one
/// transaction.
public struct IntegrationService: Sendable {
    let store: any Store
    let environment: ServiceEnvironment
    let catalog: IntegrationCatalog
    let sealer: any SecretSealer
    let context: IntegrationContext
    /// Credentials opened recently, by registration and sealed text: they are opened for every delivery attempt, and a
    /// sealed text always opens to the same credentials (new credentials are sealed anew, under a new nonce).
    private let openedCredentials = RecentValues<Credentials>(byteLimit: 1 << 20) { $0.byteCount }

    public init(
        store: any Store,
        environment: ServiceEnvironment,
        catalog: IntegrationCatalog,
        sealer: any SecretSealer,
        context: IntegrationContext
    ) {
        self.store = store
        self.environment = environment
        self.catalog = catalog
        self.sealer = sealer
        self.context = context
    }

    /// A registration as operators see it: its stored row and its decoded, non-secret configuration.
    public struct RegistrationView: Sendable, Hashable {
        public var registration: IntegrationRegistration
        public var configuration: JSONValue
        /// Secrets generated at registration, present only in the result of ``register(kind:name:description:options:by:)``.
        public var revealedSecrets: [String: String]
    }

    /// An attachment with the registration and workflow it links.
    public struct AttachmentView: Sendable, Hashable {
        public var attachment: IntegrationAttachment
        public var configuration: JSONValue
        public var registration: RegistrationView
        public var workflow: Workflow
    }

    // MARK: Available

    /// The integrations this server offers, sorted by id.
    public func available(by principal: Principal) throws(CourierError) -> [IntegrationDescriptor] {
        try principal.require(.read)
        return catalog.descriptors
    }

    // MARK: Registrations

    /// Registers an instance of integration `kind` under `name`.
    ///
    /// - Throws: `permission_denied`; `invalid_argument` for a bad name or options (`validation error: …`);
    ///   `not_found` for an unknown kind; `already_exists` when the name is taken; whatever the integration's
    ///   remote check reports.
    public func register(
        kind: String,
        name: String,
        description: String,
        options: JSONObject,
        by principal: Principal
    ) async throws -> RegistrationView {
        try principal.require(.manage)
        try Names.validateLabel(name, what: "integration name")
        _ = try catalog.descriptor(kind)
        let organizationID = principal.organizationID
        let taken = try await store.read { tx in try tx.registration(organizationID: organizationID, name: name) != nil }
        if taken {
            throw CourierError(.alreadyExists, "An integration named '\(name)' is already registered; choose another name or delete it first.")
        }
        let registered = try await catalog.register(kind, payload: .object(options), context: context)
        let id = environment.newID()
        let sealed = try registered.credentials.map { credentials in
            try sealer.seal(Array(try JSONEncoder().encode(credentials)), context: Self.sealingContext(registrationID: id))
        }
        let row = IntegrationRegistration(
            id: id,
            organizationID: organizationID,
            name: name,
            kind: kind,
            description: description,
            configuration: registered.configuration.serialized(),
            credentials: sealed,
            createdAt: environment.now()
        )
        try await store.write { tx in try tx.insertRegistration(row) }
        return RegistrationView(registration: row, configuration: registered.configuration, revealedSecrets: registered.revealOnce)
    }

    /// The organization's registrations, ordered by name.
    public func registrations(by principal: Principal) async throws -> [RegistrationView] {
        try principal.require(.read)
        let organizationID = principal.organizationID
        return try await store.read { tx in try tx.registrations(organizationID: organizationID) }.map(Self.view(of:))
    }

    /// One registration, by name.
    public func registration(named name: String, by principal: Principal) async throws -> RegistrationView {
        try principal.require(.read)
        return try Self.view(of: try await findRegistration(named: name, organizationID: principal.organizationID))
    }

    /// Deletes a registration and erases its credentials.
    ///
    /// - Parameter force: detach it from every workflow first; without it, a registration that is still attached
    ///   is refused with `failed_precondition` listing its attachments.
    public func deleteRegistration(named name: String, force: Bool, by principal: Principal) async throws {
        try principal.require(.manage)
        try Names.validateLabel(name, what: "integration name")
        let organizationID = principal.organizationID
        let now = environment.now()
        try await store.write { tx in
            let registration = try tx.requireRegistration(organizationID: organizationID, name: name)
            let attachments = try tx.attachments(organizationID: organizationID, workflowID: nil, registrationID: registration.id)
            if !attachments.isEmpty && !force {
                let workflows = try attachments.map { attachment in
                    let workflow = try tx.workflow(organizationID: organizationID, id: attachment.workflowID)
                    return "\(workflow.map { "\($0.projectName)/\($0.name)" } ?? attachment.workflowID) (attachment \(attachment.id))"
                }
                throw CourierError(
                    .failedPrecondition,
                    "Integration '\(name)' is still attached to \(workflows.joined(separator: ", ")); detach it first or delete with --force."
                )
            }
            for attachment in attachments {
                try tx.deleteAttachment(id: attachment.id, at: now)
            }
            try tx.deleteRegistration(id: registration.id, at: now)
        }
    }

    // MARK: Attachments

    /// Attaches registration `integration` to workflow `project/workflow`.
    ///
    /// - Throws: `not_found` for an unknown registration or workflow; `already_exists` when already attached;
    ///   `invalid_argument` (`validation error: …`) for bad options.
    public func attach(
        integration name: String,
        project: String,
        workflow workflowName: String,
        options: JSONObject,
        by principal: Principal
    ) async throws -> AttachmentView {
        try principal.require(.manage)
        try Names.validateLabel(name, what: "integration name")
        try Names.validateLabel(project, what: "project name")
        try Names.validateLabel(workflowName, what: "workflow name")
        let organizationID = principal.organizationID
        let (registration, workflow, alreadyAttached) = try await store.read { tx in
            let registration = try tx.requireRegistration(organizationID: organizationID, name: name)
            let workflow = try tx.requireWorkflow(organizationID: organizationID, project: project, name: workflowName)
            let existing = try tx.attachments(organizationID: organizationID, workflowID: workflow.id, registrationID: registration.id)
            return (registration, workflow, !existing.isEmpty)
        }
        if alreadyAttached {
            throw CourierError(.alreadyExists, "Integration '\(name)' is already attached to workflow \(project)/\(workflowName).")
        }
        let state = Registration(
            configuration: try Self.decodeConfiguration(registration.configuration), credentials: try credentials(of: registration))
        let configuration = try await catalog.attach(registration.kind, payload: .object(options), registration: state, context: context)
        let attachment = IntegrationAttachment(
            id: environment.newID(),
            organizationID: organizationID,
            registrationID: registration.id,
            workflowID: workflow.id,
            configuration: configuration.serialized(),
            createdAt: environment.now()
        )
        try await store.write { tx in try tx.insertAttachment(attachment) }
        return AttachmentView(attachment: attachment, configuration: configuration, registration: try Self.view(of: registration), workflow: workflow)
    }

    /// The organization's attachments, oldest first, optionally of one project or one workflow.
    public func attachments(project: String?, workflow workflowName: String?, by principal: Principal) async throws -> [AttachmentView] {
        try principal.require(.read)
        if workflowName != nil && project == nil {
            throw CourierError.invalid("Filtering by --workflow needs --project too.")
        }
        let organizationID = principal.organizationID
        return try await store.read { tx in
            var workflowID: String?
            if let project, let workflowName {
                let workflow = try tx.requireWorkflow(organizationID: organizationID, project: project, name: workflowName)
                workflowID = workflow.id
            }
            return try tx.attachments(organizationID: organizationID, workflowID: workflowID, registrationID: nil).compactMap { attachment in
                guard let workflow = try tx.workflow(organizationID: organizationID, id: attachment.workflowID),
                    project == nil || workflow.projectName == project,
                    let registration = try tx.registration(organizationID: organizationID, id: attachment.registrationID)
                else { return nil }
                return AttachmentView(
                    attachment: attachment,
                    configuration: try Self.decodeConfiguration(attachment.configuration),
                    registration: try Self.view(of: registration),
                    workflow: workflow
                )
            }
        }
    }

    /// Detaches an integration from a workflow.
    public func detach(attachmentID: String, by principal: Principal) async throws {
        try principal.require(.manage)
        let organizationID = principal.organizationID
        let now = environment.now()
        try await store.write { tx in
            guard try tx.attachment(organizationID: organizationID, id: attachmentID) != nil else {
                throw CourierError.notFound("No attachment with id '\(attachmentID)'; 'courier integration attached list' shows the attachments.")
            }
            try tx.deleteAttachment(id: attachmentID, at: now)
        }
    }

    // MARK: Credentials

    /// Decrypts a registration's credentials, for attaching and delivering; never returned by the API.
    public func credentials(of registration: IntegrationRegistration) throws -> Credentials? {
        guard let sealed = registration.credentials else { return nil }
        let key = registration.id + " " + sealed.keyID + " " + sealed.ciphertext
        if let opened = openedCredentials[key] { return opened }
        let plaintext = try sealer.open(sealed, context: Self.sealingContext(registrationID: registration.id))
        // Sealed credentials are a JSON object of strings (see `register`); read on every delivery attempt.
        guard let object = try JSONValue(parsing: Data(plaintext)).objectValue else {
            throw CourierError.internal(CredentialsFormatError())
        }
        var fields: [String: String] = [:]
        for (name, value) in object {
            guard let text = value.stringValue else { throw CourierError.internal(CredentialsFormatError()) }
            fields[name] = text
        }
        let credentials = Credentials(fields)
        openedCredentials.insert(credentials, for: key)
        return credentials
    }

    /// The associated data binding sealed credentials to their registration.
    public static func sealingContext(registrationID: String) -> String { "integration-registration:\(registrationID)" }

    // MARK: Helpers

    private func findRegistration(named name: String, organizationID: String) async throws -> IntegrationRegistration {
        try Names.validateLabel(name, what: "integration name")
        return try await store.read { tx in try tx.requireRegistration(organizationID: organizationID, name: name) }
    }

    static func view(of registration: IntegrationRegistration) throws -> RegistrationView {
        RegistrationView(registration: registration, configuration: try decodeConfiguration(registration.configuration), revealedSecrets: [:])
    }

    static func decodeConfiguration(_ text: String) throws -> JSONValue {
        do {
            return try JSONValue(parsing: Data(text.utf8))
        } catch {
            throw CourierError.internal(StoredConfigurationUnreadable())
        }
    }
}

/// A stored configuration is not valid JSON.
struct StoredConfigurationUnreadable: Error, Sendable, CustomStringConvertible {
    var description: String { "A stored integration configuration is not valid JSON." }
}

/// Opened credentials that are not a JSON object of strings.
struct CredentialsFormatError: Error, CustomStringConvertible {
    var description: String { "The opened credentials are not a JSON object of strings." }
}
