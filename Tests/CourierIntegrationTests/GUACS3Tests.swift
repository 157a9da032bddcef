import CourierAWS
import CourierCrypto
import CourierGUAC
import CourierHTTPClient
import CourierIntegrationKit
import CourierTestSupport
import Foundation
import Testing

extension MotoS3 {
    func registration(bucket: String, secret: String? = nil) -> GUACIntegration.RegistrationInput {
        var input = GUACIntegration.RegistrationInput(provider: "s3", bucket: bucket)
        input.region = Self.region
        input.accessKeyID = credentials.accessKeyID
        input.secretAccessKey = secret ?? credentials.secretAccessKey
        input.endpoint = emulator.baseURL.absoluteString
        input.pathStyle = true
        return input
    }
}

@Suite(.serialized) struct GUACS3Tests {
    let integration = GUACIntegration()
    let context = IntegrationContext(http: LiveHTTPClient(), requestTimeout: .seconds(30))

    @Test func registersThenUploadsTheAttestationAndSBOMsWithUpstreamNamesAndMetadata() async throws {
        let moto = try await MotoS3.start()
        let s3 = moto.client()
        try await s3.createBucket("guac-bucket")

        let registration = try await integration.register(moto.registration(bucket: "guac-bucket"), context: context)
        #expect(
            registration.configuration == [
                "bucket": "guac-bucket", "provider": "s3", "region": "us-east-1", "pathStyle": true,
                "endpoint": .string(moto.emulator.baseURL.absoluteString),
            ])
        #expect(registration.credentials == Credentials(username: moto.credentials.accessKeyID, password: moto.credentials.secretAccessKey))
        await #expect(throws: S3Error.self) { try await s3.headObject(bucket: "guac-bucket", key: GUACIntegration.testObjectName) }

        let request = GUACFixtures.request(registration: registration)
        let outcome = await integration.execute(request, context: context)
        let attestationName = "chainloop/attestation-\(GUACFixtures.attestationHex).json"
        let cycloneDXName = "chainloop/sbom.cyclonedx-\(GUACFixtures.cycloneDXHex).json"
        let spdxName = "chainloop/sbom.spdx-\(SHA256.hex(GUACFixtures.spdx)).json"
        #expect(
            outcome
                == .parts([
                    PartOutcome(partID: "attestation", outcome: .delivered(reference: "s3://guac-bucket/\(attestationName)")),
                    PartOutcome(partID: "material:cdx", outcome: .delivered(reference: "s3://guac-bucket/\(cycloneDXName)")),
                    PartOutcome(partID: "material:spdx", outcome: .delivered(reference: "s3://guac-bucket/\(spdxName)")),
                ]))

        for (name, content) in [(attestationName, GUACFixtures.envelope), (cycloneDXName, GUACFixtures.cycloneDX), (spdxName, GUACFixtures.spdx)] {
            let (body, attributes) = try await s3.getObject(bucket: "guac-bucket", key: name)
            #expect(body == content)
            #expect(attributes.contentType == "application/json")
            #expect(attributes.metadata == GUACFixtures.expectedMetadata(filename: name).lowercasedKeys, "\(name)")
        }
    }

    @Test func refusesAWrongSecretKeyAndAMissingBucketWithTheCause() async throws {
        let moto = try await MotoS3.start()
        try await moto.client().createBucket("guac-bucket")

        await #expect(throws: IntegrationValidationError("the S3 credentials were refused: SignatureDoesNotMatch")) {
            try await integration.register(moto.registration(bucket: "guac-bucket", secret: "not-the-secret"), context: context)
        }
        await #expect(throws: IntegrationValidationError("the bucket missing-bucket does not exist")) {
            try await integration.register(moto.registration(bucket: "missing-bucket"), context: context)
        }

        // A delivery with a secret that stopped working is rejected with the cause, never showing the secret.
        var registration = try await integration.register(moto.registration(bucket: "guac-bucket"), context: context)
        registration.credentials = Credentials(username: moto.credentials.accessKeyID, password: "rotated-away-secret")
        let outcome = await integration.execute(GUACFixtures.request(registration: registration), context: context)
        guard case .rejected(let reason) = outcome.overall else {
            Issue.record("not rejected: \(outcome)")
            return
        }
        #expect(reason.hasSuffix("the S3 credentials were refused: SignatureDoesNotMatch"))
        #expect(!String(describing: outcome).contains("rotated-away-secret"))
    }

    @Test func anUnreachableStoreIsRetryable() async throws {
        let moto = try await MotoS3.start()
        let registration = try await {
            try await moto.client().createBucket("guac-bucket")
            return try await integration.register(moto.registration(bucket: "guac-bucket"), context: context)
        }()
        await moto.emulator.stop()
        let outcome = await integration.execute(GUACFixtures.request(registration: registration), context: context)
        guard case .parts(let parts) = outcome, parts.count == 3 else {
            Issue.record("unexpected \(outcome)")
            return
        }
        guard case .retryable(let reason, _) = parts[0].outcome else {
            Issue.record("not retryable: \(outcome)")
            return
        }
        #expect(reason.contains("connection refused"))
        guard case .retryable(let later, _) = parts[2].outcome else {
            Issue.record("not retryable: \(outcome)")
            return
        }
        #expect(later.hasPrefix("not attempted after an earlier upload failed"))
    }
}

extension [String: String] {
    var lowercasedKeys: [String: String] { Dictionary(uniqueKeysWithValues: map { ($0.key.lowercased(), $0.value) }) }
}
