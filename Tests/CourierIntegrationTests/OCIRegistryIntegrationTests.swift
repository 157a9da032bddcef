import CourierCrypto
import CourierHTTPClient
import CourierIntegrationKit
import CourierTestSupport
import Foundation
import Synchronization
import Testing

@testable import CourierOCIRegistry

/// How the registry under test authenticates.
enum RegistryAuth: Sendable {
    /// htpasswd: `WWW-Authenticate: Basic`.
    case basic
    /// A token service in the test (Python): `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, RS256 JWTs whose
    /// certificate is the registry's `rootcertbundle`.
    case token
}

/// Debian's `docker-registry` on 127.0.0.1, with an htpasswd file or a token service, and the users `pusher`
/// (pull and push) and `puller` (pull only; token auth only).
struct RegistryPeer: Sendable {
    static let pusher = ("pusher", "push-s3cret")
    static let puller = ("puller", "pull-s3cret")
    static let service = "courier-test-registry"
    static let issuer = "courier-test-issuer"

    /// The token service: checks Basic credentials and grants, per requested scope, the actions the user may do.
    static let tokenServerScript = """
        import base64, json, os, signal, sys, threading, time, uuid
        from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
        from urllib.parse import urlparse, parse_qs
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        key_file, cert_file, issuer, port_file, pusher, push_password, puller, pull_password = sys.argv[1:9]
        users = {pusher: (push_password, {"pull", "push"}), puller: (pull_password, {"pull"})}
        key = serialization.load_pem_private_key(open(key_file, "rb").read(), None)
        cert = x509.load_pem_x509_certificate(open(cert_file, "rb").read())
        chain = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]

        def b64url(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = parse_qs(urlparse(self.path).query)
                user = None
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                    if name in users and users[name][0] == password:
                        user = name
                if user is None:
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"details":"invalid username or password"}')
                    return
                access = []
                for scope in " ".join(query.get("scope", [])).split():
                    kind, name, actions = scope.split(":")
                    access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a in users[user][1]]})
                now = int(time.time())
                header = {"typ": "JWT", "alg": "RS256", "x5c": chain}
                claims = {"iss": issuer, "sub": user, "aud": query.get("service", [""])[0], "exp": now + 300, "nbf": now - 10,
                          "iat": now, "jti": str(uuid.uuid4()), "access": access}
                signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
                signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
                token = signing_input + "." + b64url(signature)
                body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with open(port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(port_file + ".tmp", port_file)
        signal.sigwait([signal.SIGTERM, signal.SIGINT])
        """

    let port: Int
    let auth: RegistryAuth
    let tokenRealm: String?

    var host: String { "127.0.0.1:\(port)" }

    /// Starts the registry (and the token service), runs `body`, and stops them.
    static func run<Result: Sendable>(_ auth: RegistryAuth, _ body: (RegistryPeer) async throws -> Result) async throws -> Result {
        for tool in ["/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/htpasswd", "/usr/bin/openssl", RealPeers.python]
        where !RealPeers.isInstalled(tool) {
            throw PeerError("\(tool) is missing: run scripts/install-test-servers")
        }
        let directory = try RealPeers.makeDirectory("registry")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let port = try LoopbackSocket.freePort()
        var authSection: String
        var tokenServer: SpawnedProcess?
        var realm: String?
        switch auth {
        case .basic:
            let entry = try await RealPeers.run("/usr/bin/htpasswd", ["-Bbn", pusher.0, pusher.1])
            try entry.write(to: URL(fileURLWithPath: path("htpasswd")))
            authSection = "auth:\n  htpasswd:\n    realm: courier-test\n    path: \(path("htpasswd"))\n"
        case .token:
            try await RealPeers.run(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("token.key"), "-out", path("token.crt"), "-days",
                    "1", "-subj", "/CN=\(issuer)",
                ])
            try tokenServerScript.write(toFile: path("token_server.py"), atomically: true, encoding: .utf8)
            let server = try SpawnedProcess(
                RealPeers.python,
                [
                    path("token_server.py"), path("token.key"), path("token.crt"), issuer, path("token.port"), pusher.0, pusher.1,
                    puller.0, puller.1,
                ],
                standardOutput: path("token.log"), standardError: path("token.log")
            )
            tokenServer = server
            do {
                try await RealPeers.waitUntil("the token service to listen") {
                    FileManager.default.fileExists(atPath: path("token.port")) || server.exitStatus() != nil
                }
            } catch {
                await server.stop()
                throw error
            }
            guard let tokenPort = Int((try? String(contentsOfFile: path("token.port"), encoding: .utf8)) ?? "") else {
                await server.stop()
                throw PeerError("the token service did not start: \((try? String(contentsOfFile: path("token.log"), encoding: .utf8)) ?? "")")
            }
            let tokenRealm = "http://127.0.0.1:\(tokenPort)/token"
            realm = tokenRealm
            authSection = """
                auth:
                  token:
                    realm: \(tokenRealm)
                    service: \(service)
                    issuer: \(issuer)
                    rootcertbundle: \(path("token.crt"))

                """
        }
        let configuration = """
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: \(path("data"))
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)
              secret: courier-test-secret

            """ + authSection
        try configuration.write(toFile: path("config.yml"), atomically: true, encoding: .utf8)
        let registry = try SpawnedProcess(
            "/usr/bin/docker-registry", ["serve", path("config.yml")], standardOutput: path("registry.log"),
            standardError: path("registry.log"))
        let peer = RegistryPeer(port: port, auth: auth, tokenRealm: realm)
        do {
            let result = try await registry.whileRunning {
                let probe = LiveHTTPClient()
                // With credentials: an unauthenticated probe would get a Basic challenge, which URLSession never completes.
                let basic = "Basic " + Data("\(pusher.0):\(pusher.1)".utf8).base64EncodedString()
                try await RealPeers.waitUntil("the registry to answer") {
                    let request = OutboundHTTPRequest(
                        method: "GET", url: URL(string: "http://127.0.0.1:\(port)/v2/")!, headers: [.init("Authorization", basic)],
                        timeout: .seconds(2))
                    return (try? await probe.send(request)) != nil || registry.exitStatus() != nil
                }
                guard registry.exitStatus() == nil else {
                    throw PeerError("the registry exited: \((try? String(contentsOfFile: path("registry.log"), encoding: .utf8)) ?? "")")
                }
                return try await body(peer)
            }
            await tokenServer?.stop()
            return result
        } catch {
            await tokenServer?.stop()
            throw error
        }
    }

    /// The `Authorization` header value that reads `repository` as `pusher`: Basic, or a token from the token service.
    func pullAuthorization(repository: String) async throws -> String {
        let basic = "Basic " + Data("\(Self.pusher.0):\(Self.pusher.1)".utf8).base64EncodedString()
        guard let tokenRealm else { return basic }
        let url = URL(string: "\(tokenRealm)?service=\(Self.service)&scope=repository:\(repository):pull")!
        let response = try await LiveHTTPClient().send(OutboundHTTPRequest(method: "GET", url: url, headers: [.init("Authorization", basic)]))
        guard let token = try JSONValue(parsing: response.body).objectValue?["token"]?.stringValue else {
            throw PeerError("no token for \(repository)")
        }
        return "Bearer " + token
    }

    /// `GET /v2/<repository>/blobs/<digest>` as `pusher`.
    func blob(_ digest: String, in repository: String) async throws -> Data {
        let url = URL(string: "http://\(host)/v2/\(repository)/blobs/\(digest)")!
        let authorization = try await pullAuthorization(repository: repository)
        let response = try await LiveHTTPClient().send(
            OutboundHTTPRequest(method: "GET", url: url, headers: [.init("Authorization", authorization)]))
        guard response.status == 200 else { throw PeerError("GET blob answered \(response.status)") }
        return response.body
    }

    /// `skopeo inspect --raw` of `repository:tag` as `pusher`: the manifest, as the registry serves it.
    func inspect(_ repository: String, tag: String) async throws -> Data {
        try await RealPeers.run(
            "/usr/bin/skopeo",
            ["inspect", "--tls-verify=false", "--raw", "--creds", "\(Self.pusher.0):\(Self.pusher.1)", "docker://\(host)/\(repository):\(tag)"]
        )
    }
}

/// Serialized: each real-server test starts processes of its own, and a burst of them at once starves the timing-sensitive
/// tests of other suites on a small machine.
@Suite(.serialized) struct OCIRegistryIntegrationTests {
    static let now = Date(timeIntervalSince1970: 1_767_261_600)
    static let envelope = Data(
        #"{"payloadType":"application/vnd.in-toto+json","payload":"eyJfdHlwZSI6InRlc3QifQ==","signatures":[{"keyid":"k","sig":"c2ln"}]}"#.utf8)

    let integration = OCIRegistryIntegration()

    func context() -> IntegrationContext {
        IntegrationContext(http: LiveHTTPClient(), requestTimeout: .seconds(20), now: { Self.now })
    }

    func input(_ repository: String, _ user: (String, String)) -> OCIRegistryIntegration.RegistrationInput {
        .init(repository: repository, username: user.0, password: user.1)
    }

    func request(_ registration: Registration, prefix: String) -> ExecutionRequest {
        ExecutionRequest(
            workflow: WorkflowMetadata(id: "wf-1", name: "build", team: "", project: "foo"),
            run: RunMetadata(
                id: "run-1", state: "success", startedAt: Self.now, finishedAt: Self.now, runnerType: "GITHUB_ACTION", runURL: "",
                attestationDigest: "sha256:abc"),
            attestation: AttestationInput(envelope: Self.envelope, hash: "sha256:" + SHA256.hex(Self.envelope)),
            materials: [], registration: registration, attachmentConfiguration: ["prefix": .string(prefix)],
            progress: DeliveryProgress(deliveryID: "del-1")
        )
    }

    /// Registers as pusher, delivers, and checks the artifact with skopeo and a blob GET.
    fileprivate func pushAndVerify(_ peer: RegistryPeer, prefix: String) async throws {
        let repository = "\(peer.host)/team/attestations"
        let registration = try await integration.register(input(repository, RegistryPeer.pusher), context: context())
        #expect(registration.configuration == ["repository": .string(repository)])
        #expect(registration.credentials == Credentials(username: RegistryPeer.pusher.0, password: RegistryPeer.pusher.1))
        let attachment = try await integration.attach(.init(prefix: prefix.isEmpty ? nil : prefix), registration: registration, context: context())
        #expect(attachment == ["prefix": .string(prefix)])

        let outcome = await integration.execute(request(registration, prefix: prefix), context: context())
        guard case .delivered(let reference) = outcome, let digest = reference else {
            Issue.record("not delivered: \(outcome)")
            return
        }
        let hex = SHA256.hex(Self.envelope)
        let name = "team/attestations/\(prefix.isEmpty ? "chainloop" : prefix)-\(hex)"
        let manifestBytes = try await peer.inspect(name, tag: "latest")
        #expect("sha256:" + SHA256.hex(manifestBytes) == digest)
        let manifest = try JSONValue(parsing: manifestBytes)
        #expect(manifest.objectValue?["mediaType"] == "application/vnd.oci.image.manifest.v1+json")
        #expect(manifest.objectValue?["config"]?.objectValue?["mediaType"] == "application/vnd.oci.image.config.v1+json")
        #expect(
            manifest.objectValue?["annotations"]
                == ["org.opencontainers.image.authors": "courier", "org.opencontainers.image.title": "attestation.json"])
        let layers = manifest.objectValue?["layers"]
        #expect(
            layers == [
                [
                    "mediaType": "application/vnd.dsse.envelope.v1+json", "digest": .string("sha256:\(hex)"),
                    "size": .integer(Int64(Self.envelope.count)), "annotations": ["org.opencontainers.image.title": "attestation.json"],
                ]
            ])
        #expect(try await peer.blob("sha256:\(hex)", in: name) == Self.envelope)

        // Pushing again finds the blobs (HEAD) and yields the same manifest digest.
        #expect(await integration.execute(request(registration, prefix: prefix), context: context()) == .delivered(reference: digest))
    }

    @Test func basicAuthPushesTheAttestationAsAnOCIArtifact() async throws {
        try await RegistryPeer.run(.basic) { peer in
            try await pushAndVerify(peer, prefix: "")
            // A wrong password gets the registry's 401 with its `WWW-Authenticate: Basic` challenge back, well within the
            // deadline, and is reported as such rather than as a timeout.
            let shortTimeout = IntegrationContext(http: LiveHTTPClient(), requestTimeout: .seconds(3), now: { Self.now })
            let error = await #expect(throws: IntegrationValidationError.self) {
                try await integration.register(input("\(peer.host)/team/attestations", ("pusher", "wrong")), context: shortTimeout)
            }
            #expect(error?.message == "the provided credentials are invalid")
        }
    }

    @Test func aBasicChallengeRefusingTheCredentialsMeansInvalidCredentials() async throws {
        let registry = ScriptedRegistry { request in
            request.headers.contains(HTTPHeaderField("Authorization", "Basic " + Data("u:wrong".utf8).base64EncodedString()))
                ? OutboundHTTPResponse(status: 401, headers: [.init("WWW-Authenticate", #"Basic realm="r""#)]) : OutboundHTTPResponse(status: 500)
        }
        let context = IntegrationContext(http: registry, requestTimeout: .seconds(5))
        await #expect(throws: IntegrationValidationError("the provided credentials are invalid")) {
            try await integration.register(input("registry.example.com/team", ("u", "wrong")), context: context)
        }
        #expect(registry.requests.map(\.url.absoluteString) == ["https://registry.example.com/v2/team/chainloop-test/blobs/uploads/"])
    }

    @Test func bearerTokenAuthPushesAndChecksWritePermission() async throws {
        try await RegistryPeer.run(.token) { peer in
            try await pushAndVerify(peer, prefix: "courier")
            await #expect(throws: IntegrationValidationError("the provided credentials don't have write permissions")) {
                try await integration.register(input("\(peer.host)/team/attestations", RegistryPeer.puller), context: context())
            }
            await #expect(throws: IntegrationValidationError("the provided credentials are invalid")) {
                try await integration.register(input("\(peer.host)/team/attestations", ("pusher", "wrong")), context: context())
            }
        }
    }

    @Test func anUnreachableRegistryIsRetryable() async throws {
        let refusing = try RefusingPort()
        let port = refusing.port
        let registration = Registration(
            configuration: ["repository": .string("127.0.0.1:\(port)/team/x")], credentials: Credentials(username: "u", password: "p"))
        let outcome = await integration.execute(request(registration, prefix: ""), context: context())
        withExtendedLifetime(refusing) {}
        guard case .retryable(let reason, _) = outcome else {
            Issue.record("expected retryable, got \(outcome)")
            return
        }
        #expect(reason.contains("connection refused"))
    }

    @Test func repositoryReferencesAreValidated() throws {
        let reference = try RepositoryReference(parsing: "us-east1-docker.pkg.dev/proj/repo")
        #expect(reference.host == "us-east1-docker.pkg.dev" && reference.port == nil && reference.path == "proj/repo")
        #expect(reference.baseURL(insecure: false).absoluteString == "https://us-east1-docker.pkg.dev")
        #expect(reference.baseURL(insecure: true).absoluteString == "http://us-east1-docker.pkg.dev")
        #expect(try RepositoryReference(parsing: "127.0.0.1:5000/a/b").baseURL(insecure: false).absoluteString == "http://127.0.0.1:5000")
        #expect(try RepositoryReference(parsing: "localhost:5000/a").baseURL(insecure: false).absoluteString == "http://localhost:5000")
        #expect(try RepositoryReference(parsing: "index.docker.io/user").baseURL(insecure: false).absoluteString == "https://registry-1.docker.io")
        #expect(try RepositoryReference(parsing: "[::1]:5000/a").baseURL(insecure: false).absoluteString == "http://[::1]:5000")
        for invalid in ["https://ghcr.io/org/repo", "ghcr.io", "org/repo", "ghcr.io/Org/repo", "ghcr.io/org/repo:tag", "ghcr.io:x/a", "ghcr.io/a..b"]
        {
            #expect(throws: IntegrationValidationError.self, "\(invalid)") { try RepositoryReference(parsing: invalid) }
        }
        #expect(throws: IntegrationValidationError.self) {
            try RepositoryReference(parsing: "http://127.0.0.1:5000/a")
        }
    }

    @Test func challengesAreParsed() {
        let challenge = AuthenticationChallenge(
            parsing: #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#)
        #expect(challenge.scheme == "Bearer")
        #expect(
            challenge.parameters == [
                "realm": "https://auth.example/token", "service": "registry.example", "scope": "repository:a/b:pull,push",
            ])
        #expect(AuthenticationChallenge(parsing: #"Basic realm="test""#).parameters == ["realm": "test"])
    }

    @Test func prefixesMustBeNameComponents() async throws {
        let registration = Registration(configuration: ["repository": "ghcr.io/org/repo"])
        await #expect(throws: IntegrationValidationError.self) {
            try await integration.attach(.init(prefix: "Bad Prefix"), registration: registration, context: offlineContext)
        }
        #expect(
            try await integration.attach(.init(prefix: "my-prefix"), registration: registration, context: offlineContext) == ["prefix": "my-prefix"])
    }
}

/// An HTTP client answering from a closure and recording the requests.
private final class ScriptedRegistry: HTTPClient {
    private let answer: @Sendable (OutboundHTTPRequest) -> OutboundHTTPResponse
    private let recorded = Mutex<[OutboundHTTPRequest]>([])

    init(answer: @escaping @Sendable (OutboundHTTPRequest) -> OutboundHTTPResponse) {
        self.answer = answer
    }

    var requests: [OutboundHTTPRequest] { recorded.withLock { $0 } }

    func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
        recorded.withLock { $0.append(request) }
        return answer(request)
    }
}
