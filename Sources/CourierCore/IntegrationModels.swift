import Foundation

/// A secret encrypted under the master key: only ever stored, never shown.
public struct SealedSecret: Sendable, Hashable, Codable {
    /// Identifies the master key that sealed it, so the key can be rotated.
    public var keyID: String
    /// Base64 of nonce, ciphertext and authentication tag.
    public var ciphertext: String

    public init(keyID: String, ciphertext: String) {
        self.keyID = keyID
        self.ciphertext = ciphertext
    }
}

/// Encrypts and decrypts credentials; the master key never leaves the implementation.
public protocol SecretSealer: Sendable {
    /// Encrypts `plaintext`, binding it to `context` (e.g. the owning row's id) so it cannot be moved to another row.
    func seal(_ plaintext: [UInt8], context: String) throws -> SealedSecret
    /// Decrypts a secret sealed for the same `context`.
    ///
    /// - Throws: `internal` when the key is unknown or the ciphertext was altered.
    func open(_ sealed: SealedSecret, context: String) throws -> [UInt8]
}

/// A named, configured instance of an available integration in one organization.
public struct IntegrationRegistration: Sendable, Hashable {
    public var id: String
    public var organizationID: String
    /// A DNS-1123 label, unique among the organization's active registrations.
    public var name: String
    /// The available integration's id, e.g. `dependency-track`.
    public var kind: String
    public var description: String
    /// The integration's non-secret configuration, as JSON text.
    public var configuration: String
    /// The integration's credentials, encrypted; `nil` when it has none.
    public var credentials: SealedSecret?
    public var createdAt: Date

    public init(
        id: String,
        organizationID: String,
        name: String,
        kind: String,
        description: String,
        configuration: String,
        credentials: SealedSecret?,
        createdAt: Date
    ) {
        self.id = id
        self.organizationID = organizationID
        self.name = name
        self.kind = kind
        self.description = description
        self.configuration = configuration
        self.credentials = credentials
        self.createdAt = createdAt
    }
}

/// A registration attached to a workflow: every attestation of the workflow is delivered to it.
public struct IntegrationAttachment: Sendable, Hashable {
    public var id: String
    public var organizationID: String
    public var registrationID: String
    public var workflowID: String
    /// The integration's attachment configuration, as JSON text.
    public var configuration: String
    public var createdAt: Date

    public init(id: String, organizationID: String, registrationID: String, workflowID: String, configuration: String, createdAt: Date) {
        self.id = id
        self.organizationID = organizationID
        self.registrationID = registrationID
        self.workflowID = workflowID
        self.configuration = configuration
        self.createdAt = createdAt
    }
}
