import CourierCrypto
import CourierWire
import Foundation
import Testing

@testable import CourierCLI

@Suite("Key commands")
struct KeyCommandTests {
    private let key = KeyDTO(name: "ci", keyID: "ab12cd", algorithm: "ecdsa-p256", createdAt: sampleDate)

    private let keyTable = """
        ┌──────┬────────┬────────────┬─────────────────────────┐
        │ NAME │ KEY ID │ ALGORITHM  │ CREATED AT              │
        ├──────┼────────┼────────────┼─────────────────────────┤
        │ ci   │ ab12cd │ ecdsa-p256 │ 2026-12-04 15:24:42 UTC │
        └──────┴────────┴────────────┴─────────────────────────┘

        """

    @Test func generateWritesAPrivateKeyOnlyTheOwnerReadsAndItsPublicKey() async throws {
        let harness = Harness()
        let prefix = harness.home.appendingPathComponent("signing").path
        let result = await harness.run(["key", "generate", "--out", prefix])
        #expect(result.status == 0)
        #expect(result.standardError.isEmpty)
        #expect(harness.transport.requests.isEmpty)

        let privatePEM = try String(contentsOfFile: prefix + ".key", encoding: .utf8)
        let publicPEM = try String(contentsOfFile: prefix + ".pub", encoding: .utf8)
        #expect(try FileManager.default.attributesOfItem(atPath: prefix + ".key")[.posixPermissions] as? Int == 0o600)
        let signingKey = try SigningKey(pem: privatePEM)
        #expect(signingKey.type == .ecdsaP256)
        #expect(signingKey.verificationKey.pemRepresentation == publicPEM)
        let message = Data("message".utf8)
        #expect(try VerificationKey(pem: publicPEM).isValidSignature(try signingKey.signature(for: message), for: message))
        #expect(
            result.standardOutput == """
                Wrote the private key to \(prefix).key (keep it secret) and the public key to \(prefix).pub.
                Key ID: \(signingKey.verificationKey.id)

                """)
    }

    @Test func generatePrintsThePairAsJSON() async throws {
        let harness = Harness()
        let prefix = harness.home.appendingPathComponent("signing").path
        let result = await harness.run(["key", "generate", "--out", prefix, "-o", "json"])
        let printed = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: String]
        let keyID = try SigningKey(pem: try String(contentsOfFile: prefix + ".key", encoding: .utf8)).verificationKey.id
        #expect(printed == ["privateKey": prefix + ".key", "publicKey": prefix + ".pub", "keyID": keyID])
    }

    @Test(arguments: [".key", ".pub"])
    func generateRefusesToOverwrite(existing suffix: String) async throws {
        let harness = Harness()
        let prefix = harness.home.appendingPathComponent("signing").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: prefix + suffix))
        let result = await harness.run(["key", "generate", "--out", prefix])
        #expect(result.status == 1)
        #expect(result.standardError == "Error: \(prefix)\(suffix) already exists; remove it or choose another --out prefix.\n")
        #expect(try String(contentsOfFile: prefix + suffix, encoding: .utf8) == "keep me")
        let other = suffix == ".key" ? ".pub" : ".key"
        #expect(!FileManager.default.fileExists(atPath: prefix + other))
    }

    @Test func addSendsThePublicKeyFile() async throws {
        let harness = Harness()
        harness.transport.respond("POST", "/v1/keys", status: 201, json: key)
        let publicKeyFile = harness.home.appendingPathComponent("ci.pub")
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"
        try Data(pem.utf8).write(to: publicKeyFile)
        let result = await harness.runAuthenticated(["key", "add", "--name", "ci", "--public-key", publicKeyFile.path])
        #expect(result.status == 0)
        #expect(result.standardOutput == keyTable)
        let request = try #require(harness.transport.requests.first)
        #expect(request.method == "POST" && request.url.path == "/v1/keys")
        #expect(try Wire.decoder.decode(AddKeyRequest.self, from: try #require(request.body)) == AddKeyRequest(name: "ci", publicKey: pem))

        let json = await harness.runAuthenticated(["key", "add", "--name", "ci", "--public-key", publicKeyFile.path, "-o", "json"])
        #expect(try decodeJSON(KeyDTO.self, json.standardOutput) == key)
    }

    @Test func addFailsOnAnUnreadableFileWithoutCallingTheServer() async {
        let harness = Harness()
        let result = await harness.runAuthenticated(["key", "add", "--name", "ci", "--public-key", "/nonexistent/ci.pub"])
        #expect(result.status == 1)
        #expect(result.standardError == "Error: Could not read the public key file /nonexistent/ci.pub; check that it exists and is readable.\n")
        #expect(harness.transport.requests.isEmpty)
    }

    @Test func listPrintsTheKeysByNameOrASentence() async throws {
        let harness = Harness()
        let other = KeyDTO(name: "release", keyID: "ef34", algorithm: "ed25519", createdAt: sampleDate)
        harness.transport.respond("GET", "/v1/keys", json: KeyListDTO(keys: [other, key]))
        let result = await harness.runAuthenticated(["key", "list"])
        #expect(
            result.standardOutput == """
                ┌─────────┬────────┬────────────┬─────────────────────────┐
                │ NAME    │ KEY ID │ ALGORITHM  │ CREATED AT              │
                ├─────────┼────────┼────────────┼─────────────────────────┤
                │ ci      │ ab12cd │ ecdsa-p256 │ 2026-12-04 15:24:42 UTC │
                │ release │ ef34   │ ed25519    │ 2026-12-04 15:24:42 UTC │
                └─────────┴────────┴────────────┴─────────────────────────┘

                """)
        let json = await harness.runAuthenticated(["key", "ls", "-o", "json"])
        #expect(try decodeJSON([KeyDTO].self, json.standardOutput) == [key, other])

        harness.transport.respond("GET", "/v1/keys", json: KeyListDTO(keys: []))
        let empty = await harness.runAuthenticated(["key", "list"])
        #expect(
            empty.standardOutput
                == "There are no verification keys yet, so unsigned attestations are accepted; "
                + "add one with 'courier key add --name NAME --public-key FILE'.\n")
    }
}
