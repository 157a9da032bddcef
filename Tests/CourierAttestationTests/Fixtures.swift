import CourierAttestation
import CourierIntegrationKit
import Foundation

/// The real Chainloop files in `shared/testdata/chainloop/`, beside the work tree.
enum ChainloopFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/testdata/chainloop").standardizedFileURL

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }
}

/// An unsigned envelope around `statement`, with the payload encoded by `encodePayload` (standard base64 by default).
func envelopeData(
    statement: JSONValue,
    encodePayload: (Data) -> String = { $0.base64EncodedString() }
) -> Data {
    let envelope: JSONValue = [
        "payloadType": .string(DSSE.inTotoPayloadType),
        "payload": .string(encodePayload(Data(statement.serialized().utf8))),
        "signatures": [],
    ]
    return Data(envelope.serialized().utf8)
}

/// A v0.1 Chainloop statement whose predicate has the given materials.
func chainloopStatement(materials: [JSONValue], predicateType: String = AttestationDocument.chainloopPredicateType) -> JSONValue {
    [
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": .string(predicateType),
        "subject": [["name": "chainloop.dev/workflow/test", "digest": ["sha256": "00"]]],
        "predicate": ["metadata": ["name": "test", "project": "p"], "runnerType": "RUNNER_TYPE_UNSPECIFIED", "materials": .array(materials)],
    ]
}
