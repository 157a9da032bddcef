import CourierWire
import Foundation

/// How the CLI spells values in tables and sentences.
enum Formatting {
    /// `2026-12-04 15:24:42 UTC`, the one date format of every table.
    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String {
            let value = value ?? 0
            return value < 10 ? "0\(value)" : "\(value)"
        }
        let year = String(parts.year ?? 0)
        return "\(year)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) UTC"
    }

    /// `project/workflow` for a scoped token, empty for an organization-wide one.
    static func scope(_ scope: WorkflowScopeDTO?) -> String {
        scope.map { "\($0.project)/\($0.workflow)" } ?? ""
    }
}
