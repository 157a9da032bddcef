import CourierIntegrationKit
import Foundation

/// A DSSE envelope (Dead Simple Signing Envelope): a typed payload and the signatures over it.
public struct DSSEEnvelope: Sendable, Hashable {
    /// The payload type; attestations use ``DSSE/inTotoPayloadType``.
    public var payloadType: String
    /// The payload bytes (decoded from base64).
    public var payload: Data
    /// The signatures, possibly none.
    public var signatures: [DSSESignature]

    /// Creates an envelope.
    public init(payloadType: String, payload: Data, signatures: [DSSESignature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// The compact JSON `{"payloadType":…,"payload":<base64>,"signatures":[{"keyid":…,"sig":<base64>}]}`, byte for byte
    /// what Go's `encoding/json` writes for a DSSE envelope; upstream's attestation hash is computed over it.
    public var canonicalJSON: Data {
        let signatures = signatures.map { signature -> JSONValue in
            ["keyid": .string(signature.keyID), "sig": .string(signature.signature.base64EncodedString())]
        }
        let envelope: JSONValue = [
            "payloadType": .string(payloadType),
            "payload": .string(payload.base64EncodedString()),
            "signatures": .array(signatures),
        ]
        return Data(envelope.serialized().utf8)
    }

    /// The bytes a signature covers: the DSSE pre-authentication encoding of the payload type and payload.
    public var signedBytes: Data {
        DSSE.preAuthenticationEncoding(payloadType: payloadType, payload: payload)
    }
}

/// One signature of a DSSE envelope.
public struct DSSESignature: Sendable, Hashable {
    /// The signer's key id, possibly empty (Chainloop and Sigstore leave it empty).
    public var keyID: String
    /// The signature bytes (decoded from base64).
    public var signature: Data

    /// Creates a signature.
    public init(keyID: String, signature: Data) {
        self.keyID = keyID
        self.signature = signature
    }
}

/// Constants and the pre-authentication encoding of DSSE v1.
public enum DSSE {
    /// The payload type of in-toto attestations.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"

    /// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal bytes: what DSSE signatures sign.
    public static func preAuthenticationEncoding(payloadType: String, payload: Data) -> Data {
        let type = Data(payloadType.utf8)
        var encoding = Data("DSSEv1 \(type.count) ".utf8)
        encoding.append(type)
        encoding.append(Data(" \(payload.count) ".utf8))
        encoding.append(payload)
        return encoding
    }
}

extension Data {
    /// Decodes standard base64 and also tolerates the URL-safe alphabet, missing padding and line breaks.
    init?(lenientBase64 text: String) {
        var normalized = String(
            text.unicodeScalars.compactMap { scalar -> Character? in
                switch scalar {
                case "-": "+"
                case "_": "/"
                case " ", "\n", "\r", "\t": nil
                default: Character(scalar)
                }
            })
        let remainder = normalized.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        self.init(base64Encoded: normalized)
    }
}
