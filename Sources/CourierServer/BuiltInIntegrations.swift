import CourierCore
import CourierDependencyTrack
import CourierDiscord
import CourierGUAC
import CourierIntegrationKit
import CourierOCIRegistry
import CourierSMTP
import CourierSlack
import CourierWebhook

extension IntegrationCatalog {
    /// Every integration compiled into Courier: the one place an integration is made available.
    static func builtIn() throws(CourierError) -> IntegrationCatalog {
        try IntegrationCatalog([
            DependencyTrackIntegration(),
            DiscordWebhookIntegration(),
            GUACIntegration(),
            OCIRegistryIntegration(),
            SlackWebhookIntegration(),
            SMTPIntegration(),
            WebhookIntegration(),
        ])
    }
}
