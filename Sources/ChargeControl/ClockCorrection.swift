/// When and how the station sets a meter's clock (DESIGN.md "Managing the meters"): beyond the
/// tolerance, broadcast time (08H) when the offset is within the standard's ±5 minutes, a 14H
/// write of date and time beyond (meters ignore a broadcast that far off).
public enum ClockCorrection {
    /// The largest offset a broadcast time sets (DL/T 645: ±5 minutes).
    public static let broadcastLimitSeconds: Int64 = 300

    /// The command that corrects a clock `offsetSeconds` off (meter minus station), or nil
    /// within `toleranceSeconds`.
    public static func command(offsetSeconds: Int64, toleranceSeconds: Int64) -> CommandKind? {
        let off = offsetSeconds.magnitude
        guard off > toleranceSeconds.magnitude else { return nil }
        return off <= broadcastLimitSeconds.magnitude ? .clockBroadcast : .clockWrite
    }

    /// Whether a clock read back after a correction is right again.
    public static func isCorrected(offsetSeconds: Int64, toleranceSeconds: Int64) -> Bool {
        offsetSeconds.magnitude <= toleranceSeconds.magnitude
    }
}
