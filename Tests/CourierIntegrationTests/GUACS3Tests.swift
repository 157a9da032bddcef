import CourierAWS
import CourierCrypto
import CourierGUAC
import CourierHTTPClient
import CourierIntegrationKit
import Foundation
import Testing

/// `moto_server` with signature checking on: the first three unauthenticated calls create an IAM user, its access key
/// and an inline policy allowing S3; every later request must be signed with that key.
struct MotoS3: Sendable {
    let emulator: EmulatorProcess
    let credentials: AWSCredentials
    static let region = "us-east-1"

    static func start() async throws -> MotoS3 {
        let emulator = try await EmulatorProcess(
            "moto_server", arguments: { ["-H", "127.0.0.1", "-p", "\($0)"] }, environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"],
            readinessPath: "/moto-api/"
        )
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        _ = try await iam(emulator, "Action=CreateUser&UserName=courier")
        let key = try await iam(emulator, "Action=CreateAccessKey&UserName=courier")
        _ = try await iam(
            emulator, "Action=PutUserPolicy&UserName=courier&PolicyName=s3&PolicyDocument=\(SigV4Signer.uriEncode(policy))"
        )
        let credentials = AWSCredentials(
            accessKeyID: try #require(element("AccessKeyId", in: key)), secretAccessKey: try #require(element("SecretAccessKey", in: key))
        )
        return MotoS3(emulator: emulator, credentials: credentials)
    }

    /// An unauthenticated IAM query-API call; moto routes it to IAM by the credential scope of the (unchecked) header.
    private static func iam(_ emulator: EmulatorProcess, _ form: String) async throws -> String {
        let request = OutboundHTTPRequest(
            method: "POST", url: emulator.baseURL,
            headers: [
                HTTPHeaderField("Content-Type", "application/x-www-form-urlencoded"),
                HTTPHeaderField(
                    "Authorization", "AWS4-HMAC-SHA256 Credential=bootstrap/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0"),
            ],
            body: Data((form + "&Version=2010-05-08").utf8), timeout: .seconds(30)
        )
        let response = try await LiveHTTPClient().send(request)
        let text = String(decoding: response.body, as: UTF8.self)
        try #require(response.isSuccess, "IAM \(form) failed: \(text)")
        return text
    }

    private static func element(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>") else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    func client(credentials: AWSCredentials? = nil, http: any HTTPClient = LiveHTTPClient()) -> S3Client {
        S3Client(
            configuration: S3Configuration(
                region: Self.region, credentials: credentials ?? self.credentials, endpoint: emulator.baseURL, pathStyle: true),
            http: http
        )
    }

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
