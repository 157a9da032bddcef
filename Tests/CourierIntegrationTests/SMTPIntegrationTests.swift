import CourierIntegrationKit
import CourierTestSupport
import Foundation
import Synchronization
import Testing

@testable import CourierSMTP

/// aiosmtpd on 127.0.0.1 with STARTTLS and AUTH required and a self-signed certificate; records each message as
/// `NNN.eml` (the bytes as received) and `NNN.json` (envelope sender, recipients, whether TLS was on).
struct SMTPPeer: Sendable {
    static let user = "courier-bot"
    static let password = "pa55-w0rd-secret"
    static let script = """
        import json, os, signal, socket, ssl, sys
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        cert, key, mail_dir, user, password, port_file = sys.argv[1:7]

        class Recorder:
            count = 0
            async def handle_DATA(self, server, session, envelope):
                Recorder.count += 1
                base = os.path.join(mail_dir, "%03d" % Recorder.count)
                with open(base + ".eml", "wb") as f:
                    f.write(envelope.original_content)
                with open(base + ".tmp", "w") as f:
                    json.dump({"mailFrom": envelope.mail_from, "recipients": envelope.rcpt_tos, "tls": session.ssl is not None}, f)
                os.rename(base + ".tmp", base + ".json")
                return "250 Message accepted"

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok, handled=False)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(Recorder(), hostname="127.0.0.1", port=port, authenticator=authenticate, auth_required=True,
                                require_starttls=True, tls_context=context)
        controller.start()
        with open(port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(port_file + ".tmp", port_file)
        signal.sigwait([signal.SIGTERM, signal.SIGINT])
        controller.stop()
        """

    let port: Int
    let certificatePEM: String
    let mailDirectory: URL

    /// The envelope and raw bytes of the `number`th message received, once it has arrived.
    func message(_ number: Int) async throws -> (envelope: JSONValue, raw: Data) {
        let base = mailDirectory.appendingPathComponent(String(format: "%03d", number))
        let envelopeFile = base.appendingPathExtension("json")
        try await RealPeers.waitUntil("message \(number)", timeout: .seconds(20)) {
            FileManager.default.fileExists(atPath: envelopeFile.path)
        }
        return (try JSONValue(parsing: Data(contentsOf: envelopeFile)), try Data(contentsOf: base.appendingPathExtension("eml")))
    }

    /// How many messages arrived.
    var messageCount: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: mailDirectory.path)) ?? []).count { $0.hasSuffix(".json") }
    }

    /// Starts the server with a fresh certificate for 127.0.0.1, runs `body`, and stops the server.
    static func run<Result: Sendable>(_ body: (SMTPPeer) async throws -> Result) async throws -> Result {
        guard RealPeers.isInstalled(RealPeers.python) else {
            throw PeerError("\(RealPeers.python) is missing: run scripts/install-test-servers")
        }
        let directory = try RealPeers.makeDirectory("smtp")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        try await RealPeers.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path("key.pem"), "-out",
                path("cert.pem"), "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        try script.write(toFile: path("smtp_peer.py"), atomically: true, encoding: .utf8)
        let mailDirectory = directory.appendingPathComponent("mail")
        try FileManager.default.createDirectory(at: mailDirectory, withIntermediateDirectories: true)
        let process = try SpawnedProcess(
            RealPeers.python,
            [path("smtp_peer.py"), path("cert.pem"), path("key.pem"), mailDirectory.path, user, password, path("port")],
            standardOutput: path("log"), standardError: path("log")
        )
        return try await process.whileRunning {
            try await RealPeers.waitUntil("aiosmtpd to listen") {
                FileManager.default.fileExists(atPath: path("port")) || process.exitStatus() != nil
            }
            guard let port = Int((try? String(contentsOfFile: path("port"), encoding: .utf8)) ?? "") else {
                throw PeerError("aiosmtpd did not start: \((try? String(contentsOfFile: path("log"), encoding: .utf8)) ?? "")")
            }
            let peer = SMTPPeer(
                port: port, certificatePEM: try String(contentsOfFile: path("cert.pem"), encoding: .utf8), mailDirectory: mailDirectory)
            return try await body(peer)
        }
    }
}

/// A raw message split into its headers (names lowercased) and its decoded base64 body.
struct ReceivedMail {
    var headers: [String: String] = [:]
    var body = ""

    init(_ raw: Data) throws {
        let text = String(decoding: raw, as: UTF8.self)
        guard let separator = text.range(of: "\r\n\r\n") else { throw PeerError("no blank line after the headers") }
        for line in text[..<separator.lowerBound].components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { throw PeerError("malformed header line: \(line)") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let encoded = text[separator.upperBound...].components(separatedBy: "\r\n").joined()
        body = String(decoding: Data(base64Encoded: encoded) ?? Data(), as: UTF8.self)
    }
}

/// Serialized: each real-server test starts processes of its own, and a burst of them at once starves the timing-sensitive
/// tests of other suites on a small machine.
@Suite(.serialized) struct SMTPIntegrationTests {
    static let now = Date(timeIntervalSince1970: 1_767_261_600)  // 2026-01-01T10:00:00Z

    fileprivate func input(_ peer: SMTPPeer, password: String = SMTPPeer.password) -> SMTPIntegration.RegistrationInput {
        SMTPIntegration.RegistrationInput(
            to: "ops@example.com", from: "courier@example.org", user: SMTPPeer.user, password: password, host: "127.0.0.1",
            port: String(peer.port), caCertificate: peer.certificatePEM
        )
    }

    func context(timeout: Duration = .seconds(20)) -> IntegrationContext {
        IntegrationContext(http: NoNetworkHTTPClient(), requestTimeout: timeout, now: { Self.now })
    }

    func request(_ registration: Registration, cc: String) -> ExecutionRequest {
        ExecutionRequest(
            workflow: WorkflowMetadata(id: "wf-1", name: "build <main>", team: "core", project: "foo"),
            run: RunMetadata(
                id: "run-1", state: "success", startedAt: Self.now, finishedAt: Self.now.addingTimeInterval(300),
                runnerType: "GITHUB_ACTION", runURL: "https://ci.example/1", attestationDigest: "sha256:abc"
            ),
            attestation: AttestationInput(envelope: Data("{}".utf8), hash: "sha256:def", annotations: ["team": "platform"]),
            materials: [ExecutionMaterial(name: "image", type: .containerImage, value: "ghcr.io/x:1", content: .inline(Data()))],
            registration: registration,
            attachmentConfiguration: ["cc": .string(cc)],
            progress: DeliveryProgress(deliveryID: "del-1")
        )
    }

    @Test func registrationAndDeliveryReachToAndCCOverSTARTTLSWithAuth() async throws {
        let integration = SMTPIntegration()
        try await SMTPPeer.run { peer in
            let registration = try await integration.register(input(peer), context: context())
            #expect(registration.credentials == Credentials(password: SMTPPeer.password))
            #expect(
                registration.configuration
                    == [
                        "to": "ops@example.com", "from": "courier@example.org", "user": .string(SMTPPeer.user), "host": "127.0.0.1",
                        "port": .string(String(peer.port)), "caCertificate": .string(peer.certificatePEM),
                    ])
            let welcome = try await peer.message(1)
            #expect(welcome.envelope == ["mailFrom": "courier@example.org", "recipients": ["ops@example.com"], "tls": true])
            let welcomeMail = try ReceivedMail(welcome.raw)
            #expect(welcomeMail.headers["subject"] == "[courier] New SMTP integration added!")
            #expect(welcomeMail.body.contains("<td>127.0.0.1</td>") && welcomeMail.body.contains("<td>\(SMTPPeer.user)</td>"))
            #expect(!welcomeMail.body.contains(SMTPPeer.password))

            let attachment = try await integration.attach(.init(cc: "audit@example.net"), registration: registration, context: context())
            #expect(attachment == ["cc": "audit@example.net"])
            let outcome = await integration.execute(request(registration, cc: "audit@example.net"), context: context())
            guard case .delivered(let messageID) = outcome else {
                Issue.record("not delivered: \(outcome)")
                return
            }
            let delivered = try await peer.message(2)
            #expect(
                delivered.envelope == [
                    "mailFrom": "courier@example.org", "recipients": ["ops@example.com", "audit@example.net"], "tls": true,
                ])
            let raw = String(decoding: delivered.raw, as: UTF8.self)
            #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends with CRLF")
            #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
            let mail = try ReceivedMail(delivered.raw)
            #expect(mail.headers["from"] == "courier@example.org")
            #expect(mail.headers["to"] == "ops@example.com")
            #expect(mail.headers["cc"] == "audit@example.net")
            #expect(mail.headers["subject"] == "[courier] New workflow run finished successfully!")
            #expect(mail.headers["date"] == "Thu, 01 Jan 2026 10:00:00 +0000")
            #expect(mail.headers["message-id"] == messageID)
            #expect(messageID?.hasSuffix("@example.org>") == true)
            #expect(mail.headers["mime-version"] == "1.0")
            #expect(mail.headers["content-type"] == #"text/html; charset="UTF-8""#)
            #expect(mail.body.hasPrefix("<html><body>"))
            for fragment in [
                "<td>wf-1</td>", "<td>build &lt;main&gt;</td>", "<td>run-1</td>", "<td>sha256:abc</td>", "<td>01 Jan 26 10:05 UTC</td>",
                "<td>https://ci.example/1</td>", "<th align=\"left\">team</th><td>platform</td>", "<td>ghcr.io/x:1</td>",
                "workflow run describe --id run-1 -o statement",
            ] {
                #expect(mail.body.contains(fragment), "body contains \(fragment)")
            }
        }
    }

    @Test func aWrongPasswordIsRefusedAtRegistrationNamingAuthentication() async throws {
        try await SMTPPeer.run { peer in
            let wrong = "not-the-password"
            do {
                _ = try await SMTPIntegration().register(input(peer, password: wrong), context: context(timeout: .seconds(5)))
                Issue.record("registration succeeded")
            } catch let error as IntegrationValidationError {
                #expect(error.message.hasPrefix("sending an email: authentication failed"))
                #expect(error.message.contains("535"))
                #expect(!error.message.contains(wrong))
            }
            #expect(peer.messageCount == 0)
        }
    }

    @Test func requiredSTARTTLSIsUsedAndTheCertificateVerified() async throws {
        try await SMTPPeer.run { peer in
            let mail = OutgoingMail(
                sender: "a@example.org", recipients: ["b@example.org"], data: Data("Subject: direct\r\n\r\nhello\r\n".utf8))
            var server = SMTPServer(
                host: "127.0.0.1", port: peer.port, security: .startTLSRequired, username: SMTPPeer.user, password: SMTPPeer.password,
                caCertificatePEM: peer.certificatePEM, connectTimeout: .seconds(5), transferTimeout: .seconds(10)
            )
            try await CurlMailTransport().send(mail, through: server)
            #expect(try await peer.message(1).envelope == ["mailFrom": "a@example.org", "recipients": ["b@example.org"], "tls": true])

            // Without the test CA the self-signed certificate is not trusted: a permanent TLS failure.
            server.caCertificatePEM = nil
            await #expect {
                try await CurlMailTransport().send(mail, through: server)
            } throws: { error in
                guard let error = error as? MailTransportError, case .tlsFailed = error else { return false }
                return !error.isTransient
            }
        }
    }

    @Test func anUnreachableServerIsRetryable() async throws {
        let refusing = try RefusingPort()
        let port = refusing.port
        let registration = Registration(
            configuration: [
                "to": "ops@example.com", "from": "courier@example.org", "user": "u", "host": "127.0.0.1", "port": .string(String(port)),
            ],
            credentials: Credentials(password: "p")
        )
        let outcome = await SMTPIntegration().execute(request(registration, cc: ""), context: context(timeout: .seconds(5)))
        withExtendedLifetime(refusing) {}
        guard case .retryable(let reason, _) = outcome else {
            Issue.record("expected retryable, got \(outcome)")
            return
        }
        #expect(reason.hasPrefix("sending an email: could not connect to 127.0.0.1:\(port)"))
    }

    @Test func cancellingTheSendingTaskAbortsTheTransfer() async throws {
        let (descriptor, port) = try RealPeers.silentListener()
        defer { close(descriptor) }
        let server = SMTPServer(
            host: "127.0.0.1", port: port, security: .startTLSRequired, username: "u", password: "p", connectTimeout: .seconds(10),
            transferTimeout: .seconds(30)
        )
        let mail = OutgoingMail(sender: "a@example.org", recipients: ["b@example.org"], data: Data("Subject: x\r\n\r\nx\r\n".utf8))
        let clock = ContinuousClock()
        let start = clock.now
        let result = await withTaskGroup(of: Result<Bool, MailTransportError>?.self) { group in
            group.addTask {
                do throws(MailTransportError) {
                    try await CurlMailTransport().send(mail, through: server)
                    return .success(true)
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(300))
                return nil
            }
            _ = await group.next()
            group.cancelAll()
            return await group.next() ?? nil
        }
        #expect(result == .failure(.transportFailed("sending to 127.0.0.1:\(port) was cancelled")))
        #expect(clock.now - start < .seconds(10), "far below the 30 s transfer timeout")
    }

    @Test func serverRepliesAreClassifiedAndThePasswordNeverShows() async throws {
        let registration = Registration(
            configuration: ["to": "ops@example.com", "from": "courier@example.org", "user": "u", "host": "mail.example.com", "port": "587"],
            credentials: Credentials(password: "hunter2")
        )
        let cases: [(MailTransportError, Bool)] = [
            (.rejected(code: 421, reply: "421 4.7.0 Try again later"), true),
            (.rejected(code: 452, reply: "452 4.3.1 Insufficient system storage"), true),
            (.rejected(code: 550, reply: "550 5.1.1 hunter2 mailbox unavailable"), false),
            (.timedOut("the SMTP exchange timed out"), true),
            (.authenticationFailed("535 5.7.8 bad"), false),
        ]
        for (error, retryable) in cases {
            let transport = FailingMailTransport(error: error)
            let outcome = await SMTPIntegration(transport: transport).execute(request(registration, cc: ""), context: context())
            switch outcome {
            case .retryable(let reason, _):
                #expect(retryable, "\(error)")
                #expect(!reason.contains("hunter2"))
            case .rejected(let reason):
                #expect(!retryable, "\(error)")
                #expect(!reason.contains("hunter2"))
                #expect(reason.hasPrefix("sending an email: "))
            default:
                Issue.record("unexpected \(outcome)")
            }
            #expect(transport.lastServer?.security == .startTLSRequired)
        }
    }

    @Test func portsAndHostsChooseTheConnectionSecurity() throws {
        func security(host: String, port: String, allowInsecure: Bool? = nil) throws -> SMTPConnectionSecurity {
            let configuration = SMTPIntegration.Configuration(
                to: "a@b.c", from: "a@b.c", user: "u", host: host, port: port, allowInsecure: allowInsecure)
            return try SMTPIntegration.server(for: configuration, password: "p", context: context()).security
        }
        #expect(try security(host: "smtp.example.com", port: "587") == .startTLSRequired)
        #expect(try security(host: "smtp.example.com", port: "25") == .startTLSRequired)
        #expect(try security(host: "smtp.example.com", port: "465") == .implicitTLS)
        #expect(try security(host: "smtp.example.com", port: "25", allowInsecure: true) == .startTLSIfOffered)
        #expect(try security(host: "localhost", port: "2525") == .startTLSIfOffered)
        #expect(throws: IntegrationValidationError("invalid port \"smtp\": expected a number from 1 to 65535")) {
            try security(host: "smtp.example.com", port: "smtp")
        }
        #expect(throws: IntegrationValidationError.self) { try security(host: "smtp.example.com/x", port: "25") }
    }
}

/// A transport that fails every send with one error and remembers the server it was asked to use.
private final class FailingMailTransport: MailTransport {
    let error: MailTransportError
    private let server = Mutex<SMTPServer?>(nil)

    init(error: MailTransportError) {
        self.error = error
    }

    var lastServer: SMTPServer? { server.withLock { $0 } }

    func send(_ mail: OutgoingMail, through server: SMTPServer) async throws(MailTransportError) {
        self.server.withLock { $0 = server }
        throw error
    }
}
