import Foundation

// Instants are `Foundation.Date` in every public API of Tariffs and ChargeControl. Inside, the
// rules work on whole Unix seconds (Int64, sub-second parts truncated toward the past): meter
// registers and clocks resolve to the second, and integer time keeps proportional splits exact.

extension Date {
    /// Whole seconds since 1970-01-01T00:00:00Z, truncated toward the past; clamped to ±2^52 so
    /// that a nonsense `Date` cannot trap the conversion.
    package var unixSeconds: Int64 {
        let seconds = timeIntervalSince1970.rounded(.down)
        let limit: TimeInterval = 4_503_599_627_370_496
        if !(seconds > -limit) { return -4_503_599_627_370_496 }
        if !(seconds < limit) { return 4_503_599_627_370_496 }
        return Int64(seconds)
    }

    /// The instant `unixSeconds` whole seconds after the Unix epoch.
    package init(unixSeconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(unixSeconds))
    }
}

/// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), in integers.
///
/// Foundation's `Calendar` is correct but slow and locks; rating and window checks run millions
/// of times, so dates are computed with Howard Hinnant's civil-from-days algorithms.
package enum CivilCalendar {
    /// The day number of a calendar date (1970-01-01 is 0).
    package static func dayNumber(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day number.
    package static func date(dayNumber: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days in `month` of `year`.
    package static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Floor division, so that instants before 1970 land on the right day.
    package static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// Local wall-clock arithmetic in one time zone, on Unix seconds.
///
/// "Local seconds" are seconds since 1970-01-01T00:00 *wall clock* in the zone: `utc + offset`.
package struct ZoneClock: Sendable, Equatable {
    package let zone: TimeZone

    package init(_ zone: TimeZone) { self.zone = zone }

    /// The zone's offset from UTC at `utc`, in seconds.
    package func offset(atUTC utc: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(unixSeconds: utc)))
    }

    /// Wall-clock seconds at the UTC instant.
    package func local(_ utc: Int64) -> Int64 { utc + offset(atUTC: utc) }

    /// The UTC instant showing wall-clock `local`. Two refinements of the offset settle it
    /// wherever the offset is constant around the answer; in a daylight-saving gap (a wall time
    /// that does not exist) the result is shifted by the size of the gap.
    package func utc(fromLocal local: Int64) -> Int64 {
        let guess = local - offset(atUTC: local)
        return local - offset(atUTC: guess)
    }

    /// The local day number (days since 1970-01-01 on the wall clock) and the seconds into it.
    package func dayAndSecond(_ utc: Int64) -> (day: Int64, second: Int64) {
        let wall = local(utc)
        let day = CivilCalendar.floorDivide(wall, 86_400)
        return (day, wall - day * 86_400)
    }
}
