import Foundation

/// RFC 3339 instants with an explicit offset (`2025-03-01T10:00:00+08:00`), as INTERFACES.md
/// requires everywhere an instant is written down. Parsed by hand so that the rules do not
/// depend on formatter state or locale.
public enum RFC3339 {
    /// The instant written as `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, or `nil`.
    /// A fraction of a second is accepted and truncated (the rules work in whole seconds).
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ start: Int, _ length: Int) -> Int64? {
            guard start + length <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[start..<(start + length)] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = number(5, 2), bytes[7] == UInt8(ascii: "-"),
            let day = number(8, 2),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
            let hour = number(11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = number(14, 2), bytes[16] == UInt8(ascii: ":"),
            let second = number(17, 2),
            (1...12).contains(month), day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset: Int64 = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, let offsetHours = number(index + 1, 2),
                bytes[index + 3] == UInt8(ascii: ":"), let offsetMinutes = number(index + 4, 2),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offset = (offsetHours * 60 + offsetMinutes) * 60
            if bytes[index] == UInt8(ascii: "-") { offset = -offset }
        default:
            return nil
        }
        // A leap second (":60") is folded onto the next second.
        let days = CivilCalendar.dayNumber(year: year, month: month, day: day)
        let wall = days * 86_400 + hour * 3600 + minute * 60 + second
        return Date(unixSeconds: wall - offset)
    }

    /// `instant` written with the offset `zone` has then (`2025-03-01T10:00:00+08:00`).
    public static func format(_ instant: Date, in zone: TimeZone) -> String {
        let seconds = instant.unixSeconds
        let offset = ZoneClock(zone).offset(atUTC: seconds)
        let wall = seconds + offset
        let day = CivilCalendar.floorDivide(wall, 86_400)
        let secondOfDay = wall - day * 86_400
        let date = LocalDate(dayNumber: day)
        func two(_ value: Int64) -> String { (value < 10 ? "0" : "") + String(value) }
        let sign = offset < 0 ? "-" : "+"
        let offsetMinutes = abs(offset) / 60
        return date.description + "T" + two(secondOfDay / 3600) + ":" + two(secondOfDay / 60 % 60) + ":"
            + two(secondOfDay % 60) + sign + two(offsetMinutes / 60) + ":" + two(offsetMinutes % 60)
    }
}
