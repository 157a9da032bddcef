import COpenSSL
import CourierCore
import Foundation

/// The kinds of signing key Courier accepts for attestations.
public enum SigningKeyType: String, Sendable, Hashable, CaseIterable {
    /// ECDSA on NIST P-256 with SHA-256.
    case ecdsaP256 = "ECDSA P-256"
    /// Ed25519 (pure, no pre-hash).
    case ed25519 = "Ed25519"
    /// RSA (2048 bits or more) with SHA-256, PKCS#1 v1.5 or PSS.
    case rsa = "RSA"

    /// The sentence fragment listing the supported types, for error messages.
    static let supportedList = "ECDSA P-256, Ed25519 or RSA of at least \(minimumRSABits) bits"

    /// RSA keys shorter than this are refused.
    static let minimumRSABits: Int32 = 2048
}

/// A public key that verifies signatures: ECDSA P-256, Ed25519 or RSA, loaded from a PEM `PUBLIC KEY` (SPKI).
///
/// Instances are immutable after creation; OpenSSL allows concurrent verification with one key.
public final class VerificationKey: @unchecked Sendable {
    /// What kind of key this is.
    public let type: SigningKeyType
    /// The DER encoding of the key's SubjectPublicKeyInfo.
    public let derRepresentation: [UInt8]
    fileprivate let key: OpaquePointer

    /// Loads a PEM public key (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// - Throws: `invalidArgument` when the text is not a PEM public key or the key type is not supported.
    public convenience init(pem: String) throws(CourierError) {
        guard let key = readPEM(pem, with: { bio in PEM_read_bio_PUBKEY(bio, nil, nil, nil) }) else {
            throw .invalid("The public key is not a readable PEM public key; expected a '-----BEGIN PUBLIC KEY-----' block.")
        }
        try self.init(taking: key)
    }

    /// Takes ownership of `key`, freeing it if its type is not supported.
    fileprivate init(taking key: OpaquePointer) throws(CourierError) {
        do throws(CourierError) {
            self.type = try supportedType(of: key, role: "public")
            self.derRepresentation = try subjectPublicKeyInfo(of: key)
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    /// A stable identifier: the lowercase hex SHA-256 of the DER SubjectPublicKeyInfo.
    public var id: String { SHA256.hex(derRepresentation) }

    /// The PEM text (`-----BEGIN PUBLIC KEY-----`).
    public var pemRepresentation: String {
        writePEM { bio in PEM_write_bio_PUBKEY(bio, key) }
    }

    /// Whether `signature` is a valid signature of `message` by this key.
    ///
    /// ECDSA accepts DER signatures and raw 64-byte `r‖s` ones; Ed25519 is pure Ed25519; RSA accepts
    /// PKCS#1 v1.5 and PSS (any salt length), both over SHA-256.
    public func isValidSignature(_ signature: some DataProtocol, for message: some DataProtocol) -> Bool {
        let signature = [UInt8](signature)
        let message = [UInt8](message)
        defer { ERR_clear_error() }
        switch type {
        case .ecdsaP256:
            if verify(signature, message) { return true }
            guard signature.count == 64, let der = derECDSASignature(rawConcatenation: signature) else { return false }
            return verify(der, message)
        case .ed25519:
            return verify(signature, message)
        case .rsa:
            return verify(signature, message, padding: RSA_PKCS1_PADDING)
                || verify(signature, message, padding: RSA_PKCS1_PSS_PADDING)
        }
    }

    private func verify(_ signature: [UInt8], _ message: [UInt8], padding: Int32? = nil) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, digest(for: type), nil, key) == 1 else { return false }
        if let padding {
            guard EVP_PKEY_CTX_set_rsa_padding(keyContext, padding) == 1 else { return false }
            if padding == RSA_PKCS1_PSS_PADDING, EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, RSA_PSS_SALTLEN_AUTO) != 1 {
                return false
            }
        }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }
}

/// A private key that signs: ECDSA P-256 (DER signatures), Ed25519, or RSA (PKCS#1 v1.5, SHA-256).
///
/// Instances are immutable after creation; OpenSSL allows concurrent signing with one key.
public final class SigningKey: @unchecked Sendable {
    /// What kind of key this is.
    public let type: SigningKeyType
    /// The matching public key.
    public let verificationKey: VerificationKey
    private let key: OpaquePointer

    /// Loads an unencrypted PEM private key (PKCS#8 `-----BEGIN PRIVATE KEY-----`, or the traditional EC/RSA forms).
    ///
    /// - Throws: `invalidArgument` when the text is not an unencrypted PEM private key or the key type is not supported.
    public convenience init(pem: String) throws(CourierError) {
        // A callback that supplies no passphrase, so that OpenSSL never prompts on the terminal for encrypted keys.
        let key = readPEM(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) }
        guard let key else {
            throw .invalid(
                "The private key is not a readable unencrypted PEM private key; expected a '-----BEGIN PRIVATE KEY-----' block.")
        }
        try self.init(taking: key)
    }

    private init(taking key: OpaquePointer) throws(CourierError) {
        do throws(CourierError) {
            self.type = try supportedType(of: key, role: "private")
            let der = try subjectPublicKeyInfo(of: key)
            var cursor: UnsafePointer<UInt8>?
            let publicKey = der.withUnsafeBufferPointer { buffer in
                cursor = buffer.baseAddress
                return d2i_PUBKEY(nil, &cursor, buffer.count)
            }
            guard let publicKey else { throw CourierError.internal(OpenSSLFailure(operation: "d2i_PUBKEY")) }
            self.verificationKey = try VerificationKey(taking: publicKey)
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    /// Generates a new key: ECDSA P-256 unless told otherwise (RSA keys are 3072 bits).
    public static func generate(_ type: SigningKeyType = .ecdsaP256) throws(CourierError) -> SigningKey {
        let generated: OpaquePointer? =
            switch type {
            case .ecdsaP256: cossl_ec_p256_gen()
            case .ed25519: cossl_ed25519_gen()
            case .rsa: cossl_rsa_gen(3072)
            }
        guard let generated else { throw .internal(OpenSSLFailure(operation: "key generation")) }
        return try SigningKey(taking: generated)
    }

    /// The PEM text of the private key in PKCS#8 form (`-----BEGIN PRIVATE KEY-----`), unencrypted.
    public var pemRepresentation: String {
        writePEM { bio in PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) }
    }

    /// Signs `message`: ECDSA-SHA256 with a DER signature, pure Ed25519, or RSA PKCS#1 v1.5 SHA-256.
    public func signature(for message: some DataProtocol) throws(CourierError) -> [UInt8] {
        let message = [UInt8](message)
        defer { ERR_clear_error() }
        guard let context = EVP_MD_CTX_new() else { throw .internal(OpenSSLFailure(operation: "EVP_MD_CTX_new")) }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSignInit(context, nil, digest(for: type), nil, key) == 1,
            EVP_DigestSign(context, nil, &length, message, message.count) == 1
        else { throw .internal(OpenSSLFailure(operation: "EVP_DigestSignInit")) }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw .internal(OpenSSLFailure(operation: "EVP_DigestSign"))
        }
        return Array(signature.prefix(length))
    }
}

/// An OpenSSL call that failed where it should not (allocation, encoding); logged, never shown.
struct OpenSSLFailure: Error, Sendable, CustomStringConvertible {
    let operation: String
    var description: String { "OpenSSL \(operation) failed" }
}

// MARK: - Helpers

/// The digest to sign with: SHA-256, except for Ed25519, which hashes internally.
private func digest(for type: SigningKeyType) -> OpaquePointer? {
    type == .ed25519 ? nil : EVP_sha256()
}

/// The key type of `key`, or an error naming what it is and what is supported.
private func supportedType(of key: OpaquePointer, role: String) throws(CourierError) -> SigningKeyType {
    switch EVP_PKEY_get_base_id(key) {
    case EVP_PKEY_EC:
        var name = [CChar](repeating: 0, count: 64)
        var nameLength = 0
        _ = EVP_PKEY_get_group_name(key, &name, name.count, &nameLength)
        let curve = String(decoding: name.prefix(nameLength).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard curve == "prime256v1" || curve == "P-256" else {
            let shownCurve = curve.isEmpty ? "an unknown curve" : "curve \(curve)"
            throw .invalid("The \(role) key is an EC key on \(shownCurve); supported keys are \(SigningKeyType.supportedList).")
        }
        return .ecdsaP256
    case EVP_PKEY_ED25519:
        return .ed25519
    case EVP_PKEY_RSA:
        let bits = EVP_PKEY_get_bits(key)
        guard bits >= SigningKeyType.minimumRSABits else {
            throw .invalid("The \(role) key is a \(bits)-bit RSA key; supported keys are \(SigningKeyType.supportedList).")
        }
        return .rsa
    default:
        throw .invalid("The \(role) key's type is not supported; supported keys are \(SigningKeyType.supportedList).")
    }
}

/// The DER SubjectPublicKeyInfo of `key` (public or private).
private func subjectPublicKeyInfo(of key: OpaquePointer) throws(CourierError) -> [UInt8] {
    let length = i2d_PUBKEY(key, nil)
    guard length > 0 else { throw .internal(OpenSSLFailure(operation: "i2d_PUBKEY")) }
    var der = [UInt8](repeating: 0, count: Int(length))
    let written = der.withUnsafeMutableBufferPointer { buffer in
        var cursor = buffer.baseAddress
        return i2d_PUBKEY(key, &cursor)
    }
    guard written == length else { throw .internal(OpenSSLFailure(operation: "i2d_PUBKEY")) }
    return der
}

/// Runs a PEM reader over `pem` in a memory BIO; `nil` when it cannot read a key.
private func readPEM(_ pem: String, with read: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
    defer { ERR_clear_error() }
    let bytes = Array(pem.utf8)
    return bytes.withUnsafeBytes { buffer -> OpaquePointer? in
        guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
        defer { BIO_free(bio) }
        return read(bio)
    }
}

/// The text a PEM writer produces into a memory BIO.
private func writePEM(with write: (OpaquePointer) -> Int32) -> String {
    guard let bio = BIO_new(BIO_s_mem()) else { return "" }
    defer { BIO_free(bio) }
    guard write(bio) == 1 else { return "" }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = BIO_read(bio, &chunk, Int32(chunk.count))
        guard count > 0 else { break }
        output += chunk.prefix(Int(count))
    }
    return String(decoding: output, as: UTF8.self)
}

/// Converts a raw P-256 signature (32-byte `r` then 32-byte `s`) to the DER `ECDSA-Sig-Value` OpenSSL verifies.
private func derECDSASignature(rawConcatenation raw: [UInt8]) -> [UInt8]? {
    guard let signature = ECDSA_SIG_new() else { return nil }
    defer { ECDSA_SIG_free(signature) }
    let r = BN_bin2bn(raw, 32, nil)
    let s = raw.withUnsafeBufferPointer { buffer in BN_bin2bn(buffer.baseAddress! + 32, 32, nil) }
    guard let r, let s, ECDSA_SIG_set0(signature, r, s) == 1 else {
        BN_free(r)
        BN_free(s)
        return nil
    }
    let length = i2d_ECDSA_SIG(signature, nil)
    guard length > 0 else { return nil }
    var der = [UInt8](repeating: 0, count: Int(length))
    der.withUnsafeMutableBufferPointer { buffer in
        var cursor = buffer.baseAddress
        _ = i2d_ECDSA_SIG(signature, &cursor)
    }
    return der
}
