import Foundation

/// The daily time-of-use schedule: which tariff register runs at each time of day, in the
/// tariff's time zone. Each period runs from its start until the next period's start, wrapping
/// at midnight, so a day is always fully covered.
///
/// Shared by the rater's checks, the meter simulator (which register a simulated meter advances)
/// and the station.
public struct TimeOfUseSchedule: Sendable, Equatable {
    /// One period of the day.
    public struct Period: Sendable, Hashable {
        /// Local time of day the period starts (never 24:00).
        public let start: MinuteOfDay
        /// The register that runs during the period.
        public let register: TariffRegister

        public init(start: MinuteOfDay, register: TariffRegister) {
            self.start = start
            self.register = register
        }
    }

    /// Why a list of periods is not a schedule.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// No periods at all: the day would not be covered.
        case noPeriods
        /// Two periods start at the same minute.
        case duplicateStart(MinuteOfDay)
        /// A period starts at 24:00.
        case startAtEndOfDay

        public var description: String {
            switch self {
            case .noPeriods: return "no periods; at least one is required to cover the day"
            case .duplicateStart(let start): return "two periods start at \(start); periods must not overlap"
            case .startAtEndOfDay: return "a period cannot start at 24:00"
            }
        }
    }

    /// The periods, sorted by start.
    public let periods: [Period]
    /// The zone the times of day are in.
    public let timeZone: TimeZone
    private let clock: ZoneClock

    /// A schedule from periods in any order.
    public init(periods: [Period], timeZone: TimeZone) throws(Problem) {
        guard !periods.isEmpty else { throw .noPeriods }
        let sorted = periods.sorted { $0.start < $1.start }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where earlier.start == later.start {
            throw .duplicateStart(later.start)
        }
        if sorted.contains(where: { $0.start == .endOfDay }) { throw .startAtEndOfDay }
        self.periods = sorted
        self.timeZone = timeZone
        self.clock = ZoneClock(timeZone)
    }

    /// The register in force at `instant`.
    public func register(at instant: Date) -> TariffRegister {
        period(at: instant).register
    }

    /// The register in force at `instant` and the instant of the next period boundary after it
    /// (the next period's start; the register there may be the same, e.g. with one period).
    ///
    /// `until` is always later than `instant`, so a simulator can step from boundary to boundary.
    public func period(at instant: Date) -> (register: TariffRegister, until: Date) {
        let utc = instant.unixSeconds
        let (day, second) = clock.dayAndSecond(utc)
        let minute = Int(second / 60)
        // The last period starting at or before now; before the first start, yesterday's last one.
        var index = periods.count - 1
        for (candidate, period) in periods.enumerated() where period.start.minutes <= minute {
            index = candidate
        }
        let current = periods[index]
        let nextIndex = index + 1
        let nextLocal: Int64
        if nextIndex < periods.count {
            nextLocal = day * 86_400 + Int64(periods[nextIndex].start.minutes) * 60
        } else if periods[0].start.minutes > minute {
            // Before the first start of the day: the boundary is today's first start.
            nextLocal = day * 86_400 + Int64(periods[0].start.minutes) * 60
        } else {
            nextLocal = (day + 1) * 86_400 + Int64(periods[0].start.minutes) * 60
        }
        var until = clock.utc(fromLocal: nextLocal)
        // Around a daylight-saving change the wall clock can map back before now; never stall.
        if until <= utc { until = utc + 60 }
        return (current.register, Date(unixSeconds: until))
    }
}
