import CourierCore
import CourierCrypto
import CourierIntegrationKit
import Foundation

/// The in-toto Statement versions Courier reads.
public enum InTotoStatementType: String, Sendable, Hashable, CaseIterable {
    /// `https://in-toto.io/Statement/v0.1`, written by older Chainloop CLIs.
    case v0_1 = "https://in-toto.io/Statement/v0.1"
    /// `https://in-toto.io/Statement/v1`.
    case v1 = "https://in-toto.io/Statement/v1"
}

/// How the attestation arrived.
public enum AttestationContainer: Sendable, Hashable {
    /// A bare DSSE envelope.
    case envelope
    /// A Sigstore bundle wrapping the DSSE envelope; the associated value is the bundle's media type.
    case sigstoreBundle(mediaType: String)
}

/// One subject of an in-toto statement.
public struct AttestationSubject: Sendable, Hashable {
    /// The subject name, e.g. `chainloop.workflow.build` or an image reference.
    public var name: String
    /// Digests by algorithm, e.g. `["sha256": "…"]`.
    public var digest: [String: String]
    /// The subject's annotations (Statement v1), as given.
    public var annotations: JSONObject

    /// Creates a subject.
    public init(name: String, digest: [String: String], annotations: JSONObject = [:]) {
        self.name = name
        self.digest = digest
        self.annotations = annotations
    }
}

/// An attestation that passed ``AttestationDocument/parse(_:)``: its envelope, statement and Chainloop predicate.
public struct ParsedAttestation: Sendable {
    /// Whether it came as a bare envelope or inside a Sigstore bundle.
    public var container: AttestationContainer
    /// The DSSE envelope.
    public var envelope: DSSEEnvelope
    /// The in-toto statement version.
    public var statementType: InTotoStatementType
    /// The whole decoded statement.
    public var statement: JSONValue
    /// The statement's subjects.
    public var subjects: [AttestationSubject]
    /// The Chainloop predicate.
    public var predicate: ChainloopPredicate

    /// ``DSSEEnvelope/canonicalJSON`` of the envelope: what integrations receive as the attestation.
    public var canonicalEnvelope: Data { envelope.canonicalJSON }

    /// Upstream's attestation hash: `sha256:<hex>` of ``canonicalEnvelope``.
    public var hash: String { "sha256:" + SHA256.hex(canonicalEnvelope) }

    /// Whether the envelope carries at least one signature (verified or not).
    public var isSigned: Bool { !envelope.signatures.isEmpty }
}

/// Reads attestations: DSSE envelopes and Sigstore bundles carrying Chainloop in-toto statements.
public enum AttestationDocument {
    /// The only predicate type Courier accepts.
    public static let chainloopPredicateType = "chainloop.dev/attestation/v0.2"
    /// The media type prefix of Sigstore bundles.
    public static let sigstoreBundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle"

    /// Parses a DSSE envelope or Sigstore bundle whose payload is an in-toto statement (v0.1 or v1) with a Chainloop
    /// v0.2 predicate. Envelopes without signatures are accepted; verifying signatures is ``DSSEVerifier``'s job.
    ///
    /// - Throws: `invalidArgument` with one sentence naming the problem and what is expected.
    public static func parse(_ data: Data) throws(CourierError) -> ParsedAttestation {
        guard let document = try? JSONValue(parsing: data) else {
            throw .invalid("The attestation is not valid JSON; push a DSSE envelope or a Sigstore bundle in JSON form.")
        }
        guard case .object(let object) = document else { throw notAnAttestation }
        let container: AttestationContainer
        let envelopeObject: JSONObject
        if let mediaType = object["mediaType"]?.stringValue, mediaType.hasPrefix(sigstoreBundleMediaTypePrefix) {
            guard let dsseEnvelope = object["dsseEnvelope"]?.objectValue else {
                throw .invalid(
                    "The Sigstore bundle has no 'dsseEnvelope'; only bundles that wrap a DSSE attestation envelope are accepted.")
            }
            container = .sigstoreBundle(mediaType: mediaType)
            envelopeObject = dsseEnvelope
        } else if object["payloadType"] != nil || object["payload"] != nil {
            container = .envelope
            envelopeObject = object
        } else {
            throw notAnAttestation
        }
        let envelope = try decodeEnvelope(envelopeObject)
        return try decodeStatement(of: envelope, container: container)
    }

    private static let notAnAttestation = CourierError.invalid(
        "The document is neither a DSSE envelope (with 'payloadType', 'payload' and 'signatures') nor a Sigstore bundle "
            + "(with 'mediaType' and 'dsseEnvelope'); push an attestation made by Chainloop or by 'courier attestation push'.")

    private static func decodeEnvelope(_ object: JSONObject) throws(CourierError) -> DSSEEnvelope {
        let payloadType = object["payloadType"]?.stringValue ?? ""
        guard payloadType == DSSE.inTotoPayloadType else {
            throw .invalid("The envelope's payloadType is '\(payloadType)'; expected '\(DSSE.inTotoPayloadType)'.")
        }
        guard let encodedPayload = object["payload"]?.stringValue, let payload = Data(lenientBase64: encodedPayload) else {
            throw .invalid("The envelope's payload is not valid base64; it must be the base64-encoded in-toto statement.")
        }
        var signatures: [DSSESignature] = []
        switch object["signatures"] {
        case nil, .null:
            break
        case .array(let entries):
            for (index, entry) in entries.enumerated() {
                guard let encodedSignature = entry.objectValue?["sig"]?.stringValue,
                    let signature = Data(lenientBase64: encodedSignature)
                else {
                    throw .invalid("Signature \(index + 1) of the envelope has no valid base64 'sig'.")
                }
                signatures.append(DSSESignature(keyID: entry.objectValue?["keyid"]?.stringValue ?? "", signature: signature))
            }
        default:
            throw .invalid("The envelope's 'signatures' is not a list; expected [{\"keyid\": …, \"sig\": …}].")
        }
        return DSSEEnvelope(payloadType: payloadType, payload: payload, signatures: signatures)
    }

    private static func decodeStatement(
        of envelope: DSSEEnvelope,
        container: AttestationContainer
    ) throws(CourierError) -> ParsedAttestation {
        guard let statement = try? JSONValue(parsing: envelope.payload), case .object(let object) = statement,
            let type = object["_type"]?.stringValue
        else {
            throw .invalid(
                "The envelope's payload is not an in-toto statement; expected a JSON object with '_type', 'subject', "
                    + "'predicateType' and 'predicate'.")
        }
        guard let statementType = InTotoStatementType(rawValue: type) else {
            throw .invalid(
                "The statement type '\(type)' is not supported; expected '\(InTotoStatementType.v0_1.rawValue)' "
                    + "or '\(InTotoStatementType.v1.rawValue)'.")
        }
        let predicateType = object["predicateType"]?.stringValue ?? ""
        guard predicateType == chainloopPredicateType else {
            throw .invalid(
                "The predicate type '\(predicateType)' is not supported; Courier accepts Chainloop attestations "
                    + "with predicate type '\(chainloopPredicateType)'.")
        }
        guard let predicate = object["predicate"]?.objectValue else {
            throw .invalid("The statement has no predicate object; a Chainloop '\(chainloopPredicateType)' predicate is expected.")
        }
        return ParsedAttestation(
            container: container,
            envelope: envelope,
            statementType: statementType,
            statement: statement,
            subjects: subjects(of: object["subject"]),
            predicate: ChainloopPredicate(predicate)
        )
    }

    private static func subjects(of value: JSONValue?) -> [AttestationSubject] {
        guard case .array(let entries) = value else { return [] }
        return entries.compactMap { entry in
            guard let subject = entry.objectValue else { return nil }
            return AttestationSubject(
                name: subject["name"]?.stringValue ?? "",
                digest: subject["digest"]?.objectValue?.dictionary.compactMapValues(\.stringValue) ?? [:],
                annotations: subject["annotations"]?.objectValue ?? [:]
            )
        }
    }
}
