import CourierDependencyTrack
import CourierDiscord
import CourierGUAC
import CourierIntegrationKit
import CourierOCIRegistry
import CourierSMTP
import CourierSlack
import CourierWebhook
import Foundation

/// The seven integrations Courier ships.
let allIntegrations: [any Integration] = [
    DependencyTrackIntegration(), SMTPIntegration(), OCIRegistryIntegration(), DiscordWebhookIntegration(), GUACIntegration(),
    SlackWebhookIntegration(), WebhookIntegration(),
]

/// Parses a JSON literal written in a test.
func json(_ text: String) -> JSONValue {
    do {
        return try JSONValue(parsing: Data(text.utf8))
    } catch {
        fatalError("invalid JSON in test: \(text)")
    }
}

/// An HTTP client that fails every request; integrations under test must not reach the network.
struct NoNetworkHTTPClient: HTTPClient {
    func send(_ request: OutboundHTTPRequest) async throws(HTTPClientError) -> OutboundHTTPResponse {
        throw .connectionFailed("tests have no network")
    }
}

let offlineContext = IntegrationContext(http: NoNetworkHTTPClient())
