/// Organizations, tokens and authentication.
public struct AccessService: Sendable {
    let store: any Store
    let environment: ServiceEnvironment

    /// The name of the organization created on first start.
    public static let defaultOrganizationName = "default"

    public init(store: any Store, environment: ServiceEnvironment) {
        self.store = store
        self.environment = environment
    }

    /// A token together with its secret, which is shown once and never stored.
    public struct IssuedToken: Sendable {
        public var token: APIToken
        public var secret: String
    }

    /// On an empty store, creates organization `default` and an owner token for it.
    ///
    /// - Returns: the owner token when this call created it; `nil` when the store already had an organization.
    public func bootstrapIfEmpty() async throws -> IssuedToken? {
        let env = environment
        do {
            return try await store.write { tx in
                guard try tx.organizationCount() == 0 else { return nil }
                let organization = Organization(id: env.newID(), name: Self.defaultOrganizationName, createdAt: env.now())
                try tx.insertOrganization(organization)
                return try Self.issue(tx, env, organizationID: organization.id, name: "owner", role: .owner, scope: nil)
            }
        } catch let error as CourierError where error.code == .alreadyExists {
            // Another replica sharing the database bootstrapped at the same moment; the organization name is unique.
            return nil
        }
    }

    /// Resolves a bearer token to its principal.
    ///
    /// - Throws: `unauthenticated` when the token is missing, unknown or revoked.
    public func authenticate(bearer: String?) async throws -> Principal {
        guard let bearer, !bearer.isEmpty else {
            throw CourierError(
                .unauthenticated,
                "Missing API token: pass --token, set COURIER_TOKEN or run 'courier login' (HTTP: 'Authorization: Bearer <token>')."
            )
        }
        let hash = environment.hashSecret(bearer)
        let token = try await store.read { tx in try tx.token(secretHash: hash) }
        guard let token else {
            throw CourierError(.unauthenticated, "The API token is not valid; check that it was copied whole.")
        }
        if token.revokedAt != nil {
            throw CourierError(.unauthenticated, "The API token '\(token.name)' has been revoked; ask an owner or admin for a new one.")
        }
        return Principal(
            organizationID: token.organizationID,
            tokenID: token.id,
            tokenName: token.name,
            role: token.role,
            scope: token.scope
        )
    }

    /// The caller's organization and token; any role may ask.
    public func describe(_ principal: Principal) async throws -> (Organization, APIToken) {
        try await store.read { tx in
            guard let organization = try tx.organization(id: principal.organizationID),
                let token = try tx.tokens(organizationID: principal.organizationID).first(where: { $0.id == principal.tokenID })
            else {
                throw CourierError(.unauthenticated, "The API token is no longer valid; ask an owner or admin for a new one.")
            }
            return (organization, token)
        }
    }

    /// Creates an organization and its first owner token.
    ///
    /// - Throws: `permission_denied` unless the caller is an owner; `invalid_argument` for a bad
    ///   name; `already_exists` when the name is taken.
    public func createOrganization(named name: String, by principal: Principal) async throws -> (Organization, IssuedToken) {
        try principal.require(.createOrganization)
        try Names.validateLabel(name, what: "organization name")
        let env = environment
        return try await store.write { tx in
            if try tx.organization(named: name) != nil {
                throw CourierError(.alreadyExists, "An organization named '\(name)' already exists; choose another name.")
            }
            let organization = Organization(id: env.newID(), name: name, createdAt: env.now())
            try tx.insertOrganization(organization)
            let owner = try Self.issue(tx, env, organizationID: organization.id, name: "owner", role: .owner, scope: nil)
            return (organization, owner)
        }
    }

    /// Mints a token in the caller's organization.
    ///
    /// A caller cannot mint a token with more power than its own. A scope restricts a robot token
    /// to one workflow, which must exist.
    public func createToken(name: String, role: Role, scope: WorkflowScope?, by principal: Principal) async throws -> IssuedToken {
        try principal.require(.manage)
        try Names.validateLabel(name, what: "token name")
        if role > principal.role {
            throw CourierError(.permissionDenied, "A \(principal.role.rawValue) token cannot create \(role.rawValue) tokens.")
        }
        if scope != nil && role != .robot {
            throw CourierError.invalid("Only robot tokens can be limited to a workflow; drop --project/--workflow or use --role robot.")
        }
        let env = environment
        let organizationID = principal.organizationID
        return try await store.write { tx in
            if let scope {
                _ = try tx.requireWorkflow(organizationID: organizationID, project: scope.project, name: scope.workflow)
            }
            if try tx.token(organizationID: organizationID, name: name) != nil {
                throw CourierError(.alreadyExists, "A token named '\(name)' already exists; revoke it first or choose another name.")
            }
            return try Self.issue(tx, env, organizationID: organizationID, name: name, role: role, scope: scope)
        }
    }

    /// Active tokens of the caller's organization (never their secrets).
    public func listTokens(by principal: Principal) async throws -> [APIToken] {
        try principal.require(.read)
        let organizationID = principal.organizationID
        return try await store.read { tx in try tx.tokens(organizationID: organizationID) }
    }

    /// Revokes the named token of the caller's organization; it stops working at once.
    public func revokeToken(named name: String, by principal: Principal) async throws {
        try principal.require(.manage)
        try Names.validateLabel(name, what: "token name")
        let organizationID = principal.organizationID
        let now = environment.now()
        try await store.write { tx in
            guard let token = try tx.token(organizationID: organizationID, name: name) else {
                throw CourierError.notFound("No active token named '\(name)'; 'courier token list' shows the tokens.")
            }
            if token.role > principal.role {
                throw CourierError(.permissionDenied, "A \(principal.role.rawValue) token cannot revoke \(token.role.rawValue) tokens.")
            }
            try tx.revokeToken(id: token.id, at: now)
        }
    }

    private static func issue(
        _ tx: any StoreTransaction,
        _ env: ServiceEnvironment,
        organizationID: String,
        name: String,
        role: Role,
        scope: WorkflowScope?
    ) throws -> IssuedToken {
        let secret = TokenSecret.generate()
        let token = APIToken(
            id: env.newID(),
            organizationID: organizationID,
            name: name,
            role: role,
            scope: scope,
            secretHash: env.hashSecret(secret),
            createdAt: env.now()
        )
        try tx.insertToken(token)
        return IssuedToken(token: token, secret: secret)
    }
}
