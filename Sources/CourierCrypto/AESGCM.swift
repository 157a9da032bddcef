import COpenSSL
import Foundation

/// AES-256-GCM authenticated encryption on OpenSSL.
public enum AESGCM {
    /// Key length in bytes.
    public static let keyLength = 32
    /// Nonce length in bytes (96 bits, as GCM recommends).
    public static let nonceLength = 12
    /// Authentication tag length in bytes.
    public static let tagLength = 16

    /// A failure to encrypt or to authenticate a ciphertext.
    public enum Failure: Error, Sendable, Equatable {
        /// The key is not 32 bytes or the nonce not 12.
        case invalidParameters
        /// The ciphertext, its tag or its associated data were altered, or the key is wrong.
        case authenticationFailed
        /// OpenSSL reported an internal failure.
        case library
    }

    /// Encrypts `plaintext`, returning the ciphertext and its 16-byte tag.
    public static func seal(
        _ plaintext: [UInt8],
        key: [UInt8],
        nonce: [UInt8],
        associatedData: [UInt8] = []
    ) throws(Failure) -> (ciphertext: [UInt8], tag: [UInt8]) {
        guard key.count == keyLength, nonce.count == nonceLength else { throw .invalidParameters }
        guard let context = EVP_CIPHER_CTX_new() else { throw .library }
        defer { EVP_CIPHER_CTX_free(context) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var tag = [UInt8](repeating: 0, count: tagLength)
        var length: Int32 = 0
        var total = 0
        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceLength), nil) == 1,
            EVP_EncryptInit_ex(context, nil, nil, key, nonce) == 1
        else { throw .library }
        if !associatedData.isEmpty {
            guard EVP_EncryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1 else { throw .library }
        }
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(context, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1 else { throw .library }
            total = Int(length)
        }
        let finished = ciphertext.withUnsafeMutableBufferPointer { buffer in
            EVP_EncryptFinal_ex(context, buffer.baseAddress! + total, &length)
        }
        guard finished == 1 else { throw .library }
        total += Int(length)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag) == 1 else { throw .library }
        return (Array(ciphertext.prefix(total)), tag)
    }

    /// Decrypts and authenticates `ciphertext`.
    ///
    /// - Throws: `authenticationFailed` when the tag does not match (tampering or wrong key).
    public static func open(
        _ ciphertext: [UInt8],
        tag: [UInt8],
        key: [UInt8],
        nonce: [UInt8],
        associatedData: [UInt8] = []
    ) throws(Failure) -> [UInt8] {
        guard key.count == keyLength, nonce.count == nonceLength, tag.count == tagLength else { throw .invalidParameters }
        guard let context = EVP_CIPHER_CTX_new() else { throw .library }
        defer { EVP_CIPHER_CTX_free(context) }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + tagLength)
        var length: Int32 = 0
        var total = 0
        var expectedTag = tag
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceLength), nil) == 1,
            EVP_DecryptInit_ex(context, nil, nil, key, nonce) == 1
        else { throw .library }
        if !associatedData.isEmpty {
            guard EVP_DecryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1 else { throw .library }
        }
        if !ciphertext.isEmpty {
            guard EVP_DecryptUpdate(context, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1 else { throw .library }
            total = Int(length)
        }
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &expectedTag) == 1 else { throw .library }
        let verified = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress! + total, &length)
        }
        guard verified == 1 else { throw .authenticationFailed }
        total += Int(length)
        return Array(plaintext.prefix(total))
    }
}

/// Cryptographically secure random bytes from OpenSSL.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { fatalError("OpenSSL's random generator failed") }
        return bytes
    }
}

/// HMAC-SHA256 on OpenSSL.
public enum HMACSHA256 {
    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    public static func authenticationCode(for message: some DataProtocol, key: [UInt8]) -> [UInt8] {
        let bytes = Array(message)
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = key.withUnsafeBufferPointer { keyBuffer in
            HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(key.count), bytes, bytes.count, &output, &length)
        }
        return Array(output.prefix(Int(length)))
    }

    /// An incremental HMAC-SHA256 computation, for messages that arrive in chunks: the same code as
    /// ``authenticationCode(for:key:)`` over the concatenation of every chunk.
    public struct Authenticator: ~Copyable {
        private let context: OpaquePointer

        /// Starts a computation under `key`.
        public init(key: [UInt8]) {
            let zero: UInt8 = 0
            let context = key.withUnsafeBufferPointer { keyBuffer in
                withUnsafePointer(to: zero) { cossl_hmac_sha256_new(keyBuffer.baseAddress ?? $0, keyBuffer.count) }
            }
            guard let context else { fatalError("OpenSSL could not initialise HMAC-SHA256") }
            self.context = context
        }

        deinit { EVP_MAC_CTX_free(context) }

        /// Feeds the next bytes of the message.
        public mutating func update(_ data: some DataProtocol) {
            for region in data.regions {
                region.withUnsafeBytes { buffer in
                    guard let base = buffer.baseAddress else { return }
                    _ = EVP_MAC_update(context, base.assumingMemoryBound(to: UInt8.self), buffer.count)
                }
            }
        }

        /// The 32-byte code of everything fed so far.
        public consuming func finalize() -> [UInt8] {
            let capacity = Int(EVP_MAX_MD_SIZE)
            var output = [UInt8](repeating: 0, count: capacity)
            var length = 0
            _ = EVP_MAC_final(context, &output, &length, capacity)
            return Array(output.prefix(length))
        }
    }
}
