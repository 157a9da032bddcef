import CourierAWS
import CourierCrypto
import CourierHTTPClient
import CourierIntegrationKit
import CourierTestSupport
import CourierWire
import Foundation
import Testing

/// `moto_server` with signature checking on (``MotoS3``), holding one bucket for the CAS; killed when released.
final class MotoBucket: Sendable {
    static let bucket = "courier-cas"
    let moto: MotoS3

    init() async throws {
        moto = try await MotoS3.start()
        try await moto.client().createBucket(Self.bucket)
    }

    /// The `--cas` value for the bucket.
    var casURL: String {
        "s3://\(Self.bucket)?region=\(MotoS3.region)&endpoint=\(moto.emulator.baseURL.absoluteString)&pathStyle=true&prefix=courier"
    }

    /// The environment carrying the access key.
    var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": moto.credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": moto.credentials.secretAccessKey]
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
