import CourierCore
import CourierCrypto
import CourierIntegrationKit
import Foundation

/// Signs in-toto statements into DSSE envelopes.
public struct DSSESigner: Sendable {
    /// The signing key.
    public let key: SigningKey

    /// A signer using `key`.
    public init(key: SigningKey) {
        self.key = key
    }

    /// A signer using a PEM private key, e.g. the `PREFIX.key` written by `courier key generate`.
    ///
    /// - Throws: `invalidArgument` when the PEM is unreadable or of an unsupported type.
    public init(privateKeyPEM: String) throws(CourierError) {
        self.init(key: try SigningKey(pem: privateKeyPEM))
    }

    /// An envelope of `payload` with one signature over its pre-authentication encoding; the signature's `keyid`
    /// is the public key's id.
    public func sign(payload: Data, payloadType: String = DSSE.inTotoPayloadType) throws(CourierError) -> DSSEEnvelope {
        let signature = try key.signature(for: DSSE.preAuthenticationEncoding(payloadType: payloadType, payload: payload))
        return DSSEEnvelope(
            payloadType: payloadType,
            payload: payload,
            signatures: [DSSESignature(keyID: key.verificationKey.id, signature: Data(signature))]
        )
    }

    /// An in-toto envelope of `statement` (compact JSON), signed.
    public func sign(statement: JSONValue) throws(CourierError) -> DSSEEnvelope {
        try sign(payload: Data(statement.serialized().utf8))
    }
}
