import CourierCore
import CourierIntegrationKit

/// Emails a summary of every attestation (upstream `smtp` v1.0, with Courier's TLS options and real CC delivery).
///
/// Registration, attachment and delivery logic land with a later issue; until then registering fails with
/// `failed_precondition`.
public struct SMTPIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "smtp",
        version: "1.0",
        description: "Send emails with information about a received attestation",
        registration: RegistrationInput.self,
        attachment: AttachmentInput.self
    )

    /// Creates the integration.
    public init() {}

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

    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        throw Self.registrationNotImplemented
    }

    public func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        throw Self.registrationNotImplemented
    }
}
