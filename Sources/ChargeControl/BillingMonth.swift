import Foundation

/// One billing month of a statement: from the reading day 00:00 (station zone) to the next
/// month's reading day 00:00, named after the month it starts in (`"2026-11"`).
public struct BillingMonth: Sendable, Hashable, Comparable {
    public let year: Int
    /// 1...12.
    public let month: Int
    /// The first instant of the month (inclusive).
    public let from: Date
    /// The first instant of the next month (exclusive).
    public let to: Date

    /// `"YYYY-MM"`.
    public var label: String {
        let y = String(year), m = String(month)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + (m.count < 2 ? "0" : "") + m
    }

    /// Whether `instant` falls in the month.
    public func contains(_ instant: Date) -> Bool { instant >= from && instant < to }

    public static func < (a: BillingMonth, b: BillingMonth) -> Bool { a.from < b.from }
}

/// Billing months from `[billing] reading_day`, on civil dates of the station's zone: a month is
/// never "30 days" or "24 hours × days", so summer-time changes and month lengths do not move it.
public enum BillingCalendar {
    /// The days a month may start on: every month has them.
    public static let readingDays = 1...28

    /// The `count` billing months that end with the one containing `now`, oldest first.
    /// `readingDay` must be in `readingDays`; `count` at least 1.
    public static func months(_ count: Int, readingDay: Int, endingWith now: Date, zone: TimeZone) -> [BillingMonth] {
        precondition(readingDays.contains(readingDay) && count >= 1, "reading day \(readingDay), \(count) months")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let today = calendar.dateComponents([.year, .month, .day], from: now)
        // Months counted from year 0: month n is year n / 12, month n % 12 + 1.
        var current = (today.year ?? 1970) * 12 + (today.month ?? 1) - 1
        if (today.day ?? 1) < readingDay { current -= 1 }
        return (current - count + 1...current).map { n in
            BillingMonth(year: n / 12, month: n % 12 + 1,
                         from: start(ofMonth: n, readingDay: readingDay, calendar: calendar),
                         to: start(ofMonth: n + 1, readingDay: readingDay, calendar: calendar))
        }
    }

    /// The first instant of the reading day of month `n` (counted from year 0). Where summer time
    /// begins at midnight, 00:00 does not exist: the day starts at the first instant it has.
    static func start(ofMonth n: Int, readingDay: Int, calendar: Calendar) -> Date {
        // Noon exists on every day of every zone; the day's start is found from it.
        let noon = DateComponents(year: n / 12, month: n % 12 + 1, day: readingDay, hour: 12)
        guard let date = calendar.date(from: noon) else { return Date(timeIntervalSince1970: 0) }
        return calendar.startOfDay(for: date)
    }
}
