import CourierCore
import Foundation

/// A 256-bit key that seals credentials, identified by a fingerprint so that rotation knows which key sealed what.
public struct MasterKey: Sendable, Equatable {
    /// The first 16 hex digits of the key's SHA-256: identifies the key without revealing it.
    public let id: String
    let bytes: [UInt8]

    /// Wraps 32 key bytes.
    ///
    /// - Throws: `invalid_argument` when the key is not 32 bytes.
    public init(bytes: [UInt8]) throws(CourierError) {
        guard bytes.count == AESGCM.keyLength else {
            throw .invalid("A master key must be 32 bytes (44 characters of base64); this one is \(bytes.count) bytes.")
        }
        self.bytes = bytes
        id = String(SHA256.hex(bytes).prefix(16))
    }

    /// Parses the base64 text form.
    public init(base64 text: String) throws(CourierError) {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .invalid("A master key must be base64 text (e.g. the output of 'openssl rand -base64 32').")
        }
        try self.init(bytes: Array(data))
    }

    /// A new random key.
    public static func generate() -> MasterKey {
        // 32 random bytes always make a valid key.
        try! MasterKey(bytes: SecureRandom.bytes(AESGCM.keyLength))
    }

    /// The base64 text form, for the key file.
    public var base64: String { Data(bytes).base64EncodedString() }

    public static func == (lhs: MasterKey, rhs: MasterKey) -> Bool { lhs.id == rhs.id }
}

/// Seals credentials with AES-256-GCM under the active master key and opens them with whichever known key sealed them.
///
/// A sealed secret is `base64(nonce ‖ ciphertext ‖ tag)` with the key's id beside it; the context (the owning row's
/// id) is authenticated as associated data, so a ciphertext copied to another row does not open.
public struct MasterKeyring: SecretSealer {
    /// The key new secrets are sealed with.
    public let active: MasterKey
    /// Older keys that can still open secrets until they are re-sealed.
    public let previous: [MasterKey]

    public init(active: MasterKey, previous: [MasterKey] = []) {
        self.active = active
        self.previous = previous.filter { $0 != active }
    }

    public func seal(_ plaintext: [UInt8], context: String) throws -> SealedSecret {
        let nonce = SecureRandom.bytes(AESGCM.nonceLength)
        do {
            let sealed = try AESGCM.seal(plaintext, key: active.bytes, nonce: nonce, associatedData: Array(context.utf8))
            return SealedSecret(keyID: active.id, ciphertext: Data(nonce + sealed.ciphertext + sealed.tag).base64EncodedString())
        } catch {
            throw CourierError.internal(error)
        }
    }

    public func open(_ sealed: SealedSecret, context: String) throws -> [UInt8] {
        guard let key = ([active] + previous).first(where: { $0.id == sealed.keyID }) else {
            throw CourierError(
                .internal,
                "Credentials were sealed with master key \(sealed.keyID), which this server does not have.",
                cause: UnknownMasterKey(keyID: sealed.keyID)
            )
        }
        guard let data = Data(base64Encoded: sealed.ciphertext), data.count >= AESGCM.nonceLength + AESGCM.tagLength else {
            throw CourierError.internal(CorruptSealedSecret())
        }
        let bytes = Array(data)
        let nonce = Array(bytes[..<AESGCM.nonceLength])
        let ciphertext = Array(bytes[AESGCM.nonceLength..<(bytes.count - AESGCM.tagLength)])
        let tag = Array(bytes[(bytes.count - AESGCM.tagLength)...])
        do {
            return try AESGCM.open(ciphertext, tag: tag, key: key.bytes, nonce: nonce, associatedData: Array(context.utf8))
        } catch {
            throw CourierError.internal(error)
        }
    }

    /// Whether `sealed` was sealed with a key other than the active one.
    public func needsResealing(_ sealed: SealedSecret) -> Bool { sealed.keyID != active.id }
}

/// A sealed secret names a key the keyring does not hold.
struct UnknownMasterKey: Error, Sendable, CustomStringConvertible {
    var keyID: String
    var description: String { "No master key with id \(keyID)." }
}

/// A sealed secret's ciphertext is not base64 of nonce, ciphertext and tag.
struct CorruptSealedSecret: Error, Sendable, CustomStringConvertible {
    var description: String { "The sealed secret is malformed." }
}
