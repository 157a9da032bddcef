import CourierAWS
import CourierGCS
import CourierIntegrationKit
import Foundation

/// A registration's storage settings, from its inputs or from what was stored: the provider, the bucket, where to
/// reach it and with which secrets.
struct StoreSettings: Sendable {
    /// The supported blob stores.
    enum Provider: String, Sendable {
        case gcs
        case s3
    }

    /// How long one storage request may take when the context does not say.
    static let defaultRequestTimeout: Duration = .seconds(30)

    var provider: Provider
    var bucketName: String
    var endpoint: URL?
    /// S3 only.
    var region: String?
    /// S3 only.
    var pathStyle: Bool
    /// The GCS service-account JSON.
    var serviceAccountJSON: String?
    /// S3 only.
    var accessKeyID: String?
    /// S3 only.
    var secretAccessKey: String?

    /// Settings from registration inputs, checked per provider.
    ///
    /// - Throws: ``IntegrationValidationError`` naming the missing or malformed input.
    init(_ input: GUACIntegration.RegistrationInput) throws(IntegrationValidationError) {
        guard let provider = Provider(rawValue: input.provider ?? "gcs") else {
            throw IntegrationValidationError("unsupported provider \(input.provider ?? ""): expected gcs or s3")
        }
        self.provider = provider
        bucketName = input.bucket
        endpoint = try input.endpoint.map(Self.validatedEndpoint)
        region = input.region
        pathStyle = input.pathStyle ?? false
        serviceAccountJSON = input.credentials
        accessKeyID = input.accessKeyID
        secretAccessKey = input.secretAccessKey
        switch provider {
        case .gcs:
            guard endpoint == nil || serviceAccountJSON != nil else { return }
            guard let json = serviceAccountJSON else {
                throw IntegrationValidationError("credentials (the service-account JSON) are required for the gcs provider")
            }
            do {
                _ = try GCSServiceAccount(json: json)
            } catch {
                throw IntegrationValidationError("invalid credentials: \(error)")
            }
        case .s3:
            for (name, value) in [("region", region), ("accessKeyID", accessKeyID), ("secretAccessKey", secretAccessKey)]
            where value?.isEmpty ?? true {
                throw IntegrationValidationError("\(name) is required for the s3 provider")
            }
        }
    }

    /// Settings from a stored registration.
    ///
    /// - Throws: ``IntegrationValidationError`` when the configuration or credentials are incomplete.
    init(configuration: JSONValue, credentials: Credentials?) throws(IntegrationValidationError) {
        let object = configuration.objectValue ?? [:]
        guard let bucket = object["bucket"]?.stringValue, !bucket.isEmpty else {
            throw IntegrationValidationError("no bucket in the stored configuration")
        }
        guard let provider = Provider(rawValue: object["provider"]?.stringValue ?? "gcs") else {
            throw IntegrationValidationError("unsupported provider in the stored configuration")
        }
        self.provider = provider
        bucketName = bucket
        endpoint = object["endpoint"]?.stringValue.flatMap(URL.init(string:))
        region = object["region"]?.stringValue
        pathStyle = object["pathStyle"] == .bool(true)
        switch provider {
        case .gcs:
            serviceAccountJSON = credentials?.password
            guard endpoint != nil || serviceAccountJSON != nil else { throw IntegrationValidationError("missing expected credentials") }
        case .s3:
            accessKeyID = credentials?.username
            secretAccessKey = credentials?.password
            guard accessKeyID != nil, secretAccessKey != nil, region != nil else {
                throw IntegrationValidationError("missing expected credentials")
            }
        }
    }

    /// The non-secret configuration to store: bucket and provider, plus the endpoint and, for S3, region and addressing.
    var configuration: JSONValue {
        var object: JSONObject = ["bucket": .string(bucketName), "provider": .string(provider.rawValue)]
        if provider == .s3 {
            object["region"] = region.map(JSONValue.string)
            object["pathStyle"] = .bool(pathStyle)
        }
        object["endpoint"] = endpoint.map { .string($0.absoluteString) }
        return .object(object)
    }

    /// The secrets to store: the service-account JSON, or the access key ID and secret.
    var credentials: Credentials? {
        switch provider {
        case .gcs: serviceAccountJSON.map { Credentials(password: $0) }
        case .s3: Credentials(username: accessKeyID, password: secretAccessKey)
        }
    }

    /// A client for the bucket.
    func bucket(context: IntegrationContext) throws(IntegrationValidationError) -> any GUACBucket {
        let timeout = context.requestTimeout ?? Self.defaultRequestTimeout
        switch provider {
        case .gcs:
            let authorization: GCSAuthorization
            if endpoint != nil {
                authorization = .none
            } else {
                do {
                    authorization = .serviceAccount(GCSAccessTokenProvider(account: try GCSServiceAccount(json: serviceAccountJSON ?? "")))
                } catch {
                    throw IntegrationValidationError("invalid credentials: \(error)")
                }
            }
            let client = GCSClient(
                endpoint: endpoint ?? GCSClient.defaultEndpoint, authorization: authorization, http: context.http, timeout: timeout,
                now: context.now
            )
            return GCSBucket(name: bucketName, client: client)
        case .s3:
            let configuration = S3Configuration(
                region: region ?? "", credentials: AWSCredentials(accessKeyID: accessKeyID ?? "", secretAccessKey: secretAccessKey ?? ""),
                endpoint: endpoint, pathStyle: pathStyle
            )
            return S3Bucket(name: bucketName, client: S3Client(configuration: configuration, http: context.http, timeout: timeout, now: context.now))
        }
    }

    /// The registration error for refused credentials: `the S3 credentials were refused: SignatureDoesNotMatch`.
    func refusalMessage(_ cause: String) -> String {
        "the \(provider == .s3 ? "S3" : "GCS") credentials were refused: \(redacted(cause))"
    }

    /// `text` with the secrets replaced by `<redacted>`, should a server ever echo one.
    func redacted(_ text: String) -> String {
        [secretAccessKey, serviceAccountJSON].compactMap { $0 }.filter { $0.count >= 4 }.reduce(text) { text, secret in
            text.replacingOccurrences(of: secret, with: "<redacted>")
        }
    }

    /// The outcome of a failed upload of `objectName`: transient failures are retryable, everything else rejected.
    func outcome(of failure: BucketFailure, uploading objectName: String) -> ExecutionOutcome {
        let prefix = "uploading \(objectName) to the bucket \(bucketName) failed"
        switch failure {
        case .bucketNotFound: return .rejected(reason: "\(prefix): the bucket \(bucketName) does not exist")
        case .credentialsRefused(let cause): return .rejected(reason: "\(prefix): \(refusalMessage(cause))")
        case .transient(let reason, let retryAfter): return .retryable(reason: "\(prefix): \(redacted(reason))", retryAfter: retryAfter)
        case .permanent(let reason), .forbidden(let reason): return .rejected(reason: "\(prefix): \(redacted(reason))")
        }
    }

    /// `text` as an absolute `http`/`https` URL with a host.
    private static func validatedEndpoint(_ text: String) throws(IntegrationValidationError) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty, let url = components.url
        else { throw IntegrationValidationError("invalid endpoint \(text): expected an absolute http or https URL") }
        return url
    }
}
