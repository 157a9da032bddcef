import COpenSSL
import Foundation

/// SHA-256 digests on OpenSSL.
public enum SHA256 {
    /// The 32-byte SHA-256 digest of `data`.
    public static func digest(_ data: some DataProtocol) -> [UInt8] {
        var hasher = Hasher()
        hasher.update(data)
        return hasher.finalize()
    }

    /// The lowercase hex SHA-256 digest of `data`.
    public static func hex(_ data: some DataProtocol) -> String {
        digest(data).hexString
    }

    /// An incremental SHA-256 computation, for content that arrives in chunks.
    public struct Hasher: ~Copyable {
        private let context: OpaquePointer

        public init() {
            guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
                fatalError("OpenSSL could not initialise SHA-256")
            }
            self.context = context
        }

        deinit { EVP_MD_CTX_free(context) }

        /// Feeds more bytes into the digest.
        public mutating func update(_ data: some DataProtocol) {
            for region in data.regions {
                region.withUnsafeBytes { buffer in
                    _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
                }
            }
        }

        /// The digest of everything fed so far.
        public consuming func finalize() -> [UInt8] {
            var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            EVP_DigestFinal_ex(context, &output, &length)
            return Array(output.prefix(Int(length)))
        }
    }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal rendering of the bytes.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        for byte in self {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
