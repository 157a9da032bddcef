import CourierCore
import CourierCrypto
import CourierIntegrationKit
import Foundation

/// Crafts the in-toto v1 statement with a Chainloop `chainloop.dev/attestation/v0.2` predicate that Chainloop's CLI
/// would write for a workflow run, so that `courier attestation push --material …` needs no other tool.
public struct ChainloopStatementBuilder: Sendable {
    /// The workflow the run belongs to.
    public struct Workflow: Sendable, Hashable {
        /// The workflow name.
        public var name: String
        /// The project name.
        public var project: String
        /// The team, possibly empty.
        public var team: String
        /// The organization name, possibly empty.
        public var organization: String
        /// The workflow's ID, possibly empty.
        public var id: String

        /// Describes a workflow.
        public init(name: String, project: String, team: String = "", organization: String = "", id: String = "") {
            self.name = name
            self.project = project
            self.team = team
            self.organization = organization
            self.id = id
        }
    }

    /// The run being attested.
    public struct Run: Sendable, Hashable {
        /// The run's ID, possibly empty.
        public var id: String
        /// The runner type enum name, e.g. `GITHUB_ACTION`; see ``ChainloopStatementBuilder/Run/detected(in:id:startedAt:finishedAt:)``.
        public var runnerType: String
        /// The CI job URL, possibly empty.
        public var runURL: String
        /// When the run started.
        public var startedAt: Date
        /// When the attestation was finished.
        public var finishedAt: Date

        /// Describes a run.
        public init(id: String = "", runnerType: String = "RUNNER_TYPE_UNSPECIFIED", runURL: String = "", startedAt: Date, finishedAt: Date) {
            self.id = id
            self.runnerType = runnerType
            self.runURL = runURL
            self.startedAt = startedAt
            self.finishedAt = finishedAt
        }

        /// A run whose runner type and job URL are read from the CI environment variables, as Chainloop's CLI does
        /// (GitHub Actions, GitLab, Azure Pipelines, Jenkins, CircleCI); `RUNNER_TYPE_UNSPECIFIED` elsewhere.
        public static func detected(in environment: [String: String], id: String = "", startedAt: Date, finishedAt: Date) -> Run {
            let runner = detectRunner(in: environment)
            return Run(id: id, runnerType: runner.type, runURL: runner.url, startedAt: startedAt, finishedAt: finishedAt)
        }
    }

    /// One material to record.
    public enum Material: Sendable, Hashable {
        /// A file whose bytes go to CAS: recorded by file name and digest, flagged `chainloop.material.cas`.
        case casFile(name: String, type: MaterialType, filename: String, digest: String, annotations: [String: String] = [:])
        /// A string value, embedded in the attestation.
        case string(name: String, value: String, annotations: [String: String] = [:])
        /// A reference such as a container image: recorded by resource name (e.g. image reference) and digest.
        case reference(name: String, type: MaterialType, value: String, digest: String, tag: String? = nil, annotations: [String: String] = [:])
    }

    /// The workflow.
    public var workflow: Workflow
    /// The run.
    public var run: Run
    /// Attestation-level annotations.
    public var annotations: [String: String]
    /// Environment variables to record.
    public var environment: [String: String]
    /// The materials, in order.
    public var materials: [Material]
    /// The builder id written to the predicate.
    public var builderID: String

    /// A builder for one run's statement.
    public init(
        workflow: Workflow,
        run: Run,
        annotations: [String: String] = [:],
        environment: [String: String] = [:],
        materials: [Material] = [],
        builderID: String = "chainloop.dev/cli/courier"
    ) {
        self.workflow = workflow
        self.run = run
        self.annotations = annotations
        self.environment = environment
        self.materials = materials
        self.builderID = builderID
    }

    /// The statement: subject `chainloop.workflow.<name>` with the sha256 of the compact predicate JSON, as upstream.
    ///
    /// - Throws: `invalidArgument` when a digest is not `sha256:<64 hex digits>` (or bare hex).
    public func statement() throws(CourierError) -> JSONValue {
        let predicate = try self.predicate()
        let subject: JSONValue = [
            "name": .string("chainloop.workflow.\(workflow.name)"),
            "digest": ["sha256": .string(SHA256.hex(Data(predicate.serialized().utf8)))],
        ]
        return [
            "_type": .string(InTotoStatementType.v1.rawValue),
            "subject": [subject],
            "predicateType": .string(AttestationDocument.chainloopPredicateType),
            "predicate": predicate,
        ]
    }

    /// The statement signed into a DSSE envelope.
    public func envelope(signedWith signer: DSSESigner) throws(CourierError) -> DSSEEnvelope {
        try signer.sign(statement: statement())
    }

    private func predicate() throws(CourierError) -> JSONValue {
        var metadata: JSONObject = [
            "finishedAt": .string(rfc3339(run.finishedAt)),
            "initializedAt": .string(rfc3339(run.startedAt)),
            "name": .string(workflow.name),
            "organization": .string(workflow.organization),
            "project": .string(workflow.project),
            "team": .string(workflow.team),
            "workflowID": .string(workflow.id),
            "workflowRunID": .string(run.id),
        ]
        if workflow.organization.isEmpty { metadata["organization"] = nil }
        var predicate = JSONObject()
        if !annotations.isEmpty { predicate["annotations"] = stringObject(annotations) }
        predicate["buildType"] = "chainloop.dev/workflowrun/v0.1"
        predicate["builder"] = ["id": .string(builderID)]
        if !environment.isEmpty { predicate["env"] = stringObject(environment) }
        var descriptors: [JSONValue] = []
        for material in materials { descriptors.append(try resourceDescriptor(material)) }
        if !descriptors.isEmpty { predicate["materials"] = .array(descriptors) }
        predicate["metadata"] = .object(metadata)
        predicate["runnerType"] = .string(run.runnerType)
        if !run.runURL.isEmpty { predicate["runnerURL"] = .string(run.runURL) }
        return .object(predicate)
    }

    private func resourceDescriptor(_ material: Material) throws(CourierError) -> JSONValue {
        switch material {
        case .casFile(let name, let type, let filename, let digest, let extra):
            var annotations = systemAnnotations(name: name, type: type, extra: extra)
            annotations[ChainloopAnnotation.uploadedToCAS] = true
            return [
                "annotations": .object(sorted(annotations)),
                "digest": ["sha256": .string(try sha256Hex(digest, material: name))],
                "name": .string(filename),
            ]
        case .string(let name, let value, let extra):
            return [
                "annotations": .object(sorted(systemAnnotations(name: name, type: .string, extra: extra))),
                "content": .string(Data(value.utf8).base64EncodedString()),
            ]
        case .reference(let name, let type, let value, let digest, let tag, let extra):
            var annotations = systemAnnotations(name: name, type: type, extra: extra)
            if let tag, !tag.isEmpty { annotations[ChainloopAnnotation.imageTag] = .string(tag) }
            return [
                "annotations": .object(sorted(annotations)),
                "digest": ["sha256": .string(try sha256Hex(digest, material: name))],
                "name": .string(value),
            ]
        }
    }

    private func systemAnnotations(name: String, type: MaterialType, extra: [String: String]) -> JSONObject {
        var annotations = JSONObject(extra.map { ($0.key, JSONValue.string($0.value)) })
        annotations[ChainloopAnnotation.materialName] = .string(name)
        annotations[ChainloopAnnotation.materialType] = .string(type.rawValue)
        return annotations
    }
}

// MARK: - Helpers

private func sorted(_ object: JSONObject) -> JSONObject {
    JSONObject(object.keys.sorted().map { ($0, object[$0]!) })
}

private func stringObject(_ map: [String: String]) -> JSONValue {
    .object(JSONObject(map.keys.sorted().map { ($0, JSONValue.string(map[$0]!)) }))
}

/// The hex of a `sha256:<hex>` (or bare hex) digest.
private func sha256Hex(_ digest: String, material: String) throws(CourierError) -> String {
    let hex = digest.hasPrefix("sha256:") ? String(digest.dropFirst("sha256:".count)) : digest
    guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
        throw .invalid("The digest of material '\(material)' is not 'sha256:' followed by 64 lowercase hex digits.")
    }
    return hex
}

private func rfc3339(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}

/// The runner type and job URL for the CI system the environment describes.
private func detectRunner(in environment: [String: String]) -> (type: String, url: String) {
    func value(_ name: String) -> String { environment[name] ?? "" }
    if value("GITHUB_ACTIONS") == "true" {
        let server = environment["GITHUB_SERVER_URL"] ?? "https://github.com"
        return ("GITHUB_ACTION", "\(server)/\(value("GITHUB_REPOSITORY"))/actions/runs/\(value("GITHUB_RUN_ID"))")
    }
    if value("GITLAB_CI") == "true" { return ("GITLAB_PIPELINE", value("CI_JOB_URL")) }
    if !value("TF_BUILD").isEmpty {
        let url = "\(value("SYSTEM_TEAMFOUNDATIONCOLLECTIONURI"))\(value("SYSTEM_TEAMPROJECT"))/_build/results?buildId=\(value("BUILD_BUILDID"))"
        return ("AZURE_PIPELINE", url)
    }
    if !value("JENKINS_HOME").isEmpty { return ("JENKINS_JOB", value("BUILD_URL")) }
    if value("CIRCLECI") == "true" { return ("CIRCLECI_BUILD", value("CIRCLE_BUILD_URL")) }
    return ("RUNNER_TYPE_UNSPECIFIED", "")
}
