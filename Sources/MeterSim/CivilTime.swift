import DLT645

/// Conversions between unix seconds and a meter's civil clock at a fixed UTC offset, without
/// Foundation calendars (cheap enough to run on every deadline check).
enum CivilTime {
    /// The civil date-time of `unixSecond` at `utcOffsetSeconds`, or nil outside 2000…2099.
    static func meterDateTime(unixSecond: Int64, utcOffsetSeconds: Int64) -> MeterDateTime? {
        let local = unixSecond + utcOffsetSeconds
        let secondOfDay = floorMod(local, 86_400)
        let days = (local - secondOfDay) / 86_400
        let (y, m, d) = civil(fromDays: days)
        return try? MeterDateTime(year: Int(y), month: Int(m), day: Int(d), hour: Int(secondOfDay / 3600),
                                  minute: Int(secondOfDay / 60 % 60), second: Int(secondOfDay % 60))
    }

    /// The unix second that `dateTime` names at `utcOffsetSeconds`.
    static func unixSecond(of dateTime: MeterDateTime, utcOffsetSeconds: Int64) -> Int64 {
        let days = daysFromCivil(Int64(dateTime.year), Int64(dateTime.month), Int64(dateTime.day))
        return days * 86_400 + Int64(dateTime.hour * 3600 + dateTime.minute * 60 + dateTime.second) - utcOffsetSeconds
    }

    // Howard Hinnant's algorithms (proleptic Gregorian, days since 1970-01-01).
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
