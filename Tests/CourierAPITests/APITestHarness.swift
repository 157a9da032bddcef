import CourierAPI
import CourierCore
import CourierCrypto
import CourierDelivery
import CourierHTTP
import CourierIntegrationKit
import CourierLogging
import CourierStorage
import CourierTestSupport
import CourierWire
import Foundation
import Synchronization
import Testing

/// An in-process API over an in-memory store, with helpers to send requests as a given token.
struct APITestHarness {
    let router: Router
    let access: AccessService
    let logs = InMemoryLogHandler()
    /// The owner token of organization `default`.
    let ownerToken: String
    /// The fake integration offered as `recorder`, with what it was asked to do.
    let recorder = RecordingIntegration()
    /// The CAS behind `/v1/cas`.
    let contentStore = InMemoryContentStore()
    /// `(organizationID, digest)` of every upload the API reported through its hook, in order.
    let uploadedContent = UploadLog()

    init(store: any Store = InMemoryStore()) async throws {
        let ids = SequentialIDs()
        let environment = ServiceEnvironment(
            now: { Date(timeIntervalSince1970: 1_800_000_000) },
            newID: { ids.next() },
            hashSecret: { SHA256.hex(Data($0.utf8)) }
        )
        access = AccessService(store: store, environment: environment)
        let owner = try #require(try await access.bootstrapIfEmpty())
        ownerToken = owner.secret
        router = try Self.makeAPI(
            store: store,
            environment: environment,
            catalog: IntegrationCatalog([recorder]),
            logs: logs,
            contentStore: contentStore,
            onContentUploaded: { [uploadedContent] organizationID, digest in uploadedContent.record(organizationID, digest) }
        ).makeRouter()
    }

    /// Sends a request and returns the response.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        token: String?,
        json: String? = nil,
        query: [String: String] = [:]
    ) async -> HTTPResponse {
        var headers = HTTPHeaders()
        if let token { headers.add("Authorization", "Bearer \(token)") }
        if json != nil { headers.add("Content-Type", "application/json") }
        return await router.respond(
            to: HTTPRequest(method: method, path: path, query: query, headers: headers, body: Data((json ?? "").utf8))
        )
    }

    /// Creates a token with `role` as the owner and returns its secret.
    func token(_ name: String, role: String, extra: String = "") async throws -> String {
        let response = await send(.post, "/v1/tokens", token: ownerToken, json: #"{"name":"\#(name)","role":"\#(role)"\#(extra)}"#)
        #expect(response.status == 201, "creating token \(name): \(String(decoding: response.body, as: UTF8.self))")
        return try decode(IssuedTokenDTO.self, response).secret
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse) throws -> T {
        try Wire.decoder.decode(T.self, from: response.body)
    }

    /// The error body of a failed response.
    func error(_ response: HTTPResponse) throws -> ErrorBody.Detail {
        try decode(ErrorBody.self, response).error
    }
}

extension APITestHarness {
    /// The API over `store` with every service wired as the server wires them; deliveries are recorded but no worker runs.
    static func makeAPI(
        store: any Store,
        environment: ServiceEnvironment,
        catalog: IntegrationCatalog,
        logs: InMemoryLogHandler,
        contentStore: any ContentStore = InMemoryContentStore(),
        onContentUploaded: @escaping CourierAPI.ContentUploadedHook = { _, _ in }
    ) -> CourierAPI {
        let access = AccessService(store: store, environment: environment)
        let integrations = IntegrationService(
            store: store,
            environment: environment,
            catalog: catalog,
            sealer: MasterKeyring(active: .generate()),
            context: IntegrationContext(http: UnreachableHTTPClient())
        )
        let engine = DeliveryEngine(
            dependencies: .init(
                store: store,
                catalog: catalog,
                openCredentials: { try integrations.credentials(of: $0) },
                contentSize: { _ in nil },
                openContent: { _ in nil },
                http: UnreachableHTTPClient()
            ),
            logger: .disabled,
            workerID: "api-tests"
        )
        return CourierAPI(
            access: access,
            workflows: WorkflowService(store: store, environment: environment),
            integrations: integrations,
            deliveries: DeliveryService(store: store, environment: environment, engine: engine),
            attestations: AttestationService(store: store, environment: environment, engine: engine),
            metrics: { engine.metrics.exposition() },
            content: ContentService(store: store, content: contentStore, environment: environment),
            logger: Logger(handler: logs, level: .debug),
            maxContentBytes: 1 << 20,
            onContentUploaded: onContentUploaded
        )
    }
}

/// A client for tests in which no integration may reach the network.
struct UnreachableHTTPClient: HTTPClient {
    func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
        Issue.record("Unexpected outbound request to \(request.url)")
        throw .timedOut
    }
}

/// What `CourierAPI`'s upload hook was called with.
final class UploadLog: Sendable {
    private let entries = Mutex<[String]>([])

    func record(_ organizationID: String, _ digest: String) { entries.withLock { $0.append("\(organizationID) \(digest)") } }

    /// `"<organization id> <digest>"` per call.
    var all: [String] { entries.withLock { $0 } }
}
