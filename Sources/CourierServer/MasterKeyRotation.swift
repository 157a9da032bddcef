import CourierCore
import CourierCrypto
import CourierIntegrationKit
import CourierLogging
import Foundation

/// `courier serve --rotate-master-key`: re-seals every stored credential under a new active key.
///
/// With the key file, a new key is generated and written first beside the old ones, so a crash at any point leaves
/// every credential readable; once all are re-sealed in one transaction, the old keys are dropped from the file.
/// With `COURIER_MASTER_KEY`, the operator sets the new key there and the old ones in `COURIER_PREVIOUS_MASTER_KEYS`.
enum MasterKeyRotation {
    /// Rotates and returns the keyring to serve with.
    static func rotate(
        _ keyring: MasterKeyring,
        store: any Store,
        dataDirectory: URL,
        environment: [String: String],
        logger: Logger
    ) async throws -> MasterKeyring {
        let usesFile = !MasterKeySource.usesEnvironment(environment)
        let rotating = usesFile ? MasterKeyring(active: .generate(), previous: [keyring.active] + keyring.previous) : keyring
        let file = MasterKeySource.keyFile(in: dataDirectory)
        if usesFile {
            try MasterKeySource.write(rotating, to: file)
        }
        let resealed = try await store.write { tx in
            var count = 0
            for registration in try tx.registrationsWithCredentials() {
                guard let sealed = registration.credentials, rotating.needsResealing(sealed) else { continue }
                let context = IntegrationService.sealingContext(registrationID: registration.id)
                let plaintext = try rotating.open(sealed, context: context)
                try tx.updateRegistrationCredentials(id: registration.id, credentials: try rotating.seal(plaintext, context: context))
                count += 1
            }
            return count
        }
        let final = MasterKeyring(active: rotating.active)
        if usesFile {
            try MasterKeySource.write(final, to: file)
        }
        logger.info("Master key rotated", ["master_key.id": final.active.id, "credentials.resealed": String(resealed)])
        return final
    }
}
