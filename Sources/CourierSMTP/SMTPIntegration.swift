import CourierCore
import CourierIntegrationKit
import Foundation

/// Emails a summary of every attestation (upstream `smtp` v1.0, with Courier's TLS options and real CC delivery).
///
/// - Registration sends a welcome mail, which must be accepted; configuration `{"to","from","user","host","port"}`
///   (plus `caCertificate` and `allowInsecure` when given), credentials `{"Password"}`.
/// - Attachment stores `{"cc": <cc or "">}`.
/// - Execution mails `[courier] New workflow run finished successfully!` with an HTML summary to `to` and, as real
///   envelope recipient, `cc`.
///
/// Transport: port 465 is implicit TLS, any other port requires STARTTLS; plain SMTP is allowed only to loopback or
/// with `allowInsecure`. Certificates are always verified (against `caCertificate` when given). Timeouts, temporary
/// (4xx) replies and connection failures are retryable; permanent (5xx) replies, refused authentication and TLS
/// failures are rejected. Reasons quote the server, never the password.
public struct SMTPIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "smtp",
        version: "1.0",
        description: "Send emails with information about a received attestation",
        registration: RegistrationInput.self,
        attachment: AttachmentInput.self
    )

    /// The subject of the welcome mail sent at registration.
    public static let welcomeSubject = "[courier] New SMTP integration added!"
    /// The subject of the mail sent for each attestation.
    public static let runFinishedSubject = "[courier] New workflow run finished successfully!"
    /// The port of implicit TLS (`smtps`).
    public static let implicitTLSPort = 465
    /// How long one mail may take when the context does not say.
    public static let defaultTimeout: Duration = .seconds(30)
    /// The longest time connecting may take.
    public static let maximumConnectTimeout: Duration = .seconds(10)

    private let transport: any MailTransport

    /// Creates the integration, sending through `transport` (libcurl by default).
    public init(transport: any MailTransport = CurlMailTransport()) {
        self.transport = transport
    }

    /// The mail server, the account and the recipient.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The recipient.
        public var to: String
        /// The sender.
        public var from: String
        /// The SMTP user name.
        public var user: String
        /// The SMTP password; a secret.
        public var password: String
        /// The server host.
        public var host: String
        /// The server port, a string as upstream has it (e.g. `587`).
        public var port: String
        /// A PEM CA certificate to trust for the server's TLS.
        public var caCertificate: String?
        /// Whether plain SMTP without TLS is allowed to a non-loopback server.
        public var allowInsecure: Bool?

        public static let inputSchema = InputSchema(properties: [
            .string("to", format: .email, required: true, description: "The email address to send the email to."),
            .string("from", format: .email, required: true, description: "The email address of the sender."),
            .string("user", minLength: 1, required: true, description: "The username to use for the SMTP authentication."),
            .string("password", format: .password, required: true, description: "The password to use for the SMTP authentication."),
            .string("host", required: true, description: "The host to use for the SMTP authentication."),
            .string("port", required: true, description: "The port to use for the SMTP authentication"),
            .string(
                "caCertificate",
                description: "PEM CA certificate to trust for this server's TLS (use --opt caCertificate=@ca.pem)"
            ),
            .boolean("allowInsecure", default: false, description: "Allow plain SMTP without TLS to a non-loopback server"),
        ])
    }

    /// A carbon-copy recipient per workflow.
    public struct AttachmentInput: IntegrationInput, Hashable {
        /// The CC address; Courier delivers to it (upstream only wrote the header).
        public var cc: String?

        public static let inputSchema = InputSchema(properties: [
            .string("cc", format: .email, description: "The email address of the carbon copy recipient.")
        ])
    }

    /// The non-secret registration state, as stored.
    struct Configuration: Codable, Hashable {
        var to: String
        var from: String
        var user: String
        var host: String
        var port: String
        var caCertificate: String?
        var allowInsecure: Bool?
    }

    /// Checks host, port and CA certificate, then sends the welcome mail, which must be accepted.
    ///
    /// - Throws: ``IntegrationValidationError``: `invalid port …`, `invalid host …`, `invalid caCertificate …`, or
    ///   `sending an email: <cause>` when the server does not accept the mail (a refused password names
    ///   authentication).
    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        let configuration = Configuration(
            to: input.to, from: input.from, user: input.user, host: input.host.trimmingCharacters(in: .whitespaces),
            port: input.port.trimmingCharacters(in: .whitespaces), caCertificate: input.caCertificate,
            allowInsecure: input.allowInsecure == true ? true : nil
        )
        let server = try Self.server(for: configuration, password: input.password, context: context)
        let body = MailBody.welcome(
            pluginVersion: Self.descriptor.version, host: configuration.host, port: configuration.port, user: input.user,
            from: input.from, to: input.to
        )
        do throws(MailTransportError) {
            _ = try await send(
                subject: Self.welcomeSubject, htmlBody: body, configuration: configuration, cc: nil, server: server, context: context)
        } catch {
            throw IntegrationValidationError(Self.reason(for: error, password: input.password))
        }
        return Registration(
            configuration: try JSONValue(encoding: configuration), credentials: Credentials(password: input.password))
    }

    /// Stores `{"cc": <cc or "">}`, as upstream.
    public func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        ["cc": .string(input.cc ?? "")]
    }

    /// Mails the run summary to `to` and `cc`; the delivered reference is the message's `Message-ID`.
    public func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        let invalid = "running validation for workflow id \(request.workflow.id)"
        guard let configuration = try? request.registration.configuration.decode(as: Configuration.self) else {
            return .rejected(reason: "\(invalid): the registration configuration is missing or malformed")
        }
        guard let password = request.registration.credentials?.password else {
            return .rejected(reason: "\(invalid): the registration credentials have no password")
        }
        let server: SMTPServer
        do {
            server = try Self.server(for: configuration, password: password, context: context)
        } catch {
            return .rejected(reason: "\(invalid): \(error)")
        }
        let cc = request.attachmentConfiguration.objectValue?["cc"]?.stringValue
        do throws(MailTransportError) {
            let messageID = try await send(
                subject: Self.runFinishedSubject, htmlBody: MailBody.runFinished(request), configuration: configuration, cc: cc,
                server: server, context: context
            )
            return .delivered(reference: messageID)
        } catch {
            let reason = Self.reason(for: error, password: password)
            return error.isTransient ? .retryable(reason: reason, retryAfter: nil) : .rejected(reason: reason)
        }
    }

    /// Composes and sends one message to `to` and, if given, `cc`; returns its `Message-ID`.
    private func send(
        subject: String, htmlBody: String, configuration: Configuration, cc: String?, server: SMTPServer, context: IntegrationContext
    ) async throws(MailTransportError) -> String {
        let messageID = MailComposer.messageID(sender: configuration.from)
        let data = MailComposer.message(
            from: configuration.from, to: configuration.to, cc: cc, subject: subject, htmlBody: htmlBody, date: context.now(),
            messageID: messageID
        )
        var recipients = [configuration.to]
        if let cc, !cc.isEmpty, cc.caseInsensitiveCompare(configuration.to) != .orderedSame { recipients.append(cc) }
        try await transport.send(OutgoingMail(sender: configuration.from, recipients: recipients, data: data), through: server)
        return messageID
    }

    /// The server to send through: security from the port and the insecure opt-in, timeouts from the context.
    static func server(for configuration: Configuration, password: String, context: IntegrationContext) throws(IntegrationValidationError)
        -> SMTPServer
    {
        guard let port = Int(configuration.port), (1...65_535).contains(port) else {
            throw IntegrationValidationError("invalid port \"\(configuration.port)\": expected a number from 1 to 65535")
        }
        let host = configuration.host
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || "/@?#".contains($0) }) else {
            throw IntegrationValidationError("invalid host \"\(host)\": expected a host name or IP address")
        }
        if let pem = configuration.caCertificate, !pem.contains("-----BEGIN CERTIFICATE-----") {
            throw IntegrationValidationError("invalid caCertificate: expected a PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        let security: SMTPConnectionSecurity =
            if port == implicitTLSPort {
                .implicitTLS
            } else if configuration.allowInsecure == true || isLoopbackHost(host) {
                .startTLSIfOffered
            } else {
                .startTLSRequired
            }
        let timeout = context.requestTimeout ?? defaultTimeout
        return SMTPServer(
            host: host, port: port, security: security, username: configuration.user, password: password,
            caCertificatePEM: configuration.caCertificate, connectTimeout: min(timeout, maximumConnectTimeout), transferTimeout: timeout
        )
    }

    /// Upstream's `sending an email: …` with the cause; the password is removed should a server echo it.
    static func reason(for error: MailTransportError, password: String) -> String {
        let reason = "sending an email: \(error)"
        return password.isEmpty ? reason : reason.replacingOccurrences(of: password, with: "<redacted>")
    }
}
