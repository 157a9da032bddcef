import CourierIntegrationKit
import Testing

@Suite struct MaskURLTests {
    /// Upstream's `helpers_test.go` vectors.
    @Test(arguments: [
        ("https://example.com/some/long/path/with/many/segments/secret-token", "https://example.com****oken"),
        ("https://example.com/sho", "https://example.com/sho"),
        ("https://example.com/abc", "https://example.com/abc"),
        ("https://example.com/abcde", "https://example.com****bcde"),
        ("", ""),
        ("/just/a/path", ""),
        ("https://example.com", "https://example.com"),
        (
            "https://prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke",
            "https://prod-00.westus.logic.azure.com:443****voke"
        ),
    ])
    func upstreamVectors(raw: String, masked: String) {
        #expect(maskURL(raw) == masked)
    }

    @Test func dropsUserInfoQueryAndFragment() {
        #expect(maskURL("https://user:pass@hooks.example.com/a?token=s3cret#frag") == "https://hooks.example.com/a")
        #expect(maskURL("http://127.0.0.1:8080/hooks/secret-token?sig=x") == "http://127.0.0.1:8080****oken")
    }
}
