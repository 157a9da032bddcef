import CourierCore
import CourierIntegrationKit
import Foundation

/// Sends CycloneDX SBOMs to a Dependency-Track instance (upstream `dependency-track` v1.7).
///
/// - **register** checks the API key's team permissions with `GET /api/v1/team/self` (`BOM_UPLOAD`,
///   `VIEW_PORTFOLIO`, and `PROJECT_CREATION_UPLOAD` when `allowAutoCreate`); stores
///   `{"domain": <instanceURI>, "allowAutoCreate": <bool>}` and the key as the credentials' password.
/// - **attach** checks the project ID, templated name, parent and filter with upstream's messages, then the
///   permissions and the project (or parent) with `GET /api/v1/project/<uuid>`.
/// - **execute** uploads each CycloneDX SBOM with its own multipart `POST /api/v1/bom`, as its own part
///   (`sbom:<material name>`), so a retry never re-uploads an SBOM that was accepted; the processing token is the
///   part's reference. 408, 425, 429, 5xx and transport failures are retryable (honouring `Retry-After`), other
///   failures rejected; the API key never appears in reasons.
public struct DependencyTrackIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "dependency-track",
        version: "1.7",
        description: "Send CycloneDX SBOMs to your Dependency-Track instance",
        subscribedMaterials: [.sbomCycloneDXJSON],
        registration: RegistrationInput.self,
        attachment: AttachmentInput.self
    )

    /// How long one request may take when the context does not say.
    public static let defaultRequestTimeout: Duration = .seconds(30)

    /// Creates the integration.
    public init() {}

    /// The Dependency-Track instance and how to authenticate.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The instance URL; a base path such as `/dtrack` is kept.
        public var instanceURI: String
        /// The API key, sent as `X-Api-Key`.
        public var apiKey: String
        /// Whether attachments may create projects on demand.
        public var allowAutoCreate: Bool?

        /// Creates the input.
        public init(instanceURI: String, apiKey: String, allowAutoCreate: Bool? = nil) {
            self.instanceURI = instanceURI
            self.apiKey = apiKey
            self.allowAutoCreate = allowAutoCreate
        }

        public static let inputSchema = InputSchema(properties: [
            .string("instanceURI", format: .uri, required: true, description: "The URL of the Dependency-Track instance"),
            .string("apiKey", format: .password, required: true, description: "The API key to use for authentication"),
            .boolean("allowAutoCreate", description: "Support of creating projects on demand"),
        ])
    }

    /// Which project receives a workflow's SBOMs: an existing one by ID, or one created by (templated) name.
    public struct AttachmentInput: IntegrationInput, Hashable {
        /// The existing project's UUID.
        public var projectID: String?
        /// The project to create; may reference `{{.Material.Annotations.x}}` and `{{.Attestation.Annotations.x}}`.
        public var projectName: String?
        /// The parent of a created project.
        public var parentID: String?
        /// Comma-separated `key=value` annotation filters.
        public var filter: String?

        /// Creates the input.
        public init(projectID: String? = nil, projectName: String? = nil, parentID: String? = nil, filter: String? = nil) {
            self.projectID = projectID
            self.projectName = projectName
            self.parentID = parentID
            self.filter = filter
        }

        public static let inputSchema = InputSchema(
            properties: [
                .string("projectID", minLength: 1, description: "The ID of the existing project to send the SBOMs to"),
                .string("projectName", minLength: 1, description: "The name of the project to create and send the SBOMs to"),
                .string("parentID", minLength: 1, description: "ID of parent project to create a new project under"),
                .string(
                    "filter", minLength: 1,
                    description: "Comma-separated annotation filters where material annotations take precedence over attestation when keys match"
                ),
            ],
            oneOf: [.requiring("projectID"), .requiring("projectName")],
            dependentRequired: [DependentRequirement("parentID", requires: ["projectName"])]
        )
    }

    /// Checks the key's permissions on the instance.
    ///
    /// - Throws: ``IntegrationValidationError`` with upstream's messages: `apiKey required`, `permission: <NAME>`,
    ///   `bad status: <status>`.
    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        let allowAutoCreate = input.allowAutoCreate ?? false
        do {
            let client = try DependencyTrackClient(instanceURI: input.instanceURI, apiKey: input.apiKey, context: context)
            try await client.checkPermissions(autoCreate: allowAutoCreate)
        } catch {
            throw IntegrationValidationError(error.message)
        }
        return Registration(
            configuration: ["domain": .string(input.instanceURI), "allowAutoCreate": .bool(allowAutoCreate)],
            credentials: Credentials(password: input.apiKey)
        )
    }

    /// Validates the attachment against the registration and the live instance; stores
    /// `{"projectId", "projectName", "parentId", "filter"}` (the keys present).
    ///
    /// - Throws: ``IntegrationValidationError`` with upstream's messages, e.g. `auto creation of projects is not
    ///   supported in this integration`, `project name must be provided to work with parent id`,
    ///   `invalid filter: invalid filter segment 'x' - must be 'key=value'`, `project with ID "<id>" not found`.
    public func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        let configuration = try StoredRegistration(registration)
        let attachment = StoredAttachment(input)
        let client: DependencyTrackClient
        do {
            try attachment.validate(allowAutoCreate: configuration.allowAutoCreate)
            client = try DependencyTrackClient(instanceURI: configuration.domain, apiKey: configuration.apiKey, context: context)
            try await attachment.checkLive(with: client)
        } catch let error as IntegrationValidationError {
            throw error
        } catch let error as DependencyTrackFailure {
            throw IntegrationValidationError(error.message)
        }
        return attachment.json
    }

    /// Uploads each CycloneDX SBOM not yet delivered; one part per SBOM.
    public func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        let sboms = request.materials.filter { $0.type == .sbomCycloneDXJSON }
        guard !sboms.isEmpty else { return .skipped(reason: "the attestation has no CycloneDX SBOM") }
        let client: DependencyTrackClient
        let attachment: StoredAttachment
        let filter: AnnotationFilter?
        let template: ProjectNameTemplate?
        do {
            let configuration = try StoredRegistration(request.registration)
            attachment = try StoredAttachment(request.attachmentConfiguration)
            try attachment.validate(allowAutoCreate: configuration.allowAutoCreate)
            filter = try attachment.filter.map { text throws in try AnnotationFilter(parsing: text) }
            template = try attachment.projectName.map { text throws in try ProjectNameTemplate(parsing: text) }
            client = try DependencyTrackClient(instanceURI: configuration.domain, apiKey: configuration.apiKey, context: context)
        } catch {
            return .rejected(reason: "invalid configuration: \(error)")
        }

        var liveCheck: DependencyTrackFailure?? = nil
        var outcomes: [PartOutcome] = []
        for sbom in sboms {
            let partID = Self.partID(for: sbom)
            if let token = request.progress.deliveredParts[partID] {
                outcomes.append(PartOutcome(partID: partID, outcome: .delivered(reference: token.isEmpty ? nil : token)))
                continue
            }
            let materialAnnotations = sbom.annotations
            let attestationAnnotations = request.attestation.annotations
            if let mismatch = filter?.mismatch(materialAnnotations: materialAnnotations, attestationAnnotations: attestationAnnotations) {
                outcomes.append(PartOutcome(partID: partID, outcome: .skipped(reason: "filter conditions not met: \(mismatch)")))
                continue
            }
            let project: ProjectTarget
            if let projectID = attachment.projectID {
                project = .existing(id: projectID)
            } else {
                do {
                    let name =
                        try template?.resolve(
                            materialAnnotations: materialAnnotations, attestationAnnotations: attestationAnnotations) ?? ""
                    project = .autoCreated(name: name, parentID: attachment.parentID)
                } catch {
                    outcomes.append(PartOutcome(partID: partID, outcome: .skipped(reason: "failed to resolve project name: \(error)")))
                    continue
                }
            }
            if liveCheck == nil {
                do {
                    try await attachment.checkLive(with: client)
                    liveCheck = .some(nil)
                } catch {
                    liveCheck = .some(error)
                }
            }
            if case .some(.some(let failure)) = liveCheck {
                outcomes.append(PartOutcome(partID: partID, outcome: failure.outcome))
                continue
            }
            outcomes.append(PartOutcome(partID: partID, outcome: await Self.upload(sbom, to: project, with: client)))
        }
        return .parts(outcomes)
    }

    /// The stable part ID of an SBOM: `sbom:<material name>`.
    public static func partID(for material: ExecutionMaterial) -> String {
        "sbom:\(material.name)"
    }

    private static func upload(_ sbom: ExecutionMaterial, to project: ProjectTarget, with client: DependencyTrackClient) async -> ExecutionOutcome {
        guard sbom.content.size > 0 else { return .rejected(reason: "invalid input: material \(sbom.name) has no content") }
        do {
            return .delivered(reference: try await client.upload(bom: sbom.content.bodyStream, to: project))
        } catch let failure {
            return failure.outcome
        }
    }
}

/// The registration as stored: `{"domain", "allowAutoCreate"}` and the API key in the credentials.
private struct StoredRegistration {
    var domain: String
    var allowAutoCreate: Bool
    var apiKey: String

    init(_ registration: Registration) throws(IntegrationValidationError) {
        guard let domain = registration.configuration.objectValue?["domain"]?.stringValue else {
            throw IntegrationValidationError("missing registration configuration")
        }
        guard let apiKey = registration.credentials?.password else { throw IntegrationValidationError("missing credentials") }
        self.domain = domain
        self.allowAutoCreate = registration.configuration.objectValue?["allowAutoCreate"] == .bool(true)
        self.apiKey = apiKey
    }
}

/// The attachment as stored, with upstream's keys `projectId`, `projectName`, `parentId`, `filter`.
private struct StoredAttachment {
    var projectID: String?
    var projectName: String?
    var parentID: String?
    var filter: String?

    init(_ input: DependencyTrackIntegration.AttachmentInput) {
        projectID = input.projectID
        projectName = input.projectName
        parentID = input.parentID
        filter = input.filter
    }

    init(_ stored: JSONValue) throws(IntegrationValidationError) {
        guard let object = stored.objectValue else { throw IntegrationValidationError("missing attachment configuration") }
        func text(_ key: String) -> String? { object[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        projectID = text("projectId")
        projectName = text("projectName")
        parentID = text("parentId")
        filter = text("filter")
    }

    var json: JSONValue {
        var object = JSONObject()
        object["projectId"] = projectID.map(JSONValue.string)
        object["projectName"] = projectName.map(JSONValue.string)
        object["parentId"] = parentID.map(JSONValue.string)
        object["filter"] = filter.map(JSONValue.string)
        return .object(object)
    }

    /// Upstream's offline checks, in its order and words.
    func validate(allowAutoCreate: Bool) throws(IntegrationValidationError) {
        if let projectName {
            guard allowAutoCreate else {
                throw IntegrationValidationError("auto creation of projects is not supported in this integration")
            }
            do {
                _ = try ProjectNameTemplate(parsing: projectName)
            } catch {
                throw IntegrationValidationError("invalid project name: \(error)")
            }
        }
        guard projectID != nil || projectName != nil else { throw IntegrationValidationError("project id or name must be provided") }
        if parentID != nil, projectName == nil {
            throw IntegrationValidationError("project name must be provided to work with parent id")
        }
        if let filter {
            do {
                _ = try AnnotationFilter(parsing: filter)
            } catch {
                throw IntegrationValidationError("invalid filter: \(error)")
            }
        }
        if projectID != nil, projectName != nil {
            throw IntegrationValidationError("either existing project ID or new name is required")
        }
    }

    /// Upstream's live checks: permissions (auto-create iff a name is used), then the project or parent exists.
    func checkLive(with client: DependencyTrackClient) async throws(DependencyTrackFailure) {
        try await client.checkPermissions(autoCreate: projectName != nil)
        if let id = projectID ?? parentID { try await client.checkProjectExists(id: id) }
    }
}
