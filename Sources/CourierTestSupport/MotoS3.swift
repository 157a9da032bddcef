import CourierAWS
import CourierHTTPClient
import CourierIntegrationKit
import Foundation
import Testing

/// `moto_server` with signature checking on: the first three unauthenticated calls create an IAM user, its access key
/// and an inline policy allowing S3; every later request must be signed with that key.
public struct MotoS3: Sendable {
    /// The moto process.
    public let emulator: EmulatorProcess
    /// The access key of the IAM user allowed S3.
    public let credentials: AWSCredentials
    /// The region clients sign for.
    public static let region = "us-east-1"

    /// Starts moto and creates the IAM user, its key and its policy.
    public static func start() async throws -> MotoS3 {
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

    /// An S3 client of the emulator, signing with `credentials` (the user's by default).
    public func client(credentials: AWSCredentials? = nil, http: any HTTPClient = LiveHTTPClient()) -> S3Client {
        S3Client(
            configuration: S3Configuration(
                region: Self.region, credentials: credentials ?? self.credentials, endpoint: emulator.baseURL, pathStyle: true),
            http: http
        )
    }
}
