import CourierCore
import CourierCrypto
import Foundation

/// Verifies DSSE envelopes against an organization's verification keys.
public struct DSSEVerifier: Sendable {
    /// A verification key and the name the organization gave it.
    public struct NamedKey: Sendable {
        /// The name given with `courier key add --name`.
        public var name: String
        /// The public key.
        public var key: VerificationKey

        /// Pairs a name with a key.
        public init(name: String, key: VerificationKey) {
            self.name = name
            self.key = key
        }

        /// Loads a PEM public key under `name`.
        ///
        /// - Throws: `invalidArgument` when the PEM is unreadable or of an unsupported type.
        public init(name: String, pem: String) throws(CourierError) {
            self.init(name: name, key: try VerificationKey(pem: pem))
        }
    }

    /// Which key verified which signature.
    public struct Verification: Sendable, Hashable {
        /// The name of the key that verified a signature.
        public var keyName: String
        /// That key's id (``VerificationKey/id``).
        public var keyID: String
        /// The position of the verified signature in the envelope.
        public var signatureIndex: Int
    }

    /// The organization's keys.
    public let keys: [NamedKey]

    /// A verifier trusting `keys`.
    public init(keys: [NamedKey]) {
        self.keys = keys
    }

    /// The first key that verifies some signature of `envelope`; signatures whose `keyid` names a key are tried with that
    /// key first.
    ///
    /// - Throws: `failedPrecondition` when there are no keys; `invalidArgument` when the envelope is unsigned or no
    ///   signature verifies with any key.
    public func verify(_ envelope: DSSEEnvelope) throws(CourierError) -> Verification {
        guard !keys.isEmpty else {
            throw CourierError(
                .failedPrecondition, "The organization has no verification keys; add one with 'courier key add' to verify attestations.")
        }
        let keyNames = keys.map(\.name).joined(separator: ", ")
        guard !envelope.signatures.isEmpty else {
            throw .invalid(
                "The attestation is not signed, but the organization requires a signature by one of its keys (\(keyNames)); "
                    + "sign it with 'courier attestation push --key'.")
        }
        let signedBytes = envelope.signedBytes
        for (index, signature) in envelope.signatures.enumerated() {
            let preferred = keys.filter { $0.key.id == signature.keyID }
            for candidate in preferred + keys where candidate.key.isValidSignature(signature.signature, for: signedBytes) {
                return Verification(keyName: candidate.name, keyID: candidate.key.id, signatureIndex: index)
            }
        }
        throw .invalid(
            "The attestation's signature does not verify with any of the organization's keys (\(keyNames)); "
                + "sign it with one of them or add its public key with 'courier key add'.")
    }
}
