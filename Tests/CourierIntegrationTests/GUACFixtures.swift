import CourierCrypto
import CourierIntegrationKit
import Foundation

/// One attestation with a CycloneDX and an SPDX SBOM (and a container image, which guac does not subscribe to).
enum GUACFixtures {
    static let statement =
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"chainloop.dev/attestation/v0.2","predicate":{}}"#
    static let envelope = Data(
        #"{"payloadType":"application/vnd.in-toto+json","payload":"\#(Data(statement.utf8).base64EncodedString())","#
            .appending(#""signatures":[{"keyid":"k","sig":"c2ln"}]}"#).utf8
    )
    static let attestationHex = SHA256.hex(envelope)
    static let cycloneDX = Data(#"{"bomFormat":"CycloneDX","specVersion":"1.5"}"#.utf8)
    static let cycloneDXHex = SHA256.hex(cycloneDX)
    static let spdx = Data(#"{"spdxVersion":"SPDX-2.3"}"#.utf8)

    static let workflow = WorkflowMetadata(id: "wf-1", name: "build", team: "core", project: "foo")
    static let runID = "run-1"

    /// A delivery of the fixtures; the SPDX material has no digest (its content's is used) and its content is read
    /// through `spdxContent`.
    static func request(
        registration: Registration, delivered: [String: String] = [:], spdxContent: MaterialContent = .inline(spdx)
    ) -> ExecutionRequest {
        let now = Date(timeIntervalSince1970: 1_767_261_600)
        return ExecutionRequest(
            workflow: workflow,
            run: RunMetadata(
                id: runID, state: "success", startedAt: now, finishedAt: now, runnerType: "GITHUB_ACTION", runURL: "",
                attestationDigest: "sha256:abc"
            ),
            attestation: AttestationInput(envelope: envelope, hash: "sha256:" + attestationHex),
            materials: [
                ExecutionMaterial(
                    name: "cdx", type: .sbomCycloneDXJSON, filename: "sbom.cyclonedx.json", digest: "sha256:" + cycloneDXHex,
                    content: .inline(cycloneDX)
                ),
                ExecutionMaterial(name: "image", type: .containerImage, value: "ghcr.io/x:1", content: .inline(Data("ghcr.io/x:1".utf8))),
                ExecutionMaterial(name: "spdx", type: .sbomSPDXJSON, filename: "sbom.spdx.json", content: spdxContent),
            ],
            registration: registration,
            attachmentConfiguration: [:],
            progress: DeliveryProgress(deliveryID: "del-1", attempt: delivered.isEmpty ? 1 : 2, deliveredParts: delivered)
        )
    }

    /// Upstream's six metadata keys.
    static func expectedMetadata(filename: String) -> [String: String] {
        [
            "author": "chainloop", "workflowID": workflow.id, "workflowName": workflow.name, "workflowProject": workflow.project,
            "workflowRunID": runID, "filename": filename,
        ]
    }
}
