import Foundation

// The JSON shapes of Courier's HTTP API (`/v1`), shared by the server's handlers and the CLI's
// client so the two cannot drift. Dates are RFC 3339 in UTC (`2026-12-04T15:24:42Z`); use
// `Wire.encoder` / `Wire.decoder`.

/// Encoders and decoders configured for the wire format.
public enum Wire {
    /// A JSON encoder with RFC 3339 dates, sorted keys and unescaped slashes.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A JSON encoder for people: like `encoder`, indented.
    public static var prettyEncoder: JSONEncoder {
        let encoder = Wire.encoder
        encoder.outputFormatting.insert(.prettyPrinted)
        return encoder
    }

    /// A JSON decoder with RFC 3339 dates.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// The body of every error response: `{"error": {"code": "...", "message": "..."}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        /// One of `invalid_argument`, `unauthenticated`, `permission_denied`, `not_found`,
        /// `already_exists`, `failed_precondition`, `payload_too_large`, `unavailable`, `internal`.
        public var code: String
        /// One sentence saying what is wrong and how to fix it.
        public var message: String
        /// The id of the request, to find its log lines.
        public var requestID: String?

        public init(code: String, message: String, requestID: String? = nil) {
            self.code = code
            self.message = message
            self.requestID = requestID
        }
    }

    public var error: Detail

    public init(code: String, message: String, requestID: String? = nil) {
        error = Detail(code: code, message: message, requestID: requestID)
    }
}

/// `GET /healthz`.
public struct HealthDTO: Codable, Sendable, Equatable {
    public var status: String
    public init(status: String) { self.status = status }
}

/// An organization.
public struct OrganizationDTO: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Date

    public init(id: String, name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// The workflow a robot token is limited to.
public struct WorkflowScopeDTO: Codable, Sendable, Equatable {
    public var project: String
    public var workflow: String

    public init(project: String, workflow: String) {
        self.project = project
        self.workflow = workflow
    }
}

/// An API token as listed: never its secret.
public struct TokenDTO: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// `owner`, `admin`, `viewer` or `robot`.
    public var role: String
    public var scope: WorkflowScopeDTO?
    public var createdAt: Date

    public init(id: String, name: String, role: String, scope: WorkflowScopeDTO?, createdAt: Date) {
        self.id = id
        self.name = name
        self.role = role
        self.scope = scope
        self.createdAt = createdAt
    }
}

/// A token just created: the only time its secret is returned.
public struct IssuedTokenDTO: Codable, Sendable, Equatable {
    public var token: TokenDTO
    /// The bearer token; store it now, it cannot be shown again.
    public var secret: String

    public init(token: TokenDTO, secret: String) {
        self.token = token
        self.secret = secret
    }
}

/// `GET /v1/whoami`: the caller's organization and token.
public struct WhoAmIDTO: Codable, Sendable, Equatable {
    public var organization: OrganizationDTO
    public var token: TokenDTO

    public init(organization: OrganizationDTO, token: TokenDTO) {
        self.organization = organization
        self.token = token
    }
}

/// `POST /v1/organizations`.
public struct CreateOrganizationRequest: Codable, Sendable, Equatable {
    public var name: String
    public init(name: String) { self.name = name }
}

/// Response of `POST /v1/organizations`: the organization and its first owner token.
public struct CreatedOrganizationDTO: Codable, Sendable, Equatable {
    public var organization: OrganizationDTO
    public var owner: IssuedTokenDTO

    public init(organization: OrganizationDTO, owner: IssuedTokenDTO) {
        self.organization = organization
        self.owner = owner
    }
}

/// `POST /v1/tokens`.
public struct CreateTokenRequest: Codable, Sendable, Equatable {
    public var name: String
    public var role: String
    /// With `workflow`: limit a robot token to one workflow.
    public var project: String?
    public var workflow: String?

    public init(name: String, role: String, project: String? = nil, workflow: String? = nil) {
        self.name = name
        self.role = role
        self.project = project
        self.workflow = workflow
    }
}

/// `GET /v1/tokens`.
public struct TokenListDTO: Codable, Sendable, Equatable {
    public var tokens: [TokenDTO]
    public init(tokens: [TokenDTO]) { self.tokens = tokens }
}

/// A workflow.
public struct WorkflowDTO: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var project: String
    public var team: String
    public var description: String
    public var createdAt: Date

    public init(id: String, name: String, project: String, team: String, description: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.project = project
        self.team = team
        self.description = description
        self.createdAt = createdAt
    }
}

/// `POST /v1/workflows`.
public struct CreateWorkflowRequest: Codable, Sendable, Equatable {
    public var name: String
    public var project: String
    public var team: String?
    public var description: String?

    public init(name: String, project: String, team: String? = nil, description: String? = nil) {
        self.name = name
        self.project = project
        self.team = team
        self.description = description
    }
}

/// `GET /v1/workflows`.
public struct WorkflowListDTO: Codable, Sendable, Equatable {
    public var workflows: [WorkflowDTO]
    public init(workflows: [WorkflowDTO]) { self.workflows = workflows }
}

/// Content in the content-addressed store (CAS), as `PUT /v1/cas/{digest}` answers.
public struct ContentDTO: Codable, Sendable, Equatable {
    /// `sha256:` followed by 64 lowercase hex digits.
    public var digest: String
    /// The size in bytes.
    public var size: Int64

    public init(digest: String, size: Int64) {
        self.digest = digest
        self.size = size
    }
}
