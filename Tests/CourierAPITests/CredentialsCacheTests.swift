import CourierCore
import CourierCrypto
import CourierIntegrationKit
import CourierStorage
import CourierTestSupport
import Foundation
import Synchronization
import Testing

@Suite struct OpenedCredentialsTests {
    /// Counts the secrets it opens, sealing and opening with a real keyring.
    final class CountingSealer: SecretSealer {
        let keyring = MasterKeyring(active: .generate())
        let opened = Mutex(0)

        func seal(_ plaintext: [UInt8], context: String) throws -> SealedSecret { try keyring.seal(plaintext, context: context) }

        func open(_ sealed: SealedSecret, context: String) throws -> [UInt8] {
            opened.withLock { $0 += 1 }
            return try keyring.open(sealed, context: context)
        }
    }

    func registration(id: String, sealed: SealedSecret) -> IntegrationRegistration {
        IntegrationRegistration(
            id: id, organizationID: "org", name: "hook", kind: "webhook", description: "", configuration: "{}", credentials: sealed,
            createdAt: Date())
    }

    @Test func credentialsAreOpenedOncePerSealedTextAndStillBoundToTheirRegistration() throws {
        let sealer = CountingSealer()
        let service = IntegrationService(
            store: InMemoryStore(), environment: .testing(), catalog: try IntegrationCatalog([]), sealer: sealer,
            context: IntegrationContext(http: UnreachableHTTPClient()))
        let context = IntegrationService.sealingContext(registrationID: "r1")
        let first = try sealer.seal(Array(#"{"Password":"one"}"#.utf8), context: context)
        #expect(try service.credentials(of: registration(id: "r1", sealed: first))?[Credentials.passwordField] == "one")
        #expect(try service.credentials(of: registration(id: "r1", sealed: first))?[Credentials.passwordField] == "one")
        #expect(sealer.opened.withLock { $0 } == 1, "the second read is served from the opened credentials")

        let rotated = try sealer.seal(Array(#"{"Password":"two"}"#.utf8), context: context)
        #expect(try service.credentials(of: registration(id: "r1", sealed: rotated))?[Credentials.passwordField] == "two")
        #expect(sealer.opened.withLock { $0 } == 2, "new credentials are opened anew")

        #expect(throws: CourierError.self, "sealed for r1, so another registration cannot open them") {
            try service.credentials(of: registration(id: "r2", sealed: first))
        }
    }
}
