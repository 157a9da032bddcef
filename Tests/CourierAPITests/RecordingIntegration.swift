import CourierCore
import CourierIntegrationKit
import Foundation
import Synchronization

/// A fake integration, `recorder`: registration takes a `url` and an `apiKey` secret; attachment takes an optional
/// `channel`. It records every call so tests can assert what reached it, and what did not.
final class RecordingIntegration: Integration {
    static let descriptor = IntegrationDescriptor(
        id: "recorder",
        version: "1.0",
        description: "Records what it is asked to do",
        subscribedMaterials: [.sbomCycloneDXJSON],
        registration: RegistrationInput.self,
        attachment: AttachmentInput.self
    )

    struct RegistrationInput: IntegrationInput {
        var url: String
        var apiKey: String
        static let inputSchema = InputSchema(properties: [
            .string("url", format: .uri, required: true, description: "Where to send"),
            .string("apiKey", format: .password, required: true, description: "The key"),
        ])
    }

    struct AttachmentInput: IntegrationInput {
        var channel: String?
        static let inputSchema = InputSchema(properties: [
            .string("channel", minLength: 1, description: "Channel to post to")
        ])
    }

    private let calls = Mutex<[String]>([])

    /// `register <url>` and `attach <channel>` entries, in order.
    var recordedCalls: [String] { calls.withLock { $0 } }

    func register(_ input: RegistrationInput, context: IntegrationContext) async throws -> Registration {
        calls.withLock { $0.append("register \(input.url)") }
        if input.url.contains("refuse") {
            throw IntegrationValidationError("the remote end refused the key")
        }
        return Registration(
            configuration: ["url": .string(input.url)],
            credentials: Credentials(password: input.apiKey),
            revealOnce: ["signingSecret": "whsec_revealed-once"]
        )
    }

    func attach(_ input: AttachmentInput, registration: RegistrationState, context: IntegrationContext) async throws -> JSONValue {
        calls.withLock { $0.append("attach \(input.channel ?? "-") with key \(registration.credentials?.password ?? "none")") }
        return ["channel": .string(input.channel ?? "general")]
    }

    func execute(_ request: ExecutionRequest, context: IntegrationContext) async -> ExecutionOutcome {
        calls.withLock { $0.append("execute \(request.progress.deliveryID)") }
        return .delivered(reference: nil)
    }
}
