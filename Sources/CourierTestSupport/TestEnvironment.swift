import CourierCore
import Foundation
import Synchronization

/// A clock that only moves when a test moves it.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    /// A clock showing `start` (by default 2023-11-14T22:13:20Z, a whole second).
    public init(start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = Mutex(start)
    }

    /// The time the clock shows.
    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}

/// Identifiers shaped like UUIDs that count up: `00000000-0000-0000-0000-000000000001`, `…002`, …
///
/// They sort in creation order, which makes orderings that break ties by id predictable.
public final class SequentialIDs: Sendable {
    private let counter = Mutex(0)

    /// A generator whose first id ends in `1`.
    public init() {}

    /// The next identifier.
    public func next() -> String {
        let value = counter.withLock { count in
            count += 1
            return count
        }
        let digits = String(value, radix: 16)
        return "00000000-0000-0000-0000-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
}

extension ServiceEnvironment {
    /// A deterministic environment: sequential ids, a manual clock and `testHash` for secrets.
    ///
    /// - Parameters:
    ///   - clock: the clock `now` reads; keep a reference to move it.
    ///   - ids: the source of `newID`.
    public static func testing(clock: TestClock = TestClock(), ids: SequentialIDs = SequentialIDs()) -> ServiceEnvironment {
        ServiceEnvironment(now: { clock.now }, newID: { ids.next() }, hashSecret: testHash)
    }

    /// A deterministic stand-in for SHA-256 that is *not* cryptographic: 64 hex characters made
    /// of four FNV-1a 64-bit hashes of the input with different seeds.
    public static func testHash(_ secret: String) -> String {
        (0..<4).map { (seed: UInt64) in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
            for byte in secret.utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            let hex = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
        .joined()
    }
}
