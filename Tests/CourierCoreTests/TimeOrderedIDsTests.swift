import CourierCore
import Foundation
import Synchronization
import Testing

@Suite struct TimeOrderedIDsTests {
    @Test func idsAreVersion7UUIDsCarryingTheMillisecond() throws {
        let instant = Date(timeIntervalSince1970: 1_764_806_400.123)
        let id = TimeOrderedIDs(now: { instant }, random: { .max }).next()
        #expect(id == "019ae6a8-987b-7000-bfff-ffffffffffff")
        #expect(UUID(uuidString: id) != nil)
        let milliseconds = try #require(UInt64(id.prefix(8) + id.dropFirst(9).prefix(4), radix: 16))
        #expect(milliseconds == 1_764_806_400_123)
    }

    @Test func idsSortInTheOrderTheyWereMadeWithinOneMillisecondAndPastAFullCounter() {
        let ids = TimeOrderedIDs(now: { Date(timeIntervalSince1970: 1_764_806_400) }, random: { UInt64.random(in: .min ... .max) })
        let made = (0..<10_000).map { _ in ids.next() }
        #expect(made == made.sorted())
        #expect(Set(made).count == made.count)
        #expect(made.allSatisfy { $0.count == 36 && $0 == $0.lowercased() && Array($0)[14] == "7" && "89ab".contains(Array($0)[19]) })
    }

    @Test func aClockThatStepsBackDoesNotBreakTheOrder() {
        let clock = Mutex(Date(timeIntervalSince1970: 1_764_806_400))
        let ids = TimeOrderedIDs(now: { clock.withLock { $0 } }, random: { 0 })
        let before = ids.next()
        clock.withLock { $0 = $0.addingTimeInterval(-5) }
        let after = ids.next()
        #expect(before < after)
    }
}
