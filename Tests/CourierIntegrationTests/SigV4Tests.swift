import CourierAWS
import CourierCrypto
import CourierGUAC
import CourierIntegrationKit
import Foundation
import Testing

/// AWS's published Signature Version 4 examples: the `get-vanilla` suite and the S3 header-auth examples.
@Suite struct SigV4Tests {
    static let suiteCredentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let s3Credentials = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test(arguments: [
        ("https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ("https://example.amazonaws.com/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ])
    func testSuiteVectors(url: String, signature: String) throws {
        let signer = SigV4Signer(credentials: Self.suiteCredentials, region: "us-east-1", service: "service")
        let signed = signer.sign(OutboundHTTPRequest(method: "GET", url: try #require(URL(string: url))), at: Self.suiteDate)
        #expect(signed.headers.first { $0.name == "x-amz-date" }?.value == "20150830T123600Z")
        #expect(!signed.headers.contains { $0.name == "x-amz-content-sha256" })
        #expect(
            signed.headers.last?.value
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=\(signature)")
    }

    @Test func s3GetObjectExample() throws {
        let signer = SigV4Signer(credentials: Self.s3Credentials, region: "us-east-1")
        let request = OutboundHTTPRequest(
            method: "GET", url: try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")),
            headers: [
                HTTPHeaderField("Range", "bytes=0-9"), HTTPHeaderField("x-amz-content-sha256", Self.emptyHash),
                HTTPHeaderField("x-amz-date", "20130524T000000Z"),
            ]
        )
        let signature = signer.signature(for: request, at: Self.s3Date, payloadHash: Self.emptyHash)
        #expect(
            signature.canonicalRequest
                == "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:\(Self.emptyHash)\n"
                + "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n\(Self.emptyHash)")
        #expect(
            signature.stringToSign
                == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                + "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        #expect(signature.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        // `sign` adds the same headers itself, hashing the (empty) body.
        let signed = signer.sign(OutboundHTTPRequest(method: "GET", url: request.url, headers: [request.headers[0]]), at: Self.s3Date)
        #expect(signed.headers.last?.value.hasSuffix("Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41") == true)
    }

    @Test func s3PutObjectExampleEncodesTheKeyOnceAndHashesThePayload() throws {
        let signer = SigV4Signer(credentials: Self.s3Credentials, region: "us-east-1")
        let request = OutboundHTTPRequest(
            method: "PUT", url: try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test$file.text")),
            headers: [HTTPHeaderField("Date", "Fri, 24 May 2013 00:00:00 GMT"), HTTPHeaderField("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            body: Data("Welcome to Amazon S3.".utf8)
        )
        let signed = signer.sign(request, at: Self.s3Date)
        #expect(
            signed.headers.contains(HTTPHeaderField("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")))
        #expect(
            signed.headers.last?.value
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func s3ListObjectsExampleSortsTheQuery() throws {
        let signer = SigV4Signer(credentials: Self.s3Credentials, region: "us-east-1")
        let url = try #require(URL(string: "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J"))
        let signed = signer.sign(OutboundHTTPRequest(method: "GET", url: url), at: Self.s3Date)
        #expect(signed.headers.last?.value.hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7") == true)
    }

    @Test func aSessionTokenIsSentAndSigned() throws {
        var credentials = Self.s3Credentials
        credentials.sessionToken = "session"
        let signed = SigV4Signer(credentials: credentials, region: "eu-west-1").sign(
            OutboundHTTPRequest(method: "HEAD", url: try #require(URL(string: "https://b.s3.eu-west-1.amazonaws.com/"))), at: Self.s3Date
        )
        #expect(signed.headers.contains(HTTPHeaderField("x-amz-security-token", "session")))
        #expect(signed.headers.last?.value.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token") == true)
        #expect(!String(describing: credentials).contains(credentials.secretAccessKey))
    }

    @Test func s3AddressingStyles() throws {
        let credentials = Self.s3Credentials
        let aws = S3Configuration(region: "eu-west-1", credentials: credentials)
        #expect(aws.url(bucket: "b", key: "chainloop/a b+c.json").absoluteString == "https://b.s3.eu-west-1.amazonaws.com/chainloop/a%20b%2Bc.json")
        #expect(aws.url(bucket: "b").absoluteString == "https://b.s3.eu-west-1.amazonaws.com/")
        let minio = S3Configuration(region: "us-east-1", credentials: credentials, endpoint: URL(string: "http://minio.local:9000"), pathStyle: true)
        #expect(minio.url(bucket: "b", key: "chainloop/x.json").absoluteString == "http://minio.local:9000/b/chainloop/x.json")
        #expect(minio.url(bucket: "b").absoluteString == "http://minio.local:9000/b")
        let virtual = S3Configuration(region: "us-east-1", credentials: credentials, endpoint: URL(string: "https://storage.example.com"))
        #expect(virtual.url(bucket: "b", key: "k").absoluteString == "https://b.storage.example.com/k")
        #expect(SigV4Signer.hostHeader(of: try #require(URL(string: "http://127.0.0.1:9000/b"))) == "127.0.0.1:9000")
        #expect(SigV4Signer.hostHeader(of: try #require(URL(string: "https://b.s3.amazonaws.com:443/"))) == "b.s3.amazonaws.com")
    }

    @Test(arguments: [
        ("sbom.json", "chainloop/sbom-deadbeef.json"),
        ("attestation.json", "chainloop/attestation-deadbeef.json"),
        ("sbom-cyclone-dx-123.xml", "chainloop/sbom-cyclone-dx-123-deadbeef.xml"),
        ("sbom.cyclonedx.json", "chainloop/sbom.cyclonedx-deadbeef.json"),
        ("noextension", "chainloop/noextension-deadbeef"),
    ])
    func upstreamUniqueFilenames(filename: String, expected: String) {
        #expect(GUACIntegration.uniqueFilename(prefix: "chainloop", filename: filename, digest: "deadbeef") == expected)
    }
}
