import Foundation

/// Where tier years begin and end, as UTC seconds: a table of year starts precomputed for
/// 1970–2199 so that rating never asks Foundation for a time-zone offset in its hot path, with
/// direct computation outside that range.
package struct TierYears: Sendable, Hashable {
    package let yearStart: MonthDay
    private let clock: ZoneClock
    private let firstYear: Int64 = 1970
    private let starts: [Int64]

    package init(yearStart: MonthDay, zone: TimeZone) {
        self.yearStart = yearStart
        self.clock = ZoneClock(zone)
        var starts: [Int64] = []
        starts.reserveCapacity(231)
        for year in 1970...2200 {
            starts.append(Self.start(of: Int64(year), yearStart: yearStart, clock: clock))
        }
        self.starts = starts
    }

    package static func == (lhs: TierYears, rhs: TierYears) -> Bool {
        lhs.yearStart == rhs.yearStart && lhs.clock == rhs.clock
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(yearStart)
        hasher.combine(clock.zone)
    }

    private static func start(of year: Int64, yearStart: MonthDay, clock: ZoneClock) -> Int64 {
        let day = CivilCalendar.dayNumber(year: year, month: Int64(yearStart.month), day: Int64(yearStart.day))
        return clock.utc(fromLocal: day * 86_400)
    }

    /// The tier year containing `utc`: its start (inclusive) and end (exclusive), in UTC seconds.
    package func year(containing utc: Int64) -> (start: Int64, end: Int64) {
        if let first = starts.first, let last = starts.last, utc >= first, utc < last {
            // Binary search for the last start <= utc.
            var low = 0
            var high = starts.count - 1
            while high - low > 1 {
                let middle = (low + high) / 2
                if starts[middle] <= utc { low = middle } else { high = middle }
            }
            return (starts[low], starts[low + 1])
        }
        // Outside the table: compute from the local calendar year.
        let (day, _) = clock.dayAndSecond(utc)
        var year = CivilCalendar.date(dayNumber: day).year
        var start = Self.start(of: year, yearStart: yearStart, clock: clock)
        if start > utc {
            year -= 1
            start = Self.start(of: year, yearStart: yearStart, clock: clock)
        }
        return (start, Self.start(of: year + 1, yearStart: yearStart, clock: clock))
    }
}
