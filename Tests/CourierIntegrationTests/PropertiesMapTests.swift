import CourierDependencyTrack
import CourierGUAC
import CourierIntegrationKit
import CourierSMTP
import CourierWebhook
import Testing

@Suite struct PropertiesMapTests {
    /// `name | display type | required | default | description`, as CLI tables use them.
    private func rows(_ schema: InputSchema) -> [String] {
        schema.propertiesMap.map { "\($0.name) | \($0.displayType) | \($0.isRequired) | \($0.defaultValue ?? "-") | \($0.description)" }
    }

    @Test func sortedByNameWithFormatsInTheType() {
        #expect(
            rows(DependencyTrackIntegration.RegistrationInput.inputSchema) == [
                "allowAutoCreate | boolean | false | - | Support of creating projects on demand",
                "apiKey | string (password) | true | - | The API key to use for authentication",
                "instanceURI | string (uri) | true | - | The URL of the Dependency-Track instance",
            ])
    }

    @Test func oneOfRequirementsAreNotReflected() {
        let map = DependencyTrackIntegration.AttachmentInput.inputSchema.propertiesMap
        #expect(map.map(\.name) == ["filter", "parentID", "projectID", "projectName"])
        #expect(map.allSatisfy { !$0.isRequired })
    }

    @Test func defaultsOnlyForOptionalProperties() {
        #expect(
            rows(WebhookIntegration.AttachmentInput.inputSchema) == [
                "send_attestation | boolean | false | true | Send attestation",
                "send_sbom | boolean | false | false | Additionally send CycloneDX or SPDX Software Bill Of Materials (SBOM)",
            ])
        let guac = GUACIntegration.RegistrationInput.inputSchema.propertiesMap
        #expect(guac.first { $0.name == "provider" }?.defaultValue == "gcs")
        #expect(guac.first { $0.name == "endpoint" }?.displayType == "string (uri)")
        let required = InputSchema(properties: [.integer("port", default: 25, required: true), .integer("retries", default: 3)])
        #expect(required.propertiesMap.map(\.defaultValue) == [nil, "3"])
    }

    @Test func smtpShowsEmailFormats() {
        let map = SMTPIntegration.RegistrationInput.inputSchema.propertiesMap
        #expect(map.map(\.name) == ["allowInsecure", "caCertificate", "from", "host", "password", "port", "to", "user"])
        #expect(map.first { $0.name == "to" }?.displayType == "string (email)")
    }
}

@Suite struct JSONValueTests {
    @Test func keepsIntegersExact() throws {
        let value = json(#"{"big": 9007199254740993, "fraction": 1.5, "flag": true, "none": null, "list": [1, "a"]}"#)
        #expect(value.objectValue?["big"] == .integer(9_007_199_254_740_993))
        #expect(value.objectValue?["fraction"] == .number(1.5))
        #expect(value.objectValue?["flag"] == .bool(true))
        #expect(value.objectValue?["none"] == .null)
        #expect(value.serialized() == #"{"big":9007199254740993,"flag":true,"fraction":1.5,"list":[1,"a"],"none":null}"#)
    }

    @Test func objectsKeepInsertionOrderButCompareByContent() {
        var object: JSONObject = ["b": 1, "a": 2]
        object["c"] = 3
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(JSONValue.object(object).serialized() == #"{"a":2,"c":3}"#)
        #expect(JSONValue.object(["x": 1, "y": 2]) == JSONValue.object(["y": 2, "x": 1]))
    }

    @Test func escapesLikeGo() {
        #expect(JSONValue.string("a<b>&\"c\"\n/é").serialized() == #""a\u003cb\u003e\u0026\"c\"\n/é""#)
    }

    @Test func prettyPrintsEmptyContainersInline() {
        let value: JSONValue = ["a": [:], "b": []]
        #expect(value.serialized(pretty: true) == "{\n  \"a\": {},\n  \"b\": []\n}")
    }
}
