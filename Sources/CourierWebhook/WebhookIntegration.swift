import CourierCore
import CourierCrypto
import CourierIntegrationKit
import Foundation

/// POSTs the attestation and, optionally, SBOMs to a generic webhook URL as JSON (upstream `webhook` v1.2), signed
/// the Standard Webhooks way.
///
/// Wire format, as upstream: `POST <url>`, `Content-Type: application/json`, body
/// `{"Metadata": {"Workflow": {…}, "WorkflowRun": {…}}, "Data": "<base64 payload>", "Kind": "<kind>"}`.
/// What Courier adds:
/// - registration generates a `whsec_…` signing secret, revealed once; every POST carries `webhook-id`,
///   `webhook-timestamp` and `webhook-signature`;
/// - each delivery is made of parts (`attestation`, then `material:<name>` per SBOM) sent independently; a retry
///   sends only the parts not yet delivered, under the same `webhook-id` (`<delivery id>:<part id>`), so receivers
///   can drop duplicates;
/// - any 2xx is success; 408, 425, 429, 5xx and transport failures are retryable (honouring `Retry-After`); other
///   statuses are rejected; reasons never contain the URL's path or query, nor the signing secret.
///
/// The attestation part's `Data` deviates from upstream's Go encoding on purpose; see ``WebhookBody``.
public struct WebhookIntegration: Integration {
    public static let descriptor = IntegrationDescriptor(
        id: "webhook",
        version: "1.2",
        description: "Send Attestation and SBOMs to a generic POST webhook URL",
        subscribedMaterials: [.sbomCycloneDXJSON, .sbomSPDXJSON],
        registration: RegistrationInput.self,
        attachment: AttachmentInput.self
    )

    /// The credentials field holding the `whsec_…` signing secret (the URL is in ``Credentials/urlField``).
    public static let signingSecretField = "SigningSecret"
    /// The key under which registration reveals the signing secret, once.
    public static let revealedSecretKey = "signingSecret"
    /// How long one POST may take when the context does not say: upstream's client timeout.
    public static let defaultRequestTimeout: Duration = .seconds(10)
    /// The SBOM types sent when `send_sbom` is on.
    public static let sbomTypes: Set<MaterialType> = [.sbomCycloneDXJSON, .sbomSPDXJSON]
    /// The part ID of the attestation.
    public static let attestationPartID = "attestation"

    /// Creates the integration.
    public init() {}

    /// Where to send deliveries.
    public struct RegistrationInput: IntegrationInput, Hashable {
        /// The absolute `http`/`https` URL; a secret.
        public var url: String

        /// Creates the input.
        public init(url: String) {
            self.url = url
        }

        public static let inputSchema = InputSchema(properties: [
            .string("url", format: .uri, minLength: 1, required: true, description: "Webhook URL to send payloads to")
        ])
    }

    /// What each workflow's deliveries contain; also the shape of the stored attachment configuration.
    public struct AttachmentInput: IntegrationInput, Hashable {
        /// Whether to send the attestation; `true` when absent.
        public var sendAttestation: Bool?
        /// Whether to send CycloneDX and SPDX SBOMs; `false` when absent.
        public var sendSBOM: Bool?

        /// Creates the input; `nil` options take their defaults.
        public init(sendAttestation: Bool? = nil, sendSBOM: Bool? = nil) {
            self.sendAttestation = sendAttestation
            self.sendSBOM = sendSBOM
        }

        enum CodingKeys: String, CodingKey {
            case sendAttestation = "send_attestation"
            case sendSBOM = "send_sbom"
        }

        public static let inputSchema = InputSchema(properties: [
            .boolean("send_attestation", default: true, description: "Send attestation"),
            .boolean(
                "send_sbom", default: false,
                description: "Additionally send CycloneDX or SPDX Software Bill Of Materials (SBOM)"
            ),
        ])
    }

    /// Checks the URL, generates the signing secret and sends one signed `TEST_WEBHOOK` delivery, which must succeed.
    ///
    /// - Throws: ``IntegrationValidationError`` with upstream's messages: `invalid webhook URL: invalid URL format`,
    ///   `unsupported URL scheme: <scheme>`, `unable to reach webhook URL: test webhook failed: <reason>`.
    public func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        let endpoint = try Self.validatedEndpoint(input.url)
        let secret = StandardWebhookSigner.generateSecret()
        let sender = try WebhookSender(url: input.url, endpoint: endpoint, secret: secret, context: context)
        let testID = "test-" + SecureRandom.bytes(16).hexString
        let outcome = await sender.post(
            webhookID: testID, kind: "TEST_WEBHOOK", metadata: WebhookBody.testMetadata, payload: .bytes(Data("{}".utf8))
        )
        switch outcome {
        case .retryable(let reason, _), .rejected(let reason):
            throw IntegrationValidationError("unable to reach webhook URL: test webhook failed: \(reason)")
        default:
            return Registration(
                configuration: ["url": .string(maskURL(input.url))],
                credentials: Credentials([Credentials.urlField: input.url, Self.signingSecretField: secret]),
                revealOnce: [Self.revealedSecretKey: secret]
            )
        }
    }

    /// Stores the options with their defaults applied: `{"send_attestation": true, "send_sbom": false}` when absent.
    public func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        ["send_attestation": .bool(input.sendAttestation ?? true), "send_sbom": .bool(input.sendSBOM ?? false)]
    }

    /// Sends each part not yet delivered, one POST per part, and reports one outcome per part.
    public func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        let credentials = request.registration.credentials
        guard let url = credentials?.url, !url.isEmpty else { return .rejected(reason: "missing webhook URL in credentials") }
        guard let endpoint = try? Self.validatedEndpoint(url) else {
            return .rejected(reason: "invalid webhook URL in credentials: \(maskURL(url))")
        }
        guard let secret = credentials?[Self.signingSecretField],
            let sender = try? WebhookSender(url: url, endpoint: endpoint, secret: secret, context: context)
        else { return .rejected(reason: "missing or invalid webhook signing secret in credentials") }

        // As `attach` stored them; read directly, since this runs for every delivery.
        let configuration = request.attachmentConfiguration.objectValue
        let options = AttachmentInput(
            sendAttestation: configuration?[AttachmentInput.CodingKeys.sendAttestation.rawValue]?.boolValue,
            sendSBOM: configuration?[AttachmentInput.CodingKeys.sendSBOM.rawValue]?.boolValue
        )
        let metadata = WebhookBody.metadata(workflow: request.workflow, run: request.run)
        let progress = request.progress
        var outcomes: [PartOutcome] = []

        func deliverPart(_ partID: String, kind: String, payload: () async -> Result<OutboundHTTPBody, PayloadFailure>) async {
            if let reference = progress.deliveredParts[partID] {
                outcomes.append(PartOutcome(partID: partID, outcome: .delivered(reference: reference.isEmpty ? nil : reference)))
                return
            }
            let outcome: ExecutionOutcome
            switch await payload() {
            case .success(let body):
                outcome = await sender.post(
                    webhookID: "\(progress.deliveryID):\(partID)", kind: kind, metadata: metadata, payload: body
                )
            case .failure(let failure):
                outcome = failure.outcome
            }
            outcomes.append(PartOutcome(partID: partID, outcome: outcome))
        }

        if options.sendAttestation ?? true {
            await deliverPart(Self.attestationPartID, kind: "ATTESTATION") {
                do throws(PayloadFailure) {
                    return .success(.bytes(try await AttestationPayloads.shared.payload(for: request.attestation)))
                } catch {
                    return .failure(error)
                }
            }
        }
        if options.sendSBOM ?? false {
            for material in request.materials where Self.sbomTypes.contains(material.type) {
                await deliverPart("material:\(material.name)", kind: material.type.rawValue) {
                    // Streamed from the store while it is signed and again while it is sent; never held in memory.
                    guard material.content.size > 0 else { return .failure(.skipped("material \(material.name) has no content")) }
                    return .success(.stream(material.content.bodyStream))
                }
            }
        }
        guard !outcomes.isEmpty else {
            return .skipped(reason: "nothing to send: send_attestation is off and send_sbom found no SBOM")
        }
        return .parts(outcomes)
    }

    /// The URL as an endpoint, if it is absolute `http`/`https` with a host.
    private static func validatedEndpoint(_ url: String) throws(IntegrationValidationError) -> URL {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            let host = components.host, !host.isEmpty, let endpoint = components.url
        else { throw IntegrationValidationError("invalid webhook URL: invalid URL format") }
        guard ["http", "https"].contains(scheme.lowercased()) else {
            throw IntegrationValidationError("unsupported URL scheme: \(scheme)")
        }
        return endpoint
    }
}

/// Why a part's payload could not be produced, and what that means for the part.
enum PayloadFailure: Error {
    /// Nothing to send (an empty SBOM).
    case skipped(String)
    /// Will never work (a malformed envelope).
    case rejected(String)

    var outcome: ExecutionOutcome {
        switch self {
        case .skipped(let reason): .skipped(reason: reason)
        case .rejected(let reason): .rejected(reason: reason)
        }
    }
}
