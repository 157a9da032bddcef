import Foundation

/// The sources of time, identity and hashing that use cases need, injected so tests control them.
public struct ServiceEnvironment: Sendable {
    /// The current time.
    public var now: @Sendable () -> Date
    /// A new unique identifier (a lowercase, time-ordered UUID in production: ``TimeOrderedIDs``).
    public var newID: @Sendable () -> String
    /// Hex SHA-256 of a token secret.
    public var hashSecret: @Sendable (String) -> String

    public init(
        now: @escaping @Sendable () -> Date,
        newID: @escaping @Sendable () -> String,
        hashSecret: @escaping @Sendable (String) -> String
    ) {
        self.now = now
        self.newID = newID
        self.hashSecret = hashSecret
    }
}

/// Token secrets: `courier_` followed by 43 base64url characters (32 random bytes).
public enum TokenSecret {
    /// The prefix every Courier token starts with, so secret scanners can find leaked ones.
    public static let prefix = "courier_"

    /// A new random token secret from the system's cryptographically secure generator.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + encoded
    }
}
