/// A time of day to the minute, `"HH:MM"`; `"24:00"` (1440) is the end of the day where the
/// caller allows it (trip windows), never as a tariff period start.
public struct MinuteOfDay: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Minutes since local midnight, 0...1440.
    public let minutes: Int

    /// The end of the day, for ranges such as `00:00-24:00`.
    public static let endOfDay = MinuteOfDay(uncheckedMinutes: 1440)

    /// A time of day; `nil` unless `0 <= minutes <= 1440`.
    public init?(minutes: Int) {
        guard (0...1440).contains(minutes) else { return nil }
        self.minutes = minutes
    }

    private init(uncheckedMinutes: Int) { self.minutes = uncheckedMinutes }

    /// Parses `"HH:MM"` (two digits each); `"24:00"` only when `allowEndOfDay`.
    public init?(_ text: String, allowEndOfDay: Bool = false) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let hour = Int(parts[0]), let minute = Int(parts[1]),
            minute < 60
        else { return nil }
        if hour == 24 && minute == 0 && allowEndOfDay {
            self.minutes = 1440
        } else if hour < 24 {
            self.minutes = hour * 60 + minute
        } else {
            return nil
        }
    }

    public var description: String {
        let hour = minutes / 60
        let minute = minutes % 60
        return (hour < 10 ? "0" : "") + String(hour) + ":" + (minute < 10 ? "0" : "") + String(minute)
    }

    public static func < (lhs: MinuteOfDay, rhs: MinuteOfDay) -> Bool { lhs.minutes < rhs.minutes }
}

/// A day of the year, `"MM-DD"`, such as the start of a tier year. February 29 is refused: a
/// tier year must start on a day every year has.
public struct MonthDay: Sendable, Hashable, Codable, CustomStringConvertible {
    public let month: Int
    public let day: Int

    /// January 1, the default start of a tier year.
    public static let januaryFirst = MonthDay(uncheckedMonth: 1, day: 1)

    private init(uncheckedMonth: Int, day: Int) {
        self.month = uncheckedMonth
        self.day = day
    }

    /// A day of the year; `nil` for days that not every year has.
    public init?(month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1,
            day <= CivilCalendar.daysInMonth(year: 2001, month: Int64(month))
        else { return nil }
        self.month = month
        self.day = day
    }

    /// Parses `"MM-DD"`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let month = Int(parts[0]), let day = Int(parts[1])
        else { return nil }
        self.init(month: month, day: day)
    }

    public var description: String {
        (month < 10 ? "0" : "") + String(month) + "-" + (day < 10 ? "0" : "") + String(day)
    }
}

/// A calendar date in some time zone, `"YYYY-MM-DD"`: a holiday, a day of a tier year.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A valid Gregorian date, or `nil`.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= CivilCalendar.daysInMonth(year: Int64(year), month: Int64(month))
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `"YYYY-MM-DD"`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The date of local day number `dayNumber` (days since 1970-01-01).
    package init(dayNumber: Int64) {
        let civil = CivilCalendar.date(dayNumber: dayNumber)
        self.year = Int(civil.year)
        self.month = Int(civil.month)
        self.day = Int(civil.day)
    }

    /// Days since 1970-01-01.
    package var dayNumber: Int64 {
        CivilCalendar.dayNumber(year: Int64(year), month: Int64(month), day: Int64(day))
    }

    public var description: String {
        let yearText = String(year)
        return String(repeating: "0", count: max(0, 4 - yearText.count)) + yearText + "-"
            + (month < 10 ? "0" : "") + String(month) + "-" + (day < 10 ? "0" : "") + String(day)
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}
