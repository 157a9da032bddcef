import CourierCore
import CourierDependencyTrack
import CourierDiscord
import CourierGUAC
import CourierIntegrationKit
import CourierOCIRegistry
import CourierSMTP
import CourierSlack
import CourierWebhook
import Testing

/// One payload and the message upstream's validator reports last for it (`nil`: valid).
struct ValidationCase: Sendable, CustomTestStringConvertible {
    var schema: InputSchema
    var payload: String
    var message: String?

    init(_ schema: InputSchema, _ payload: String, _ message: String?) {
        self.schema = schema
        self.payload = payload
        self.message = message
    }

    var testDescription: String { "\(payload) → \(message ?? "valid")" }
}

/// A schema with numeric fields, for the type messages upstream's SDK tests check.
private let numericSchema = InputSchema(properties: [
    .integer("count", required: true, description: "A count"),
    .number("ratio", description: "A ratio"),
])

@Suite struct ValidationMessageTests {
    static let dependencyTrackCases: [ValidationCase] = {
        let registration = DependencyTrackIntegration.RegistrationInput.inputSchema
        let attachment = DependencyTrackIntegration.AttachmentInput.inputSchema
        return [
            ValidationCase(registration, #"{"instanceURI": "https://dt.example.com", "apiKey": "k"}"#, nil),
            ValidationCase(registration, #"{"instanceURI": "http://localhost:8080/dtrack", "apiKey": "k", "allowAutoCreate": true}"#, nil),
            ValidationCase(registration, #"{}"#, "missing properties: 'instanceURI', 'apiKey'"),
            ValidationCase(registration, #"{"apiKey": "k"}"#, "missing properties: 'instanceURI'"),
            ValidationCase(registration, #"{"instanceURI": "https://dt.example.com"}"#, "missing properties: 'apiKey'"),
            ValidationCase(registration, #"{"instanceURI": "localhost", "apiKey": "k"}"#, "'localhost' is not valid 'uri'"),
            ValidationCase(registration, #"{"instanceURI": "repo.io", "apiKey": "k"}"#, "'repo.io' is not valid 'uri'"),
            ValidationCase(registration, #"{"instanceURI": "", "apiKey": "k"}"#, "'' is not valid 'uri'"),
            ValidationCase(
                registration, #"{"instanceURI": "https://dt", "apiKey": "k", "allowAutoCreate": "yes"}"#, "expected boolean, but got string"
            ),
            ValidationCase(registration, #"{"instanceURI": "https://dt", "apiKey": "k", "foo": 1}"#, "additionalProperties 'foo' not allowed"),
            ValidationCase(registration, #"{"instanceURI": "localhost", "apiKey": "k", "foo": 1}"#, "additionalProperties 'foo' not allowed"),
            ValidationCase(registration, #"{"foo": 1, "bar": 2}"#, "additionalProperties 'bar', 'foo' not allowed"),
            ValidationCase(attachment, #"{"projectID": "3f0c"}"#, nil),
            ValidationCase(attachment, #"{"projectName": "p", "parentID": "9a1b", "filter": "env=prod"}"#, nil),
            ValidationCase(attachment, #"{}"#, "missing properties: 'projectName'"),
            ValidationCase(attachment, #"{"projectID": "3f0c", "projectName": "p"}"#, "valid against schemas at indexes 0 and 1"),
            ValidationCase(
                attachment, #"{"projectID": "3f0c", "parentID": "9a1b"}"#,
                "property 'projectName' is required, if 'parentID' property exists"
            ),
            ValidationCase(attachment, #"{"parentID": "9a1b"}"#, "missing properties: 'projectName'"),
            ValidationCase(attachment, #"{"projectID": ""}"#, "length must be >= 1, but got 0"),
            ValidationCase(attachment, #"{"projectName": "p", "filter": ""}"#, "length must be >= 1, but got 0"),
            ValidationCase(attachment, #"{"projectID": 42}"#, "expected string, but got number"),
        ]
    }()

    static let webhooksCases: [ValidationCase] = {
        let discord = DiscordWebhookIntegration.RegistrationInput.inputSchema
        let slack = SlackWebhookIntegration.RegistrationInput.inputSchema
        return [
            ValidationCase(discord, #"{"webhook": "https://discord.com/api/webhooks/1/x"}"#, nil),
            ValidationCase(discord, #"{"webhook": "https://discord.com/api/webhooks/1/x", "username": "bot"}"#, nil),
            ValidationCase(discord, #"{}"#, "missing properties: 'webhook'"),
            ValidationCase(discord, #"{"webhook": "https://d.com/x", "foo": "bar"}"#, "additionalProperties 'foo' not allowed"),
            ValidationCase(discord, #"{"webhook": "https://d.com/x", "username": ""}"#, "length must be >= 1, but got 0"),
            ValidationCase(discord, #"{"webhook": "localhost"}"#, "'localhost' is not valid 'uri'"),
            ValidationCase(NoInput.inputSchema, #"{}"#, nil),
            ValidationCase(NoInput.inputSchema, #"{"foo": "bar"}"#, "additionalProperties 'foo' not allowed"),
            ValidationCase(slack, #"{"webhook": "https://hooks.slack.com/services/T/B/x"}"#, nil),
            ValidationCase(slack, #"{}"#, "missing properties: 'webhook'"),
            ValidationCase(slack, #"{"webhook": "https://h.com/x", "foo": "bar"}"#, "additionalProperties 'foo' not allowed"),
            ValidationCase(slack, #"{"webhook": "hooks.slack.com"}"#, "'hooks.slack.com' is not valid 'uri'"),
        ]
    }()

    static let smtpCases: [ValidationCase] = {
        let registration = SMTPIntegration.RegistrationInput.inputSchema
        let attachment = SMTPIntegration.AttachmentInput.inputSchema
        let valid = #""to": "ops@example.com", "from": "courier@example.com", "user": "u", "password": "p", "host": "smtp.example.com""#
        return [
            ValidationCase(registration, "{\(valid), \"port\": \"587\"}", nil),
            ValidationCase(registration, "{\(valid), \"port\": \"587\", \"allowInsecure\": true, \"caCertificate\": \"PEM\"}", nil),
            ValidationCase(registration, #"{}"#, "missing properties: 'to', 'from', 'user', 'password', 'host', 'port'"),
            ValidationCase(registration, "{\(valid)}", "missing properties: 'port'"),
            ValidationCase(registration, "{\(valid), \"port\": 587}", "expected string, but got number"),
            ValidationCase(
                registration, #"{"to": "ops@example.com", "from": "courier", "user": "u", "password": "p", "host": "h", "port": "25"}"#,
                "'courier' is not valid 'email'"
            ),
            ValidationCase(
                registration, #"{"to": "ops@example.com", "from": "a@b.c", "user": "", "password": "p", "host": "h", "port": "25"}"#,
                "length must be >= 1, but got 0"
            ),
            ValidationCase(attachment, #"{}"#, nil),
            ValidationCase(attachment, #"{"cc": "team@example.com"}"#, nil),
            ValidationCase(attachment, #"{"cc": "team"}"#, "'team' is not valid 'email'"),
            ValidationCase(attachment, #"{"cc": "team@example.com", "bcc": "x@example.com"}"#, "additionalProperties 'bcc' not allowed"),
        ]
    }()

    static let storageCases: [ValidationCase] = {
        let guac = GUACIntegration.RegistrationInput.inputSchema
        let oci = OCIRegistryIntegration.RegistrationInput.inputSchema
        let ociAttachment = OCIRegistryIntegration.AttachmentInput.inputSchema
        return [
            ValidationCase(guac, #"{"bucket": "b", "credentials": "{}"}"#, nil),
            ValidationCase(guac, #"{"provider": "s3", "bucket": "b", "region": "eu-west-1", "endpoint": "http://127.0.0.1:9000"}"#, nil),
            ValidationCase(guac, #"{"credentials": "{}"}"#, "missing properties: 'bucket'"),
            ValidationCase(guac, #"{"bucket": ""}"#, "length must be >= 1, but got 0"),
            ValidationCase(guac, #"{"bucket": "b", "credentials": "x"}"#, "length must be >= 2, but got 1"),
            ValidationCase(guac, #"{"bucket": "b", "provider": "azure"}"#, #"value must be one of "gcs", "s3""#),
            ValidationCase(guac, #"{"bucket": "b", "provider": ""}"#, "length must be >= 1, but got 0"),
            ValidationCase(guac, #"{"bucket": "b", "endpoint": "minio:9000"}"#, nil),
            ValidationCase(guac, #"{"bucket": "b", "endpoint": "minio"}"#, "'minio' is not valid 'uri'"),
            ValidationCase(guac, #"{"bucket": "b", "pathStyle": "true"}"#, "expected boolean, but got string"),
            ValidationCase(oci, #"{"repository": "ghcr.io/org/repo", "username": "u", "password": "p"}"#, nil),
            ValidationCase(oci, #"{"repository": "ghcr.io/org/repo", "username": "u", "password": "p", "insecure": true}"#, nil),
            ValidationCase(oci, #"{}"#, "missing properties: 'repository', 'username', 'password'"),
            ValidationCase(oci, #"{"repository": "r", "username": "u", "password": ""}"#, "length must be >= 1, but got 0"),
            ValidationCase(ociAttachment, #"{}"#, nil),
            ValidationCase(ociAttachment, #"{"prefix": ""}"#, "length must be >= 1, but got 0"),
        ]
    }()

    static let webhookCases: [ValidationCase] = {
        let registration = WebhookIntegration.RegistrationInput.inputSchema
        let attachment = WebhookIntegration.AttachmentInput.inputSchema
        return [
            ValidationCase(registration, #"{"url": "https://example.com/hook"}"#, nil),
            ValidationCase(registration, #"{}"#, "missing properties: 'url'"),
            ValidationCase(registration, #"{"url": "example.com/hook"}"#, "'example.com/hook' is not valid 'uri'"),
            ValidationCase(registration, #"{"url": ""}"#, "length must be >= 1, but got 0"),
            ValidationCase(attachment, #"{}"#, nil),
            ValidationCase(attachment, #"{"send_attestation": false, "send_sbom": true}"#, nil),
            ValidationCase(attachment, #"{"send_sbom": "yes"}"#, "expected boolean, but got string"),
        ]
    }()

    static let generalCases: [ValidationCase] = [
        ValidationCase(numericSchema, #"{"count": 3}"#, nil),
        ValidationCase(numericSchema, #"{"count": 3.0, "ratio": 1}"#, nil),
        ValidationCase(numericSchema, #"{"count": 3, "ratio": 0.5}"#, nil),
        ValidationCase(numericSchema, #"{"count": "3"}"#, "expected integer, but got string"),
        ValidationCase(numericSchema, #"{"count": [3]}"#, "expected integer, but got array"),
        ValidationCase(numericSchema, #"{"count": 3.5}"#, "expected integer, but got number"),
        ValidationCase(numericSchema, #"{"count": null}"#, "expected integer, but got null"),
        ValidationCase(numericSchema, #"{"count": 1, "ratio": true}"#, "expected number, but got boolean"),
        ValidationCase(numericSchema, #"[]"#, "expected object, but got array"),
        ValidationCase(numericSchema, #""text""#, "expected object, but got string"),
        ValidationCase(
            DependencyTrackIntegration.RegistrationInput.inputSchema, #"{"instanceURI": "it's", "apiKey": "k"}"#,
            #"'it\'s' is not valid 'uri'"#
        ),
        ValidationCase(
            GUACIntegration.RegistrationInput.inputSchema, #"{"bucket": "b", "credentials": "é"}"#, "length must be >= 2, but got 1"
        ),
        ValidationCase(GUACIntegration.RegistrationInput.inputSchema, #"{"bucket": "b", "credentials": "🇫🇷"}"#, nil),
    ]

    @Test(arguments: dependencyTrackCases) func dependencyTrack(_ testCase: ValidationCase) { check(testCase) }
    @Test(arguments: webhooksCases) func discordAndSlack(_ testCase: ValidationCase) { check(testCase) }
    @Test(arguments: smtpCases) func smtp(_ testCase: ValidationCase) { check(testCase) }
    @Test(arguments: storageCases) func guacAndOCIRegistry(_ testCase: ValidationCase) { check(testCase) }
    @Test(arguments: webhookCases) func webhook(_ testCase: ValidationCase) { check(testCase) }
    @Test(arguments: generalCases) func typesRootAndQuoting(_ testCase: ValidationCase) { check(testCase) }

    private func check(_ testCase: ValidationCase) {
        #expect(SchemaValidator.lastError(of: json(testCase.payload), against: testCase.schema) == testCase.message)
    }

    @Test func validateThrowsUpstreamWording() {
        let schema = DiscordWebhookIntegration.RegistrationInput.inputSchema
        #expect {
            try SchemaValidator.validate(json("{}"), against: schema)
        } throws: { error in
            let error = error as? CourierError
            return error?.code == .invalidArgument && error?.message == "validation error: missing properties: 'webhook'"
        }
    }
}

@Suite struct FormatTests {
    @Test(arguments: [
        "http://repo/foo/bar", "https://dt.example.com:8443/dtrack", "localhost:8080", "mailto:ops@example.com",
        "http://[::1]:8080/x", "https://user:pa%20ss@host/p?q=a b#frag", "s3://bucket/key", "file:///tmp/x",
    ])
    func acceptsAbsoluteURIs(_ uri: String) {
        #expect(SchemaValidator.lastError(of: ["u": .string(uri)], against: uriSchema) == nil)
    }

    @Test(arguments: [
        "localhost", "repo.io", "", "/just/a/path", "//host/path", "1http://x", "http://host:port/", "http://a b/",
        "http://[::1/", "http://::1/", "http://x/%zz", "http://x/\u{7}",
    ])
    func rejectsOtherURIs(_ uri: String) {
        #expect(SchemaValidator.lastError(of: ["u": .string(uri)], against: uriSchema)?.hasSuffix("is not valid 'uri'") == true)
    }

    @Test(arguments: ["a@example.com", "first.last+tag@sub.example.co", "\"john doe\"@example.com", "x@[127.0.0.1]", "x@[IPv6:::1]"])
    func acceptsEmails(_ email: String) {
        #expect(SchemaValidator.lastError(of: ["e": .string(email)], against: emailSchema) == nil)
    }

    @Test(arguments: ["plain", "@example.com", "a@", "a..b@example.com", "a@-bad.com", "a@exa_mple.com", "a b@example.com", "a@[1.2.3]"])
    func rejectsOtherEmails(_ email: String) {
        #expect(SchemaValidator.lastError(of: ["e": .string(email)], against: emailSchema) == "'\(email)' is not valid 'email'")
    }

    private let uriSchema = InputSchema(properties: [.string("u", format: .uri)])
    private let emailSchema = InputSchema(properties: [.string("e", format: .email)])
}
