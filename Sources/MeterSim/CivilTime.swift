import DLT645
import Tariffs

/// Conversions between unix seconds and a meter's civil clock at a fixed UTC offset, without
/// Foundation calendars (cheap enough to run on every deadline check). The calendar arithmetic
/// is the station's own (`CivilCalendar` in Tariffs).
enum CivilTime {
    /// The civil date-time of `unixSecond` at `utcOffsetSeconds`, or nil outside 2000…2099.
    static func meterDateTime(unixSecond: Int64, utcOffsetSeconds: Int64) -> MeterDateTime? {
        let local = unixSecond + utcOffsetSeconds
        let days = CivilCalendar.floorDivide(local, 86_400)
        let secondOfDay = local - days * 86_400
        let (y, m, d) = CivilCalendar.date(dayNumber: days)
        return try? MeterDateTime(year: Int(y), month: Int(m), day: Int(d), hour: Int(secondOfDay / 3600),
                                  minute: Int(secondOfDay / 60 % 60), second: Int(secondOfDay % 60))
    }

    /// The unix second that `dateTime` names at `utcOffsetSeconds`.
    static func unixSecond(of dateTime: MeterDateTime, utcOffsetSeconds: Int64) -> Int64 {
        let days = CivilCalendar.dayNumber(year: Int64(dateTime.year), month: Int64(dateTime.month), day: Int64(dateTime.day))
        return days * 86_400 + Int64(dateTime.hour * 3600 + dateTime.minute * 60 + dateTime.second) - utcOffsetSeconds
    }
}
