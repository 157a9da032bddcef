import CourierCore
import CourierCrypto
import CourierTestSupport
import Foundation
import Testing

@Suite struct SignatureTests {
    private let message = Data("DSSEv1 28 application/vnd.in-toto+json 2 {}".utf8)

    @Test(arguments: SigningKeyType.allCases)
    func generatedKeySignsAndVerifies(type: SigningKeyType) throws {
        let signingKey = try SigningKey.generate(type)
        #expect(signingKey.type == type)
        let signature = try signingKey.signature(for: message)
        #expect(signingKey.verificationKey.isValidSignature(signature, for: message))

        let reloadedPrivate = try SigningKey(pem: signingKey.pemRepresentation)
        let reloadedPublic = try VerificationKey(pem: signingKey.verificationKey.pemRepresentation)
        #expect(reloadedPublic.id == signingKey.verificationKey.id)
        #expect(reloadedPrivate.verificationKey.id == signingKey.verificationKey.id)
        #expect(reloadedPublic.isValidSignature(try reloadedPrivate.signature(for: message), for: message))
    }

    @Test(arguments: SigningKeyType.allCases)
    func tamperedMessageOrSignatureIsRejected(type: SigningKeyType) throws {
        let signingKey = try SigningKey.generate(type)
        let signature = try signingKey.signature(for: message)
        var alteredMessage = message
        alteredMessage[0] ^= 1
        var alteredSignature = signature
        alteredSignature[alteredSignature.count / 2] ^= 1
        #expect(!signingKey.verificationKey.isValidSignature(signature, for: alteredMessage))
        #expect(!signingKey.verificationKey.isValidSignature(alteredSignature, for: message))
        #expect(!signingKey.verificationKey.isValidSignature([UInt8](), for: message))
        #expect(try !SigningKey.generate(type).verificationKey.isValidSignature(signature, for: message))
    }

    @Test func generatedP256KeyHasStandardPEMForms() throws {
        let signingKey = try SigningKey.generate()
        #expect(signingKey.type == .ecdsaP256)
        #expect(signingKey.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(signingKey.verificationKey.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(signingKey.verificationKey.id.count == 64)
        #expect(signingKey.verificationKey.id == SHA256.hex(signingKey.verificationKey.derRepresentation))
    }

    @Test func rawConcatenatedECDSASignatureVerifies() throws {
        let signingKey = try SigningKey.generate(.ecdsaP256)
        let der = try signingKey.signature(for: message)
        let raw = rawSignature(fromDER: der)
        #expect(raw.count == 64)
        #expect(signingKey.verificationKey.isValidSignature(raw, for: message))
        var tampered = raw
        tampered[63] ^= 1
        #expect(!signingKey.verificationKey.isValidSignature(tampered, for: message))
    }

    /// Keys made and signatures computed by the `openssl` command line, as a user would with their own tooling.
    @Test(arguments: [
        OpenSSLCase(keyArguments: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], signOptions: []),
        OpenSSLCase(keyArguments: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], signOptions: []),
        OpenSSLCase(
            keyArguments: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            signOptions: ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]),
        OpenSSLCase(keyArguments: ["-algorithm", "ED25519"], signOptions: []),
    ])
    func signatureFromOpenSSLCommandLineVerifies(testCase: OpenSSLCase) async throws {
        let directory = try TemporaryDirectory()
        let privatePath = directory.path("key.pem")
        let publicPath = directory.path("key.pub")
        let messagePath = directory.path("message")
        let signaturePath = directory.path("message.sig")
        try message.write(to: URL(fileURLWithPath: messagePath))
        try await runOpenSSL(["genpkey"] + testCase.keyArguments + ["-out", privatePath])
        try await runOpenSSL(["pkey", "-in", privatePath, "-pubout", "-out", publicPath])
        if testCase.keyArguments.contains("ED25519") {
            try await runOpenSSL(["pkeyutl", "-sign", "-rawin", "-inkey", privatePath, "-in", messagePath, "-out", signaturePath])
        } else {
            try await runOpenSSL(["dgst", "-sha256", "-sign", privatePath] + testCase.signOptions + ["-out", signaturePath, messagePath])
        }

        let verificationKey = try VerificationKey(pem: String(contentsOfFile: publicPath, encoding: .utf8))
        let signature = try Data(contentsOf: URL(fileURLWithPath: signaturePath))
        #expect(verificationKey.isValidSignature(signature, for: message))
        #expect(!verificationKey.isValidSignature(signature, for: Data("something else".utf8)))

        let signingKey = try SigningKey(pem: String(contentsOfFile: privatePath, encoding: .utf8))
        #expect(signingKey.verificationKey.id == verificationKey.id)
    }

    @Test func unsupportedCurveIsRejectedNamingTheSupportedTypes() async throws {
        let directory = try TemporaryDirectory()
        let privatePath = directory.path("p384.pem")
        let publicPath = directory.path("p384.pub")
        try await runOpenSSL(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", privatePath])
        try await runOpenSSL(["pkey", "-in", privatePath, "-pubout", "-out", publicPath])
        let error = #expect(throws: CourierError.self) {
            try VerificationKey(pem: String(contentsOfFile: publicPath, encoding: .utf8))
        }
        #expect(error?.code == .invalidArgument)
        #expect(
            error?.message
                == "The public key is an EC key on curve secp384r1; supported keys are ECDSA P-256, Ed25519 or RSA of at least 2048 bits.")
        #expect(throws: CourierError.self) { try SigningKey(pem: String(contentsOfFile: privatePath, encoding: .utf8)) }
    }

    @Test func unreadablePEMIsRejectedWithAClearSentence() {
        let publicError = #expect(throws: CourierError.self) { try VerificationKey(pem: "not a key") }
        #expect(publicError?.code == .invalidArgument)
        #expect(publicError?.message == "The public key is not a readable PEM public key; expected a '-----BEGIN PUBLIC KEY-----' block.")
        let privateError = #expect(throws: CourierError.self) {
            try SigningKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
        #expect(privateError?.code == .invalidArgument)
        #expect(
            privateError?.message
                == "The private key is not a readable unencrypted PEM private key; expected a '-----BEGIN PRIVATE KEY-----' block.")
    }

    @Test func publicKeyIsNotAPrivateKey() throws {
        let publicPEM = try SigningKey.generate().verificationKey.pemRepresentation
        #expect(throws: CourierError.self) { try SigningKey(pem: publicPEM) }
    }
}

struct OpenSSLCase: Sendable, CustomTestStringConvertible {
    let keyArguments: [String]
    let signOptions: [String]
    var testDescription: String { (keyArguments + signOptions).joined(separator: " ") }
}

/// A directory under the system's temporary directory, removed when the value is released.
private final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("courier-signatures-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

private struct OpenSSLCommandFailed: Error {
    let arguments: [String]
    let status: Int32
}

/// Runs the `openssl` command line; files are the interface.
private func runOpenSSL(_ arguments: [String]) async throws {
    let result = try await runProgram("/usr/bin/openssl", arguments, environment: ["PATH": "/usr/bin:/bin"])
    guard result.status == 0 else { throw OpenSSLCommandFailed(arguments: arguments, status: result.status) }
}

/// The 64-byte `r‖s` form of a DER ECDSA P-256 signature.
private func rawSignature(fromDER der: [UInt8]) -> [UInt8] {
    // SEQUENCE { INTEGER r, INTEGER s }, each at most 33 bytes, so all lengths are single bytes.
    var index = 2
    var raw: [UInt8] = []
    for _ in 0..<2 {
        let length = Int(der[index + 1])
        let integer = der[(index + 2)..<(index + 2 + length)].drop { $0 == 0 }
        raw += [UInt8](repeating: 0, count: 32 - integer.count) + integer
        index += 2 + length
    }
    return raw
}
