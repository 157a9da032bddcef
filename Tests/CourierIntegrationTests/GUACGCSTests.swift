import CourierCrypto
import CourierGCS
import CourierGUAC
import CourierHTTPClient
import CourierIntegrationKit
import CourierTestSupport
import Foundation
import Synchronization
import Testing

/// `gcp-storage-emulator` in memory, with one bucket created through its JSON API.
struct GCSEmulator: Sendable {
    let emulator: EmulatorProcess
    static let bucket = "guac-bucket"

    static func start() async throws -> GCSEmulator {
        let emulator = try await EmulatorProcess(
            "gcp-storage-emulator", arguments: { ["start", "-H", "127.0.0.1", "--port", "\($0)", "--in-memory"] },
            readinessPath: "/storage/v1/b"
        )
        let started = GCSEmulator(emulator: emulator)
        try await started.client().createBucket(bucket, project: "test-project")
        return started
    }

    func client(http: any HTTPClient = LiveHTTPClient()) -> GCSClient {
        GCSClient(endpoint: emulator.baseURL, authorization: .none, http: http)
    }

    func registration(bucket: String = Self.bucket) -> GUACIntegration.RegistrationInput {
        GUACIntegration.RegistrationInput(bucket: bucket, endpoint: emulator.baseURL.absoluteString)
    }
}

@Suite(.serialized) struct GUACGCSTests {
    let integration = GUACIntegration()
    let context = IntegrationContext(http: LiveHTTPClient(), requestTimeout: .seconds(30))

    @Test func registersThenUploadsTheAttestationAndSBOMsWithUpstreamNamesAndMetadata() async throws {
        let gcs = try await GCSEmulator.start()
        let recording = RecordingHTTPClient()
        let registration = try await integration.register(gcs.registration(), context: IntegrationContext(http: recording))
        #expect(registration.configuration == ["bucket": "guac-bucket", "provider": "gcs", "endpoint": .string(gcs.emulator.baseURL.absoluteString)])
        #expect(registration.credentials == nil)
        #expect(recording.requests.map(\.method) == ["GET", "POST", "DELETE"])
        #expect(recording.requests.allSatisfy { $0.headers.allSatisfy { $0.name.lowercased() != "authorization" } })
        await #expect(throws: GCSError.self) { try await gcs.client().object(bucket: GCSEmulator.bucket, name: GUACIntegration.testObjectName) }

        let outcome = await integration.execute(GUACFixtures.request(registration: registration), context: context)
        let attestationName = "chainloop/attestation-\(GUACFixtures.attestationHex).json"
        let cycloneDXName = "chainloop/sbom.cyclonedx-\(GUACFixtures.cycloneDXHex).json"
        let spdxName = "chainloop/sbom.spdx-\(SHA256.hex(GUACFixtures.spdx)).json"
        #expect(
            outcome
                == .parts([
                    PartOutcome(partID: "attestation", outcome: .delivered(reference: "gs://guac-bucket/\(attestationName)")),
                    PartOutcome(partID: "material:cdx", outcome: .delivered(reference: "gs://guac-bucket/\(cycloneDXName)")),
                    PartOutcome(partID: "material:spdx", outcome: .delivered(reference: "gs://guac-bucket/\(spdxName)")),
                ]))
        for (name, content) in [(attestationName, GUACFixtures.envelope), (cycloneDXName, GUACFixtures.cycloneDX), (spdxName, GUACFixtures.spdx)] {
            let object = try await gcs.client().object(bucket: GCSEmulator.bucket, name: name)
            #expect(object.name == name)
            #expect(object.contentType == "application/json")
            #expect(object.metadata == GUACFixtures.expectedMetadata(filename: name))
            #expect(try await gcs.client().download(bucket: GCSEmulator.bucket, name: name) == content)
        }
        await gcs.emulator.stop()
    }

    @Test func refusesAMissingBucketWithUpstreamsMessage() async throws {
        let gcs = try await GCSEmulator.start()
        await #expect(throws: IntegrationValidationError("the bucket missing-bucket does not exist")) {
            try await integration.register(gcs.registration(bucket: "missing-bucket"), context: context)
        }
        await gcs.emulator.stop()
    }

    @Test func aRetryAfterOnePartFailedSendsOnlyTheMissingPart() async throws {
        struct MaterialStoreDown: Error {}
        let gcs = try await GCSEmulator.start()
        let registration = try await integration.register(gcs.registration(), context: context)

        let first = await integration.execute(
            GUACFixtures.request(registration: registration, spdxContent: MaterialContent(size: 1) { throw MaterialStoreDown() }), context: context
        )
        guard case .parts(let parts) = first, parts.count == 3 else {
            Issue.record("unexpected \(first)")
            return
        }
        guard case .retryable = parts[2].outcome else {
            Issue.record("the failed read is not retryable: \(first)")
            return
        }
        var delivered: [String: String] = [:]
        for part in parts {
            if case .delivered(let reference) = part.outcome { delivered[part.partID] = reference ?? "" }
        }
        #expect(delivered.keys.sorted() == ["attestation", "material:cdx"])

        let recording = RecordingHTTPClient()
        let retry = await integration.execute(
            GUACFixtures.request(registration: registration, delivered: delivered), context: IntegrationContext(http: recording)
        )
        #expect(retry.overall == .delivered(reference: nil))
        #expect(recording.requests.count == 1)
        let spdxName = "chainloop/sbom.spdx-\(SHA256.hex(GUACFixtures.spdx)).json"
        let uploaded = String(decoding: try recording.requests.first?.body?.collect() ?? Data(), as: UTF8.self)
        #expect(uploaded.contains(#""name":"\#(spdxName)""#))
        #expect(try await gcs.client().download(bucket: GCSEmulator.bucket, name: spdxName) == GUACFixtures.spdx)
        await gcs.emulator.stop()
    }

    @Test func registrationChecksProviderSpecificInputs() async throws {
        await #expect(throws: IntegrationValidationError("credentials (the service-account JSON) are required for the gcs provider")) {
            try await integration.register(GUACIntegration.RegistrationInput(bucket: "b"), context: offlineContext)
        }
        await #expect(throws: IntegrationValidationError("invalid credentials: the service-account JSON has no client_email")) {
            try await integration.register(GUACIntegration.RegistrationInput(bucket: "b", credentials: "{}"), context: offlineContext)
        }
        await #expect(throws: IntegrationValidationError("accessKeyID is required for the s3 provider")) {
            try await integration.register(
                GUACIntegration.RegistrationInput(provider: "s3", bucket: "b", region: "eu-west-1", secretAccessKey: "s"), context: offlineContext
            )
        }
    }
}

@Suite struct GCSServiceAccountTests {
    static let key = try! SigningKey.generate(.rsa)
    static let account = GCSServiceAccount(
        clientEmail: "courier@project.iam.gserviceaccount.com", privateKey: key.pemRepresentation, privateKeyID: "key-1"
    )

    static func decodeSegment(_ segment: Substring) throws -> JSONValue {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return try JSONValue(parsing: try #require(Data(base64Encoded: base64)))
    }

    @Test func theJWTHasGooglesHeaderAndClaimsAndVerifiesWithThePublicKey() throws {
        let issuedAt = Date(timeIntervalSince1970: 1_767_261_600)
        let jwt = try GCSServiceAccountJWT.assertion(for: Self.account, issuedAt: issuedAt)
        let segments = jwt.split(separator: ".")
        try #require(segments.count == 3)
        #expect(try Self.decodeSegment(segments[0]) == ["alg": "RS256", "typ": "JWT", "kid": "key-1"])
        #expect(
            try Self.decodeSegment(segments[1]) == [
                "iss": "courier@project.iam.gserviceaccount.com", "scope": "https://www.googleapis.com/auth/devstorage.read_write",
                "aud": "https://oauth2.googleapis.com/token", "iat": 1_767_261_600, "exp": 1_767_265_200,
            ])
        var signature = segments[2].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        signature += String(repeating: "=", count: (4 - signature.count % 4) % 4)
        #expect(!jwt.contains("="))
        let signed = Data("\(segments[0]).\(segments[1])".utf8)
        #expect(Self.key.verificationKey.isValidSignature(try #require(Data(base64Encoded: signature)), for: signed))
        #expect(!Self.key.verificationKey.isValidSignature(try #require(Data(base64Encoded: signature)), for: Data("other".utf8)))
    }

    @Test func parsingAKeyFileNamesWhatIsWrongWithoutShowingTheKey() throws {
        let json = #"{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nnope"}"#
        #expect(throws: GCSError.invalidServiceAccount("the service-account JSON's private_key is not a PEM RSA private key")) {
            try GCSServiceAccount(json: json)
        }
        #expect(throws: GCSError.invalidServiceAccount("the service-account credentials are not valid JSON")) { try GCSServiceAccount(json: "{") }
        let valid = try JSONValue(encoding: ["client_email": Self.account.clientEmail, "private_key": Self.account.privateKey])
        #expect(try GCSServiceAccount(json: valid.serialized()).tokenURI == GCSServiceAccount.defaultTokenURI)
        #expect(!String(describing: Self.account).contains("PRIVATE KEY"))
    }

    /// A token endpoint double: answers a token (or `invalid_grant`) and records the forms it received.
    final class TokenEndpoint: HTTPClient {
        let refuse: Bool
        let forms = Mutex<[String]>([])
        init(refuse: Bool = false) { self.refuse = refuse }

        func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
            forms.withLock { $0.append(String(decoding: (try? request.body?.collect()) ?? Data(), as: UTF8.self)) }
            if refuse {
                return OutboundHTTPResponse(status: 400, body: Data(#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#.utf8))
            }
            return OutboundHTTPResponse(status: 200, body: Data(#"{"access_token":"ya29.token","expires_in":3599,"token_type":"Bearer"}"#.utf8))
        }
    }

    @Test func accessTokensAreExchangedForTheJWTAndCachedUntilNearExpiry() async throws {
        let endpoint = TokenEndpoint()
        let provider = GCSAccessTokenProvider(account: Self.account)
        let now = Date(timeIntervalSince1970: 1_767_261_600)
        #expect(try await provider.accessToken(http: endpoint, timeout: .seconds(5), now: now) == "ya29.token")
        #expect(try await provider.accessToken(http: endpoint, timeout: .seconds(5), now: now.addingTimeInterval(3000)) == "ya29.token")
        #expect(endpoint.forms.withLock { $0.count } == 1)
        _ = try await provider.accessToken(http: endpoint, timeout: .seconds(5), now: now.addingTimeInterval(3550))
        let forms = endpoint.forms.withLock { $0 }
        #expect(forms.count == 2)
        #expect(forms[0].hasPrefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey"))

        await #expect(throws: GCSError.credentialsRefused("invalid_grant: Invalid JWT Signature.")) {
            try await GCSAccessTokenProvider(account: Self.account).accessToken(http: TokenEndpoint(refuse: true), timeout: .seconds(5), now: now)
        }
    }
}
