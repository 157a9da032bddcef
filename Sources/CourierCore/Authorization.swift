/// Who is calling: the token that authenticated a request.
public struct Principal: Sendable, Hashable {
    public var organizationID: String
    public var tokenID: String
    public var tokenName: String
    public var role: Role
    public var scope: WorkflowScope?

    public init(organizationID: String, tokenID: String, tokenName: String, role: Role, scope: WorkflowScope? = nil) {
        self.organizationID = organizationID
        self.tokenID = tokenID
        self.tokenName = tokenName
        self.role = role
        self.scope = scope
    }
}

/// Something a request wants to do, checked against the caller's role.
public enum Action: Sendable, Hashable {
    /// List or describe organization objects (never credentials).
    case read
    /// Create, change or delete organization objects.
    case manage
    /// Create organizations.
    case createOrganization
    /// Push an attestation to a workflow.
    case push(WorkflowScope)
    /// Upload content to CAS.
    case uploadContent

    var summary: String {
        switch self {
        case .read: "read this organization's objects"
        case .manage: "change this organization's objects"
        case .createOrganization: "create organizations"
        case .push(let scope): "push attestations to workflow \(scope.project)/\(scope.workflow)"
        case .uploadContent: "upload content"
        }
    }
}

extension Principal {
    /// Whether this principal's role allows `action`.
    public func allows(_ action: Action) -> Bool {
        switch (role, action) {
        case (.owner, _), (.admin, .read), (.admin, .manage), (.admin, .push), (.admin, .uploadContent):
            return true
        case (.admin, .createOrganization):
            return false
        case (.viewer, .read):
            return true
        case (.viewer, _):
            return false
        case (.robot, .push(let target)):
            return scope == nil || scope == target
        case (.robot, .uploadContent):
            return true
        case (.robot, _):
            return false
        }
    }

    /// Throws `permission_denied` unless this principal's role allows `action`.
    public func require(_ action: Action) throws(CourierError) {
        guard allows(action) else {
            var message = "A \(role.rawValue) token cannot \(action.summary)"
            if role == .robot, let scope, case .push = action {
                message += "; this token may only push to \(scope.project)/\(scope.workflow)"
            }
            throw CourierError(.permissionDenied, message + ".")
        }
    }
}
