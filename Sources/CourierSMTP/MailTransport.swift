import Foundation

/// Sends one message to an SMTP server: the I/O boundary of the smtp integration, so that tests substitute a fake.
public protocol MailTransport: Sendable {
    /// Delivers `mail` through `server`: connects, secures the connection, authenticates, and transfers the message to
    /// every envelope recipient.
    ///
    /// - Throws: ``MailTransportError`` when the server did not accept the message.
    func send(_ mail: OutgoingMail, through server: SMTPServer) async throws(MailTransportError)
}

/// How the connection to the mail server is secured.
public enum SMTPConnectionSecurity: String, Sendable, Hashable {
    /// TLS from the first byte (`smtps://`, port 465).
    case implicitTLS
    /// Plain connection upgraded with STARTTLS, which the server must offer (port 587 and any other port).
    case startTLSRequired
    /// STARTTLS when the server offers it, plain SMTP otherwise: only for loopback servers or when the operator
    /// explicitly allowed insecure delivery.
    case startTLSIfOffered
}

/// Where and how to send: the server, its security, the account and the time limits.
///
/// `description` never shows the password.
public struct SMTPServer: Sendable, Hashable, CustomStringConvertible {
    /// The host name or IP address.
    public var host: String
    /// The TCP port.
    public var port: Int
    /// How the connection is secured; the server's certificate is always verified.
    public var security: SMTPConnectionSecurity
    /// The AUTH user name; no AUTH when empty.
    public var username: String
    /// The AUTH password; a secret.
    public var password: String
    /// A PEM bundle of CA certificates to trust instead of the system store, if any.
    public var caCertificatePEM: String?
    /// How long connecting (TCP and TLS) may take.
    public var connectTimeout: Duration
    /// How long the whole exchange may take, connection included.
    public var transferTimeout: Duration

    /// Creates a server description.
    public init(
        host: String, port: Int, security: SMTPConnectionSecurity, username: String, password: String,
        caCertificatePEM: String? = nil, connectTimeout: Duration, transferTimeout: Duration
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.caCertificatePEM = caCertificatePEM
        self.connectTimeout = connectTimeout
        self.transferTimeout = transferTimeout
    }

    public var description: String {
        "SMTPServer(\(host):\(port), \(security.rawValue), user: \(username), password: <redacted>)"
    }
}

/// A composed message and its envelope.
public struct OutgoingMail: Sendable, Hashable {
    /// The envelope sender (`MAIL FROM`).
    public var sender: String
    /// The envelope recipients (`RCPT TO`), each of which receives the message.
    public var recipients: [String]
    /// The whole RFC 5322 message, headers and body, with CRLF line endings.
    public var data: Data

    /// Creates a message.
    public init(sender: String, recipients: [String], data: Data) {
        self.sender = sender
        self.recipients = recipients
        self.data = data
    }
}

/// Why a message was not delivered. Messages name the server's host and port and quote its replies; never the password.
public enum MailTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Connecting or the exchange took longer than allowed.
    case timedOut(String)
    /// The host could not be resolved or refused the connection.
    case connectionFailed(String)
    /// The server refused the user name or password.
    case authenticationFailed(String)
    /// TLS could not be established: untrusted certificate, no STARTTLS offered, handshake failure.
    case tlsFailed(String)
    /// The server answered a command with an error reply; 4xx codes are temporary, 5xx permanent.
    case rejected(code: Int, reply: String)
    /// Any other failure (connection lost mid-exchange, unexpected reply).
    case transportFailed(String)

    /// Whether sending the same message later may succeed: timeouts, connection failures, temporary (4xx) replies and
    /// lost connections.
    public var isTransient: Bool {
        switch self {
        case .timedOut, .connectionFailed, .transportFailed: true
        case .rejected(let code, _): (400..<500).contains(code)
        case .authenticationFailed, .tlsFailed: false
        }
    }

    public var description: String {
        switch self {
        case .timedOut(let message), .connectionFailed(let message), .tlsFailed(let message), .transportFailed(let message):
            message
        case .authenticationFailed(let message):
            "authentication failed: the server refused the user name or password (\(message))"
        case .rejected(let code, let reply):
            reply.hasPrefix(String(code)) ? "the server refused the message: \(reply)" : "the server refused the message: \(code) \(reply)"
        }
    }
}
