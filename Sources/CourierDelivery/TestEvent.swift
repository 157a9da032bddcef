import CourierCrypto
import CourierIntegrationKit
import Foundation

/// The attestation a test delivery sends: a minimal, unsigned Chainloop attestation of a workflow named
/// `courier-test`, so a receiver sees what a real delivery looks like without any real run.
enum TestEvent {
    static func request(
        deliveryID: String,
        at date: Date,
        registration: Registration,
        attachmentConfiguration: JSONValue,
        progress: DeliveryProgress
    ) -> ExecutionRequest {
        let envelope = self.envelope(at: date)
        let digest = "sha256:" + SHA256.hex(envelope)
        return ExecutionRequest(
            workflow: WorkflowMetadata(id: "test", name: "courier-test", team: "", project: "courier"),
            run: RunMetadata(
                id: deliveryID,
                state: "success",
                startedAt: date,
                finishedAt: date,
                runnerType: "UNSPECIFIED",
                runURL: "",
                attestationDigest: digest
            ),
            attestation: AttestationInput(envelope: envelope, hash: digest, annotations: ["courier.test": "true"]),
            materials: [],
            registration: registration,
            attachmentConfiguration: attachmentConfiguration,
            progress: progress
        )
    }

    /// A DSSE envelope, without signatures, of an in-toto v1 statement with an empty Chainloop predicate.
    static func envelope(at date: Date) -> Data {
        let statement: JSONValue = [
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [],
            "predicateType": "chainloop.dev/attestation/v0.2",
            "predicate": [
                "metadata": ["name": "courier-test", "project": "courier", "finishedAt": .string(date.formatted(.iso8601))],
                "annotations": ["courier.test": "true"],
                "materials": [],
            ],
        ]
        let payload = Data(statement.serialized().utf8).base64EncodedString()
        let envelope: JSONValue = ["payloadType": "application/vnd.in-toto+json", "payload": .string(payload), "signatures": []]
        return Data(envelope.serialized().utf8)
    }
}
