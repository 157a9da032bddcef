import CourierDependencyTrack
import CourierGUAC
import CourierIntegrationKit
import CourierSMTP
import CourierWebhook
import Foundation
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
        #expect(value.serialized() == #"{"big":9007199254740993,"fraction":1.5,"flag":true,"none":null,"list":[1,"a"]}"#)
    }

    @Test func parsingKeepsDocumentOrderAndDecodesEscapes() throws {
        let value = try JSONValue(parsing: Data(#" {"z":"\u00e9\ud83d\ude00\n\"\/","a":[-0,1e3,-2.5E-1,[]],"m":{}} "#.utf8))
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value.objectValue?["z"] == .string("é😀\n\"/"))
        #expect(value.objectValue?["a"] == .array([.integer(0), .number(1000), .number(-0.25), .array([])]))
        #expect(value.serialized() == #"{"z":"é😀\n\"/","a":[0,1000,-0.25,[]],"m":{}}"#)
    }

    @Test func parsingAgreesWithFoundationOnTheTestData() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/testdata/chainloop").standardized
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
        #expect(!files.isEmpty)
        for file in files {
            let data = try Data(contentsOf: file)
            guard let expected = try? JSONDecoder().decode(JSONValue.self, from: data) else {
                #expect(throws: JSONParsingError.self, "\(file.lastPathComponent)") { try JSONValue(parsing: data) }
                continue
            }
            #expect(try JSONValue(parsing: data) == expected, "\(file.lastPathComponent)")
        }
    }

    @Test(arguments: [
        ("", "unexpected end of text, expected a value", 0),
        ("{\"a\":1,}", "expected a string key in object", 7),
        ("[1 2]", "expected ',' or ']' in array", 3),
        ("{\"a\" 1}", "expected ':' after an object key", 5),
        ("\"abc", "unterminated string", 4),
        ("\"a\tb\"", "unescaped control character in string", 2),
        ("\"\\x\"", "invalid escape sequence in string", 3),
        ("\"\\ud800\"", "unpaired surrogate in \\u escape", 7),
        ("01", "unexpected text after the JSON value", 1),
        ("1.", "invalid number: expected digits after '.'", 2),
        ("tru", "invalid literal, expected 'true'", 0),
        ("1e999", "number 1e999 is out of range", 5),
        ("{} x", "unexpected text after the JSON value", 3),
    ])
    func parsingNamesTheProblemAndWhere(text: String, problem: String, offset: Int) {
        #expect(throws: JSONParsingError(problem: problem, offset: offset)) { try JSONValue(parsing: Data(text.utf8)) }
    }

    @Test func parsingRefusesInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParsingError.self) { try JSONValue(parsing: Data([0x22, 0xC3, 0x28, 0x22])) }
        let deep = String(repeating: "[", count: 512 + 1) + String(repeating: "]", count: 512 + 1)
        #expect(throws: JSONParsingError(problem: "arrays and objects nest deeper than 512 levels", offset: 512)) {
            try JSONValue(parsing: Data(deep.utf8))
        }
        let allowed = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect((try? JSONValue(parsing: Data(allowed.utf8))) != nil)
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
        #expect(JSONValue.string("\u{1}\u{2028}x\u{2029}\r\t\\").serialized() == #""\u0001\u2028x\u2029\r\t\\""#)
    }

    @Test func prettyPrintsEmptyContainersInline() {
        let value: JSONValue = ["a": [:], "b": []]
        #expect(value.serialized(pretty: true) == "{\n  \"a\": {},\n  \"b\": []\n}")
    }
}
