import Foundation

/// A meter's civil date and time (years 2000–2099), as the meter's own clock shows it.
///
/// On the wire: `ss mm hh DD MM YY` (seconds first) for validity deadlines and broadcast time,
/// `WW DD MM YY` for 04000101, `ss mm hh` for 04000102, all BCD.
public struct MeterDateTime: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) throws(DLT645Error) {
        guard (2000...2099).contains(year), (1...12).contains(month), (1...31).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else {
            throw .invalidDateTime("\(year)-\(month)-\(day) \(hour):\(minute):\(second)")
        }
        guard day <= MeterDateTime.daysIn(month: month, year: year) else {
            throw .invalidDateTime("\(year)-\(month) has no day \(day)")
        }
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    /// The civil time of `date` in `timeZone` (meters keep local time).
    public init(_ date: Date, in timeZone: TimeZone) throws(DLT645Error) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        try self.init(year: c.year ?? 0, month: c.month ?? 0, day: c.day ?? 0,
                      hour: c.hour ?? 0, minute: c.minute ?? 0, second: c.second ?? 0)
    }

    /// The instant this civil time names in `timeZone`.
    public func date(in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }

    /// `ss mm hh DD MM YY`.
    public var wireBytes: [UInt8] {
        [second, minute, hour, day, month, year - 2000].map { BCD.byte(UInt8($0)) }
    }

    /// Parses `ss mm hh DD MM YY`.
    public init(wireBytes bytes: [UInt8]) throws(DLT645Error) {
        guard bytes.count == 6 else { throw .invalidDateTime("\(bytes.count) bytes, want 6") }
        var v = [Int]()
        for (i, b) in bytes.enumerated() {
            guard let d = BCD.value(of: b) else { throw .invalidBCD(byte: b, index: i) }
            v.append(Int(d))
        }
        try self.init(year: 2000 + v[5], month: v[4], day: v[3], hour: v[2], minute: v[1], second: v[0])
    }

    /// Weekday 0 = Sunday … 6 = Saturday, as 04000101 carries it.
    public var weekday: Int {
        // Zeller-style count from a known Sunday (2000-01-02) keeps this free of calendars.
        let days = MeterDateTime.daysSince2000(year: year, month: month, day: day)
        return ((days - 1) % 7 + 7) % 7
    }

    /// 04000101's value: `WW DD MM YY`.
    public var dateWireBytes: [UInt8] {
        [weekday, day, month, year - 2000].map { BCD.byte(UInt8($0)) }
    }

    /// 04000102's value: `ss mm hh`.
    public var timeWireBytes: [UInt8] { [second, minute, hour].map { BCD.byte(UInt8($0)) } }

    public static func < (a: MeterDateTime, b: MeterDateTime) -> Bool {
        (a.year, a.month, a.day, a.hour, a.minute, a.second) < (b.year, b.month, b.day, b.hour, b.minute, b.second)
    }

    public var description: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute)):\(two(second))"
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func daysSince2000(year: Int, month: Int, day: Int) -> Int {
        var days = 0
        for y in 2000..<year { days += (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 366 : 365 }
        for m in 1..<month { days += daysIn(month: m, year: year) }
        return days + day - 1
    }
}
