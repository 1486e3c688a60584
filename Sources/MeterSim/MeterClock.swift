import DLT645
import SeededRandom

/// Per-meter clocks: a meter shows civil time plus its own offset (`MeterState.clockOffset`).
/// Offsets come from `--clock-drift-s`, the admin API, broadcast time (08H) and 14H writes of
/// 04000101/04000102.
public enum MeterClock {
    /// Broadcast time corrects a clock only when it is at most this far off (the standard's
    /// ±5 minutes); a meter further off ignores the broadcast and needs a 14H write.
    public static let broadcastLimit: Int64 = 300
    /// The largest offset a meter may have (10 years): well inside Int32, and far enough for
    /// any test while every clock stays within the 2000…2099 a meter can show.
    public static let maximumOffset: Int64 = 315_360_000

    /// Meter `index`'s initial offset, drawn from −`drift`…`drift` seconds deterministically from
    /// the seed and the index (0 when `drift` is 0).
    public static func driftOffset(meter index: Int, drift: Int64, seed: UInt64) -> Int32 {
        let bound = min(drift, maximumOffset)
        guard bound > 0 else { return 0 }
        // A different stream from the load profile's, which also mixes seed and index.
        var rng = SplitMix64(seed: seed ^ 0xC10C_D41F_7000_0001 ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        return Int32(truncatingIfNeeded: Int64(rng.next() % UInt64(2 * bound + 1)) - bound)
    }

    /// The offset that makes a meter show `time` at civil second `civilNow`, or nil when that is
    /// beyond ``maximumOffset``.
    public static func offset(showing time: MeterDateTime, civilNow: Int64, utcOffsetSeconds: Int64) -> Int32? {
        checked(CivilTime.unixSecond(of: time, utcOffsetSeconds: utcOffsetSeconds) - civilNow)
    }

    /// `seconds` as a stored offset, or nil when beyond ``maximumOffset``.
    public static func checked(_ seconds: Int64) -> Int32? {
        abs(seconds) <= maximumOffset ? Int32(seconds) : nil
    }

    /// A meter's offset after hearing broadcast time that asks for `broadcastOffset`: adopted
    /// when the meter's clock is within ``broadcastLimit`` of the broadcast time, else unchanged.
    public static func afterBroadcast(current: Int32, broadcastOffset: Int32) -> Int32 {
        abs(Int64(current) - Int64(broadcastOffset)) <= broadcastLimit ? broadcastOffset : current
    }

    /// The date-time a 14H write of 04000101 (date: `WW DD MM YY`) or 04000102 (time:
    /// `ss mm hh`) makes the meter show, when the meter shows `clock` now: a date write keeps the
    /// time of day, a time write keeps the date. Nil for other identifiers or malformed values.
    static func written(_ di: DataIdentifier, value: [UInt8], onto clock: MeterDateTime) -> MeterDateTime? {
        switch di {
        case .date:
            guard let date = try? MeterDate(wireBytes: value) else { return nil }
            return try? MeterDateTime(year: date.year, month: date.month, day: date.day,
                                      hour: clock.hour, minute: clock.minute, second: clock.second)
        case .time:
            guard let time = try? MeterTimeOfDay(wireBytes: value) else { return nil }
            return try? MeterDateTime(year: clock.year, month: clock.month, day: clock.day,
                                      hour: time.hour, minute: time.minute, second: time.second)
        default:
            return nil
        }
    }
}
