import CourierWebhook
import Foundation
import Testing

@Suite struct StandardWebhooksTests {
    static let vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let vectorID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let vectorTimestamp: Int64 = 1_614_265_330
    static let vectorBody = Data(#"{"test": 2432232314}"#.utf8)
    static let vectorNow = Date(timeIntervalSince1970: 1_614_265_330)

    /// The Standard Webhooks reference libraries' published vector.
    @Test func reproducesThePublishedVector() throws {
        let signer = try StandardWebhookSigner(secret: Self.vectorSecret)
        #expect(
            signer.sign(id: Self.vectorID, timestamp: Self.vectorTimestamp, body: Self.vectorBody)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        )
        let headers = signer.headers(id: Self.vectorID, timestamp: Self.vectorTimestamp, body: Self.vectorBody)
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers.map(\.value) == [Self.vectorID, "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="])
    }

    @Test func verifiesThePublishedVectorAmongOtherSignatures() throws {
        let verifier = try StandardWebhookVerifier(secret: Self.vectorSecret)
        try verifier.verify(
            id: Self.vectorID, timestamp: "1614265330",
            signatures: "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body: Self.vectorBody, now: Self.vectorNow
        )
    }

    @Test func generatedSecretsAreWhsecWith32RandomBytes() throws {
        let first = StandardWebhookSigner.generateSecret()
        let second = StandardWebhookSigner.generateSecret()
        #expect(first.hasPrefix("whsec_"))
        #expect(first != second)
        #expect(Data(base64Encoded: String(first.dropFirst(6)))?.count == 32)
    }

    @Test func roundTripsAndRefusesTampering() throws {
        let secret = StandardWebhookSigner.generateSecret()
        let signer = try StandardWebhookSigner(secret: secret)
        let verifier = try StandardWebhookVerifier(secret: secret)
        let body = Data(#"{"Kind":"ATTESTATION"}"#.utf8)
        let signature = signer.sign(id: "d1:attestation", timestamp: Self.vectorTimestamp, body: body)
        try verifier.verify(id: "d1:attestation", timestamp: "1614265330", signatures: signature, body: body, now: Self.vectorNow)

        func failure(
            id: String = "d1:attestation", timestamp: String? = "1614265330", signatures: String? = signature,
            body: Data = body, now: Date = Self.vectorNow
        ) -> StandardWebhookError? {
            do {
                try verifier.verify(id: id, timestamp: timestamp, signatures: signatures, body: body, now: now)
                return nil
            } catch {
                return error
            }
        }
        #expect(failure(body: Data(#"{"Kind":"ATTESTATIoN"}"#.utf8)) == .signatureMismatch)
        #expect(failure(id: "d1:material:sbom") == .signatureMismatch)
        #expect(failure(timestamp: "1614265331") == .signatureMismatch)
        #expect(failure(signatures: "v2," + signature.dropFirst(3)) == .signatureMismatch)
        #expect(failure(signatures: nil) == .missingHeaders)
        #expect(failure(timestamp: "soon") == .invalidTimestamp)
        #expect(failure(now: Self.vectorNow.addingTimeInterval(301)) == .timestampOutOfTolerance)
        #expect(failure(now: Self.vectorNow.addingTimeInterval(-301)) == .timestampOutOfTolerance)
        #expect(failure(now: Self.vectorNow.addingTimeInterval(300)) == nil)
        let otherVerifier = try StandardWebhookVerifier(secret: StandardWebhookSigner.generateSecret())
        #expect(throws: StandardWebhookError.signatureMismatch) {
            try otherVerifier.verify(id: "d1:attestation", timestamp: "1614265330", signatures: signature, body: body, now: Self.vectorNow)
        }
    }

    @Test func refusesMalformedSecrets() {
        #expect(throws: StandardWebhookError.invalidSecret) { try StandardWebhookSigner(secret: "whsec_not base64!") }
        #expect(throws: StandardWebhookError.invalidSecret) { try StandardWebhookSigner(secret: "whsec_") }
    }
}
