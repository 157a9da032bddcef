import CourierCore
import CourierDependencyTrack
import CourierIntegrationKit
import CourierWebhook
import Testing

@Suite struct CatalogTests {
    @Test func listsTheSevenIntegrationsSortedByID() throws {
        let catalog = try IntegrationCatalog(allIntegrations)
        #expect(
            catalog.descriptors.map(\.id) == [
                "dependency-track", "discord-webhook", "guac", "oci-registry", "slack-webhook", "smtp", "webhook",
            ])
        #expect(catalog.descriptors.map(\.version) == ["1.7", "1.1", "1.0", "1.0", "1.1", "1.0", "1.2"])
    }

    @Test func descriptorsMatchUpstreamIndex() throws {
        let catalog = try IntegrationCatalog(allIntegrations)
        let rows = catalog.descriptors.map { "\($0.id) | \($0.description) | \($0.subscribedMaterials.map(\.rawValue).joined(separator: ", "))" }
        #expect(
            rows == [
                "dependency-track | Send CycloneDX SBOMs to your Dependency-Track instance | SBOM_CYCLONEDX_JSON",
                "discord-webhook | Send attestations to Discord | ",
                "guac | Export Attestation and SBOMs metadata to a blob storage backend so guacsec/guac can consume it"
                    + " | SBOM_CYCLONEDX_JSON, SBOM_SPDX_JSON",
                "oci-registry | Send attestations to a compatible OCI registry | ",
                "slack-webhook | Send attestations to Slack | ",
                "smtp | Send emails with information about a received attestation | ",
                "webhook | Send Attestation and SBOMs to a generic POST webhook URL | SBOM_CYCLONEDX_JSON, SBOM_SPDX_JSON",
            ])
        let dependencyTrack = try catalog.descriptor("dependency-track")
        #expect(dependencyTrack.logDescription == "id=dependency-track, version=1.7, expectedMaterials=[SBOM_CYCLONEDX_JSON]")
        #expect(dependencyTrack.isSubscribed(to: "SBOM_CYCLONEDX_JSON"))
        #expect(!dependencyTrack.isSubscribed(to: "sbom_cyclonedx_json"))
        #expect(try catalog.descriptor("smtp").logDescription == "id=smtp, version=1.0, expectedMaterials=[]")
    }

    @Test func rejectsDuplicateIDs() {
        #expect {
            try IntegrationCatalog([WebhookIntegration(), DependencyTrackIntegration(), WebhookIntegration()])
        } throws: { error in
            let error = error as? CourierError
            return error?.code == .alreadyExists && error?.message == "integration \"webhook\" is listed twice"
        }
    }

    @Test func unknownIDIsNotFound() async throws {
        let catalog = try IntegrationCatalog(allIntegrations)
        #expect {
            try catalog.descriptor("teams")
        } throws: { error in
            let error = error as? CourierError
            return error?.code == .notFound && error?.message == "integration \"teams\" not found"
        }
        var registerError: CourierError?
        do {
            _ = try await catalog.register("teams", payload: [:], context: offlineContext)
        } catch {
            registerError = error
        }
        #expect(registerError?.message == "integration \"teams\" not found")
    }

    @Test(arguments: [
        ("", "1.0", [MaterialType](), "id is required"),
        ("probe", "", [], "version is required"),
        ("probe", "1.0", [.unspecified], "MATERIAL_TYPE_UNSPECIFIED is not a valid material type"),
        ("probe", "1.0", [.sarif, .sarif], "integration \"probe\" subscribes to SARIF twice"),
        ("Probe_One", "1.0", [], "integration id \"Probe_One\" is not kebab-case"),
        ("probe-", "1.0", [], "integration id \"probe-\" is not kebab-case"),
    ])
    func descriptorRules(id: String, version: String, materials: [MaterialType], message: String) {
        let descriptor = IntegrationDescriptor(
            id: id, version: version, description: "", subscribedMaterials: materials, registration: NoInput.self
        )
        #expect {
            try descriptor.checkRules()
        } throws: { error in
            let error = error as? CourierError
            return error?.code == .failedPrecondition && error?.message == message
        }
    }

    @Test func schemaStructureRules() {
        var descriptor = IntegrationDescriptor(id: "probe", version: "1", description: "", registration: NoInput.self)
        descriptor.attachmentSchema = InputSchema(properties: [.string("a"), .string("a")])
        #expect(throws: CourierError.self) { try descriptor.checkRules() }
        descriptor.attachmentSchema = InputSchema(properties: [.string("a")], oneOf: [.requiring("b")])
        #expect(throws: CourierError.self) { try descriptor.checkRules() }
        descriptor.attachmentSchema = InputSchema(properties: [.string("a")], oneOf: [.requiring("a")])
        #expect(throws: Never.self) { try descriptor.checkRules() }
    }

    @Test func materialTypesUseUpstreamNames() {
        #expect(MaterialType.allCases.count == 35)
        #expect(MaterialType.allCases.first?.rawValue == "MATERIAL_TYPE_UNSPECIFIED")
        #expect(MaterialType(rawValue: "SYSINTERNALS_SIGCHECK") == .sysinternalsSigcheck)
    }
}

@Suite struct CatalogValidationTests {
    @Test func invalidPayloadsStillReportValidationErrors() async throws {
        let catalog = try IntegrationCatalog(allIntegrations)
        var failure: CourierError?
        do {
            _ = try await catalog.register("discord-webhook", payload: [:], context: offlineContext)
        } catch {
            failure = error
        }
        #expect(failure?.code == .invalidArgument)
        #expect(failure?.message == "validation error: missing properties: 'webhook'")
    }

    @Test func catalogValidatesWithoutRunningTheIntegration() throws {
        let catalog = try IntegrationCatalog(allIntegrations)
        #expect(throws: Never.self) { try catalog.validate(json(#"{"send_sbom": true}"#), for: "webhook", kind: .attachment) }
        #expect(throws: CourierError.self) { try catalog.validate(json(#"{"prefix": ""}"#), for: "oci-registry", kind: .attachment) }
    }
}
