import Foundation
import Tariffs

/// When trips may be carried out: the station's trip windows minus its holidays, in the
/// station's time zone. Everything else defers trips (allow-close is never restricted).
public struct TripCalendar: Sendable, Hashable {
    /// A configuration value that cannot be used; `key` is the config key (`control.trip_windows[1]`).
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let key: String
        public let problem: String
        public var description: String { "\(key): \(problem)" }
    }

    /// The windows; at least one.
    public let windows: [TripWindow]
    /// Local dates on which no trip is carried out.
    public let holidays: Set<LocalDate>
    /// The station's zone.
    public let timeZone: TimeZone
    private let clock: ZoneClock

    /// A calendar; there must be at least one window, or trips could never happen.
    public init(windows: [TripWindow], holidays: Set<LocalDate> = [], timeZone: TimeZone) throws(Problem) {
        guard !windows.isEmpty else {
            throw Problem(key: "trip_windows", problem: "no windows; trips would never happen (use \"Mon-Sun 00:00-24:00\" for any time)")
        }
        self.windows = windows
        self.holidays = holidays
        self.timeZone = timeZone
        self.clock = ZoneClock(timeZone)
    }

    /// Parses the `[control]` strings; errors name `keyPrefix.trip_windows[i]` or `keyPrefix.holidays[i]`.
    public static func parse(
        windows: [String], holidays: [String], timeZone: TimeZone, keyPrefix: String = "control"
    ) throws(Problem) -> TripCalendar {
        var parsedWindows: [TripWindow] = []
        for (index, text) in windows.enumerated() {
            do {
                parsedWindows.append(try TripWindow(text))
            } catch {
                throw Problem(key: "\(keyPrefix).trip_windows[\(index)]", problem: error.description)
            }
        }
        var dates = Set<LocalDate>()
        for (index, text) in holidays.enumerated() {
            guard let date = LocalDate(text) else {
                throw Problem(key: "\(keyPrefix).holidays[\(index)]", problem: "\"\(text)\" is not a date \"YYYY-MM-DD\"")
            }
            dates.insert(date)
        }
        do {
            return try TripCalendar(windows: parsedWindows, holidays: dates, timeZone: timeZone)
        } catch {
            throw Problem(key: "\(keyPrefix).trip_windows", problem: error.problem)
        }
    }

    public static func == (lhs: TripCalendar, rhs: TripCalendar) -> Bool {
        lhs.windows == rhs.windows && lhs.holidays == rhs.holidays && lhs.timeZone == rhs.timeZone
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(windows)
        hasher.combine(holidays)
        hasher.combine(timeZone)
    }

    /// The local date at `instant`.
    public func localDate(at instant: Date) -> LocalDate {
        LocalDate(dayNumber: clock.dayAndSecond(instant.unixSeconds).day)
    }

    /// Whether `instant` falls on a holiday.
    public func isHoliday(at instant: Date) -> Bool {
        holidays.contains(localDate(at: instant))
    }

    /// Whether a trip may be carried out at `instant`.
    public func isOpen(at instant: Date) -> Bool {
        let (day, second) = clock.dayAndSecond(instant.unixSeconds)
        guard !holidays.contains(LocalDate(dayNumber: day)) else { return false }
        let weekday = Weekday(dayNumber: day)
        let minute = Int(second / 60)
        return windows.contains { $0.days.contains(weekday) && $0.start.minutes <= minute && minute < $0.end.minutes }
    }

    /// The earliest instant at or after `instant` when a trip may be carried out: `instant`
    /// itself when a window is open. `nil` only if no window opens within the search horizon,
    /// which cannot happen for a valid calendar (a week plus one day per holiday).
    public func nextOpening(atOrAfter instant: Date) -> Date? {
        let now = instant.unixSeconds
        if isOpen(at: instant) { return instant }
        let today = clock.dayAndSecond(now).day
        let horizon = Int64(8 + holidays.count)
        for offset in 0...horizon {
            let day = today + offset
            guard !holidays.contains(LocalDate(dayNumber: day)) else { continue }
            let weekday = Weekday(dayNumber: day)
            let openings = windows.filter { $0.days.contains(weekday) }.sorted { $0.start < $1.start }
            for window in openings {
                let opens = clock.utc(fromLocal: day * 86_400 + Int64(window.start.minutes) * 60)
                let closes = clock.utc(fromLocal: day * 86_400 + Int64(window.end.minutes) * 60)
                if closes <= now { continue }
                // Opening minutes are whole minutes; `now` is not inside (checked above), so the
                // opening lies ahead.
                return Date(unixSeconds: max(opens, now))
            }
        }
        return nil
    }
}
