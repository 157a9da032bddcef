import CourierCore
import CourierCrypto
import Foundation
import Testing

@Suite struct CryptoTests {
    @Test func sha256KnownVectors() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha256IncrementalEqualsOneShot() {
        var hasher = SHA256.Hasher()
        hasher.update(Data("a".utf8))
        hasher.update(Data("bc".utf8))
        #expect(hasher.finalize().hexString == SHA256.hex(Data("abc".utf8)))
    }

    /// RFC 4231, test case 2.
    @Test func hmacSHA256KnownVector() {
        let mac = HMACSHA256.authenticationCode(for: Data("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(mac.hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// McGrew–Viega GCM specification, test case 14 (AES-256, zero key, IV and plaintext).
    @Test func aesGCMKnownVector() throws {
        let sealed = try AESGCM.seal([UInt8](repeating: 0, count: 16), key: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 12))
        #expect(sealed.ciphertext.hexString == "cea7403d4d606b6e074ec5d3baf39d18")
        #expect(sealed.tag.hexString == "d0d1c8a799996bf0265b98b5d48ab919")
    }

    @Test func aesGCMRoundTripAndTamperDetection() throws {
        let key = SecureRandom.bytes(32)
        let nonce = SecureRandom.bytes(12)
        let message = Array("api key: s3cr3t".utf8)
        let sealed = try AESGCM.seal(message, key: key, nonce: nonce, associatedData: Array("row-1".utf8))
        #expect(try AESGCM.open(sealed.ciphertext, tag: sealed.tag, key: key, nonce: nonce, associatedData: Array("row-1".utf8)) == message)

        var altered = sealed.ciphertext
        altered[0] ^= 1
        #expect(throws: AESGCM.Failure.authenticationFailed) {
            try AESGCM.open(altered, tag: sealed.tag, key: key, nonce: nonce, associatedData: Array("row-1".utf8))
        }
        #expect(throws: AESGCM.Failure.authenticationFailed) {
            try AESGCM.open(sealed.ciphertext, tag: sealed.tag, key: key, nonce: nonce, associatedData: Array("row-2".utf8))
        }
        #expect(throws: AESGCM.Failure.authenticationFailed) {
            try AESGCM.open(sealed.ciphertext, tag: sealed.tag, key: SecureRandom.bytes(32), nonce: nonce, associatedData: Array("row-1".utf8))
        }
        #expect(throws: AESGCM.Failure.invalidParameters) { try AESGCM.seal(message, key: [1, 2], nonce: nonce) }
    }

    @Test func emptyPlaintextRoundTrips() throws {
        let key = SecureRandom.bytes(32)
        let nonce = SecureRandom.bytes(12)
        let sealed = try AESGCM.seal([], key: key, nonce: nonce)
        #expect(sealed.ciphertext.isEmpty)
        #expect(try AESGCM.open([], tag: sealed.tag, key: key, nonce: nonce).isEmpty)
    }
}

@Suite struct MasterKeyringTests {
    @Test func sealedSecretsOpenOnlyForTheirContext() throws {
        let keyring = MasterKeyring(active: .generate())
        let sealed = try keyring.seal(Array("hunter2".utf8), context: "registration:1")
        #expect(sealed.keyID == keyring.active.id)
        #expect(!sealed.ciphertext.contains("hunter2"))
        #expect(try keyring.open(sealed, context: "registration:1") == Array("hunter2".utf8))
        #expect(throws: CourierError.self) { try keyring.open(sealed, context: "registration:2") }
    }

    @Test func previousKeysStillOpenUntilResealed() throws {
        let old = MasterKey.generate()
        let sealed = try MasterKeyring(active: old).seal(Array("s3cr3t".utf8), context: "c")
        let rotated = MasterKeyring(active: .generate(), previous: [old])
        #expect(rotated.needsResealing(sealed))
        let resealed = try rotated.seal(try rotated.open(sealed, context: "c"), context: "c")
        #expect(!rotated.needsResealing(resealed))
        let withoutOld = MasterKeyring(active: rotated.active)
        #expect(try withoutOld.open(resealed, context: "c") == Array("s3cr3t".utf8))
        let error = try #require(throws: CourierError.self) { try withoutOld.open(sealed, context: "c") }
        #expect(error.code == .internal)
    }

    @Test func keysParseFromBase64AndRejectBadInput() throws {
        let key = MasterKey.generate()
        #expect(try MasterKey(base64: key.base64 + "\n") == key)
        #expect(key.id.count == 16)
        #expect(throws: CourierError.self) { try MasterKey(base64: "not base64!") }
        #expect(throws: CourierError.self) { try MasterKey(base64: Data([1, 2, 3]).base64EncodedString()) }
    }
}

@Suite struct StreamingHMACTests {
    @Test(arguments: [1, 2, 3, 31, 64, 65, 1_000, 5_000])
    func incrementalHMACEqualsOneShot(chunkSize: Int) {
        let message = Data((0..<5_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        for key in [Array("Jefe".utf8), [UInt8](repeating: 0xaa, count: 131)] {
            var authenticator = HMACSHA256.Authenticator(key: key)
            for start in stride(from: 0, to: message.count, by: chunkSize) {
                authenticator.update(message[start..<min(start + chunkSize, message.count)])
            }
            #expect(authenticator.finalize() == HMACSHA256.authenticationCode(for: message, key: key))
        }
    }

    @Test func incrementalHMACOfNothingEqualsOneShot() {
        let authenticator = HMACSHA256.Authenticator(key: Array("key".utf8))
        #expect(authenticator.finalize() == HMACSHA256.authenticationCode(for: Data(), key: Array("key".utf8)))
    }
}
