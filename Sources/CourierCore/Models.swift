import Foundation

/// A tenant. Every other object belongs to exactly one organization.
public struct Organization: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var createdAt: Date

    public init(id: String, name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// A group of workflows within an organization, created when its first workflow is.
public struct Project: Sendable, Hashable, Codable {
    public var id: String
    public var organizationID: String
    public var name: String
    public var createdAt: Date

    public init(id: String, organizationID: String, name: String, createdAt: Date) {
        self.id = id
        self.organizationID = organizationID
        self.name = name
        self.createdAt = createdAt
    }
}

/// A CI workflow, named within a project, whose runs push attestations.
public struct Workflow: Sendable, Hashable, Codable {
    public var id: String
    public var organizationID: String
    public var projectID: String
    public var projectName: String
    public var name: String
    public var team: String
    public var description: String
    public var createdAt: Date

    public init(
        id: String,
        organizationID: String,
        projectID: String,
        projectName: String,
        name: String,
        team: String = "",
        description: String = "",
        createdAt: Date
    ) {
        self.id = id
        self.organizationID = organizationID
        self.projectID = projectID
        self.projectName = projectName
        self.name = name
        self.team = team
        self.description = description
        self.createdAt = createdAt
    }
}

/// What a token may do within its organization.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    /// Everything, including minting owner tokens.
    case owner
    /// Everything except minting owner tokens.
    case admin
    /// List and describe; never credentials.
    case viewer
    /// Push attestations and upload to CAS, nothing else.
    case robot

    private var rank: Int {
        switch self {
        case .owner: 3
        case .admin: 2
        case .viewer: 1
        case .robot: 0
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// The workflow a robot token is restricted to.
public struct WorkflowScope: Sendable, Hashable, Codable {
    public var project: String
    public var workflow: String

    public init(project: String, workflow: String) {
        self.project = project
        self.workflow = workflow
    }
}

/// An API token. Only the SHA-256 of its secret is stored.
public struct APIToken: Sendable, Hashable, Codable {
    public var id: String
    public var organizationID: String
    public var name: String
    public var role: Role
    /// Set for tokens that may only act on one workflow.
    public var scope: WorkflowScope?
    /// Hex SHA-256 of the token's secret.
    public var secretHash: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(
        id: String,
        organizationID: String,
        name: String,
        role: Role,
        scope: WorkflowScope? = nil,
        secretHash: String,
        createdAt: Date,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.organizationID = organizationID
        self.name = name
        self.role = role
        self.scope = scope
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
