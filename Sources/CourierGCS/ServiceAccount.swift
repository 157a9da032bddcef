import CourierCrypto
import Foundation

/// The fields of a Google service-account key file (`"type": "service_account"`) that OAuth2 needs.
///
/// `description` never shows the private key.
public struct GCSServiceAccount: Sendable, Hashable, Decodable, CustomStringConvertible {
    /// Google's OAuth2 token endpoint, used when the key file names none.
    public static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// The account's e-mail, the JWT's issuer.
    public var clientEmail: String
    /// The PEM RSA private key.
    public var privateKey: String
    /// The key's ID, sent as the JWT header's `kid`.
    public var privateKeyID: String?
    /// Where to exchange the JWT for an access token.
    public var tokenURI: String

    enum CodingKeys: String, CodingKey {
        case clientEmail = "client_email"
        case privateKey = "private_key"
        case privateKeyID = "private_key_id"
        case tokenURI = "token_uri"
    }

    /// Creates an account from its parts.
    public init(clientEmail: String, privateKey: String, privateKeyID: String? = nil, tokenURI: String = Self.defaultTokenURI) {
        self.clientEmail = clientEmail
        self.privateKey = privateKey
        self.privateKeyID = privateKeyID
        self.tokenURI = tokenURI
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        clientEmail = try container.decode(String.self, forKey: .clientEmail)
        privateKey = try container.decode(String.self, forKey: .privateKey)
        privateKeyID = try container.decodeIfPresent(String.self, forKey: .privateKeyID)
        tokenURI = try container.decodeIfPresent(String.self, forKey: .tokenURI) ?? Self.defaultTokenURI
    }

    /// Parses a key file.
    ///
    /// - Throws: ``GCSError/invalidServiceAccount(_:)`` naming what is missing or malformed; never the key itself.
    public init(json: String) throws(GCSError) {
        let decoded: GCSServiceAccount
        do {
            decoded = try JSONDecoder().decode(GCSServiceAccount.self, from: Data(json.utf8))
        } catch DecodingError.keyNotFound(let key, _) {
            throw .invalidServiceAccount("the service-account JSON has no \(key.stringValue)")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw .invalidServiceAccount("the service-account JSON's \(context.codingPath.map(\.stringValue).joined(separator: ".")) is not a string")
        } catch {
            throw .invalidServiceAccount("the service-account credentials are not valid JSON")
        }
        guard !decoded.clientEmail.isEmpty else { throw .invalidServiceAccount("the service-account JSON's client_email is empty") }
        guard (try? SigningKey(pem: decoded.privateKey))?.type == .rsa else {
            throw .invalidServiceAccount("the service-account JSON's private_key is not a PEM RSA private key")
        }
        self = decoded
    }

    public var description: String { "GCSServiceAccount(clientEmail: \(clientEmail), privateKey: <redacted>)" }
}

/// The signed JWT a service account presents to Google's token endpoint (RFC 7523, "JWT bearer" grant).
public enum GCSServiceAccountJWT {
    /// The scope that lets the token read and write objects.
    public static let readWriteScope = "https://www.googleapis.com/auth/devstorage.read_write"
    /// How long the assertion is valid; Google accepts at most one hour.
    public static let lifetime: TimeInterval = 3600

    /// `base64url(header).base64url(claims).base64url(RS256 signature)`, with header
    /// `{"alg":"RS256","typ":"JWT","kid":…}` and claims `iss`, `scope`, `aud` (the token URI), `iat` and `exp`.
    public static func assertion(for account: GCSServiceAccount, scope: String = readWriteScope, issuedAt: Date) throws(GCSError) -> String {
        let key: SigningKey
        do {
            key = try SigningKey(pem: account.privateKey)
        } catch {
            throw .invalidServiceAccount("the service-account JSON's private_key is not a PEM RSA private key")
        }
        guard key.type == .rsa else { throw .invalidServiceAccount("the service-account JSON's private_key is not an RSA key") }
        var header = ["alg": "RS256", "typ": "JWT"]
        header["kid"] = account.privateKeyID
        let issued = Int64(issuedAt.timeIntervalSince1970.rounded(.down))
        let claims = Claims(iss: account.clientEmail, scope: scope, aud: account.tokenURI, iat: issued, exp: issued + Int64(lifetime))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let signingInput: String
        do {
            signingInput = base64URL(try encoder.encode(header)) + "." + base64URL(try encoder.encode(claims))
        } catch {
            throw .invalidServiceAccount("the JWT could not be encoded")
        }
        do {
            return signingInput + "." + base64URL(Data(try key.signature(for: Data(signingInput.utf8))))
        } catch {
            throw .invalidServiceAccount("signing the JWT failed")
        }
    }

    /// The JWT claims Google's token endpoint requires.
    struct Claims: Codable, Hashable {
        var iss: String
        var scope: String
        var aud: String
        var iat: Int64
        var exp: Int64
    }

    /// Base64url without padding (RFC 7515 §2).
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
