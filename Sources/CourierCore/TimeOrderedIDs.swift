import Foundation
import Synchronization

/// A source of UUID version 7 identifiers (RFC 9562): a 48-bit Unix time in milliseconds, a 12-bit counter and 62
/// random bits, written as lowercase UUID text.
///
/// Identifiers from one source sort, as text, in the order they were made, even within one millisecond (the counter
/// counts up, and a full counter moves on to the next millisecond). Rows keyed by them are appended to the end of the
/// store's indexes rather than scattered over them, so a commit touches few pages, and the deliveries of one push are
/// claimed together.
public final class TimeOrderedIDs: Sendable {
    private struct Last {
        var milliseconds: UInt64 = 0
        var counter: UInt16 = 0
    }

    private let last = Mutex(Last())
    private let now: @Sendable () -> Date
    private let random: @Sendable () -> UInt64

    /// A source reading `now` and drawing from `random` (the system's generator by default).
    public init(
        now: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> UInt64 = { UInt64.random(in: .min ... .max) }
    ) {
        self.now = now
        self.random = random
    }

    /// The next identifier, greater than every earlier one from this source.
    public func next() -> String {
        let clock = UInt64(max(0, now().timeIntervalSince1970 * 1000))
        let (milliseconds, counter) = last.withLock { last -> (UInt64, UInt16) in
            if clock > last.milliseconds {
                last.milliseconds = clock
                last.counter = 0
            } else if last.counter < 0xFFF {
                last.counter += 1
            } else {
                last.milliseconds += 1
                last.counter = 0
            }
            return (last.milliseconds, last.counter)
        }
        let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | UInt64(counter)
        let low = random() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        let hex = Self.hex(high, digits: 16) + Self.hex(low, digits: 16)
        let characters = Array(hex)
        return String(characters[0..<8]) + "-" + String(characters[8..<12]) + "-" + String(characters[12..<16]) + "-"
            + String(characters[16..<20]) + "-" + String(characters[20..<32])
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: digits - text.count) + text
    }
}
