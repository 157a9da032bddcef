import CourierAWS
import CourierCrypto
import CourierHTTPClient
import CourierIntegrationKit
import CourierTestSupport
import CourierWire
import Foundation
import Testing

/// `moto_server` from the repository's `.venv` with signature checking on, holding one bucket for the CAS; killed when
/// released. The first three unauthenticated calls create an IAM user, its access key and a policy allowing S3.
final class MotoBucket: Sendable {
    static let bucket = "courier-cas"
    let process: Process
    let url: URL
    let credentials: AWSCredentials

    init() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let executable = repository.appendingPathComponent(".venv/bin/moto_server")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw PollTimeout(what: "\(executable.path); run scripts/install-test-servers")
        }
        let port = try LoopbackSocket.freePort()
        url = URL(string: "http://127.0.0.1:\(port)")!
        process = Process()
        process.executableURL = executable
        process.arguments = ["-H", "127.0.0.1", "-p", "\(port)"]
        process.environment = ProcessInfo.processInfo.environment.merging(["INITIAL_NO_AUTH_ACTION_COUNT": "3"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let http = LiveHTTPClient()
        let readiness = OutboundHTTPRequest(method: "GET", url: url.appending(path: "/moto-api/"), timeout: .seconds(2))
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? await http.send(readiness)) == nil {
            guard ContinuousClock.now < deadline, process.isRunning else { throw PollTimeout(what: "moto_server to answer") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        _ = try await Self.iam(url, "Action=CreateUser&UserName=courier")
        let key = try await Self.iam(url, "Action=CreateAccessKey&UserName=courier")
        _ = try await Self.iam(url, "Action=PutUserPolicy&UserName=courier&PolicyName=s3&PolicyDocument=\(SigV4Signer.uriEncode(policy))")
        credentials = AWSCredentials(
            accessKeyID: try #require(Self.element("AccessKeyId", in: key)),
            secretAccessKey: try #require(Self.element("SecretAccessKey", in: key))
        )
        let client = S3Client(
            configuration: S3Configuration(region: "us-east-1", credentials: credentials, endpoint: url, pathStyle: true), http: http)
        try await client.createBucket(Self.bucket)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// The `--cas` value for the bucket.
    var casURL: String { "s3://\(Self.bucket)?region=us-east-1&endpoint=\(url.absoluteString)&pathStyle=true&prefix=courier" }

    /// The environment carrying the access key.
    var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": credentials.secretAccessKey]
    }

    /// An unauthenticated IAM query-API call; moto routes it to IAM by the credential scope of the (unchecked) header.
    private static func iam(_ url: URL, _ form: String) async throws -> String {
        let request = OutboundHTTPRequest(
            method: "POST", url: url,
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
}

@Suite(.timeLimit(.minutes(3))) struct ReplicaEndToEndTests {
    /// Pushes in the test, the issue's figure; `COURIER_E2E_REPLICA_PUSHES` overrides it.
    static let pushes = ProcessInfo.processInfo.environment["COURIER_E2E_REPLICA_PUSHES"].flatMap { Int($0) } ?? 1000

    /// Two replicas on one PostgreSQL database and one S3 bucket: both start at once on the empty database and only
    /// one bootstraps; pushes alternate between them and one is SIGKILLed half-way; every delivery ends delivered
    /// (the survivor takes over the dead replica's leases when they expire), every attestation reaches the sink, and
    /// no part is ever sent while an earlier request for it is still in flight.
    @Test func twoReplicasShareTheWorkAndSurviveAKill() async throws {
        let started = ContinuousClock.now
        let sink = try RecordingSink { _, _ in
            // A little latency, so the kill is likely to land while deliveries are in flight.
            try? await Task.sleep(for: .milliseconds(20))
            return (200, [:])
        }
        try await sink.serving {
            let database = try await PostgresTestServer.freshDatabase()
            let moto = try await MotoBucket()
            let environment = moto.environment.merging([
                "COURIER_MASTER_KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString(),
                "COURIER_RETRY_INITIAL_DELAY_SECONDS": "0.2", "COURIER_ATTEMPT_TIMEOUT_SECONDS": "10",
            ]) { $1 }
            let arguments = ["--database", database, "--cas", moto.casURL]
            async let firstStart = ServerProcess(extraArguments: arguments, environment: environment)
            async let secondStart = ServerProcess(extraArguments: arguments, environment: environment)
            let replicas = try await [firstStart, secondStart]
            let tokens = replicas.compactMap { try? $0.ownerToken() }
            #expect(tokens.count == 1, "exactly one replica bootstraps the organization")
            let owner = try #require(tokens.first)
            let (survivor, victim) = (replicas[0], replicas[1])

            let registered = try await victim.courier(
                "integration", "registered", "add", "webhook", "--name", "sink", "--opt", "url=\(sink.url)", "-o", "json", token: owner)
            #expect(registered.status == 0, "\(registered.stderr)")
            #expect(try await survivor.courier("workflow", "create", "--name", "build", "--project", "demo", token: owner).status == 0)
            let attached = try await victim.courier(
                "integration", "attached", "add", "--integration", "sink", "--workflow", "build", "--project", "demo", token: owner)
            #expect(attached.status == 0, "\(attached.stderr)")

            let clients = replicas.map { DeliveryFixture(server: $0, owner: owner, signingSecret: "") }
            var accepted: Set<String> = []
            let pushStart = ContinuousClock.now
            for index in 0..<Self.pushes {
                if index == Self.pushes / 2 { #expect(try await victim.stop(signal: SIGKILL) == SIGKILL) }
                let client = index >= Self.pushes / 2 ? clients[0] : clients[index % 2]
                let (status, body) = try await client.push(try attestationDocument(marker: "replica-\(index)"))
                #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
                accepted.insert(try Wire.decoder.decode(PushedAttestationDTO.self, from: body).attestation.digest)
            }
            let pushTime = ContinuousClock.now - pushStart

            let deliveries = try await clients[0].waitForFinalDeliveries(Self.pushes, timeout: .seconds(90))
            #expect(deliveries.count == Self.pushes)
            #expect(deliveries.allSatisfy { $0.state == "delivered" }, "\(deliveries.filter { $0.state != "delivered" }.prefix(3))")
            #expect(Set(deliveries.map(\.attestationDigest)) == accepted)
            let attestationIDs = Set(sink.requests.filter { $0.kind == "ATTESTATION" }.compactMap(\.webhookID))
            #expect(attestationIDs.count == Self.pushes, "every delivery reached the sink at least once")

            let overlapping = Self.overlappingRequests(sink.requests)
            #expect(overlapping.isEmpty, "requests for one part overlapped: \(overlapping.prefix(5))")
            let deliveryIDs = Dictionary(grouping: sink.requests, by: { $0.webhookID?.split(separator: ":").first.map(String.init) ?? "" })
            let repeated = deliveryIDs.values.filter { $0.count > 1 }.count
            print(
                "two replicas: \(Self.pushes) pushes in \(pushTime), all delivered after \(ContinuousClock.now - pushStart); "
                    + "\(sink.requests.count) sink requests, \(repeated) deliveries with a part sent more than once; "
                    + "total \(ContinuousClock.now - started)"
            )
            #expect(try await survivor.stop() == 0)
        }
    }

    /// The webhook ids of parts a request arrived for while another request for the same part was in flight.
    static func overlappingRequests(_ requests: [RecordingSink.Received]) -> [String] {
        Dictionary(grouping: requests, by: { $0.webhookID ?? "" }).compactMap { id, requests in
            let ordered = requests.sorted { $0.arrivedAt < $1.arrivedAt }
            let overlaps = zip(ordered, ordered.dropFirst()).contains { earlier, later in later.arrivedAt < earlier.respondedAt }
            return overlaps ? id : nil
        }
    }
}
