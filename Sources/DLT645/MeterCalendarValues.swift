/// A meter's date as 04000101 carries it: `YYMMDDWW`, sent `WW DD MM YY` (WW 0 = Sunday).
public struct MeterDate: Hashable, Sendable {
    public var year: Int, month: Int, day: Int
    /// 0 = Sunday … 6 = Saturday, as sent; not checked against the date (meters compute their own).
    public var weekday: Int

    /// Parses `WW DD MM YY`: BCD, a real date in 2000…2099, a weekday 0…6.
    public init(wireBytes bytes: [UInt8]) throws(DLT645Error) {
        let v = try bcdValues(bytes, count: 4, what: "YYMMDDWW")
        guard v[0] <= 6 else { throw .invalidDateTime("weekday \(v[0]) is not 0…6") }
        // Validation by MeterDateTime: month, day of month, leap years.
        let date = try MeterDateTime(year: 2000 + v[3], month: v[2], day: v[1], hour: 0, minute: 0, second: 0)
        (year, month, day, weekday) = (date.year, date.month, date.day, v[0])
    }
}

/// A time of day as 04000102 carries it: `hhmmss`, sent `ss mm hh`.
public struct MeterTimeOfDay: Hashable, Sendable {
    public var hour: Int, minute: Int, second: Int

    /// Parses `ss mm hh`: BCD, 00:00:00…23:59:59.
    public init(wireBytes bytes: [UInt8]) throws(DLT645Error) {
        let v = try bcdValues(bytes, count: 3, what: "hhmmss")
        guard v[2] <= 23, v[1] <= 59, v[0] <= 59 else { throw .invalidDateTime("\(v[2]):\(v[1]):\(v[0])") }
        (hour, minute, second) = (v[2], v[1], v[0])
    }
}

/// A civil instant to the minute, `YYMMDDhhmm` (5 B, sent `mm hh DD MM YY`): the format of the
/// price-set switch time 04000108.
public struct MeterMinute: Hashable, Sendable, CustomStringConvertible {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int

    /// A minute in 2000…2099; throws for anything that is not a real date and time.
    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int) throws(DLT645Error) {
        let checked = try MeterDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: 0)
        (self.year, self.month, self.day, self.hour, self.minute) =
            (checked.year, checked.month, checked.day, checked.hour, checked.minute)
    }

    /// Parses `mm hh DD MM YY`.
    public init(wireBytes bytes: [UInt8]) throws(DLT645Error) {
        let v = try bcdValues(bytes, count: 5, what: "YYMMDDhhmm")
        try self.init(year: 2000 + v[4], month: v[3], day: v[2], hour: v[1], minute: v[0])
    }

    /// `mm hh DD MM YY`.
    public var wireBytes: [UInt8] {
        [minute, hour, day, month, year - 2000].map { BCD.byte(UInt8($0)) }
    }

    /// The ten digits `YYMMDDhhmm`, as the standard writes the value (`2612312359`).
    public var description: String { MeterMinute.digits(of: wireBytes) }

    /// The digits of low-byte-first BCD bytes, highest byte first: how a meter shows any
    /// `YYMMDDhhmm`-like value, valid or not (`00 00 00 00 00` → `0000000000`).
    public static func digits(of bytes: [UInt8]) -> String {
        bytes.reversed().map { b in String(b >> 4, radix: 16, uppercase: true) + String(b & 0x0F, radix: 16, uppercase: true) }.joined()
    }
}

/// The two-digit values of `count` BCD bytes, or the error naming the format.
private func bcdValues(_ bytes: [UInt8], count: Int, what: String) throws(DLT645Error) -> [Int] {
    guard bytes.count == count else { throw .valueOutOfRange(value: "\(bytes.count) bytes", format: "\(what) needs \(count) bytes") }
    var values: [Int] = []
    for (index, byte) in bytes.enumerated() {
        guard let v = BCD.value(of: byte) else { throw .invalidBCD(byte: byte, index: index) }
        values.append(Int(v))
    }
    return values
}
