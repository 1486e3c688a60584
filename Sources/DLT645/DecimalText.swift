/// Fixed-point values as the decimal text a meter display (and the simulator's admin API) shows,
/// by integer arithmetic only.
extension NumberFormat {
    /// Hundredths as `XXXXXX.XX` without leading zeros: 2000 → `"20.00"`, -5 → `"-0.05"`.
    public static func hundredthsText(_ value: Int64) -> String {
        scaledText(value, decimals: 2)
    }

    /// Ten-thousandths as `XXXX.XXXX` without leading zeros: 5680 → `"0.5680"`.
    public static func tenThousandthsText(_ value: Int64) -> String {
        scaledText(value, decimals: 4)
    }

    private static func scaledText(_ value: Int64, decimals: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let magnitude = value.magnitude
        let fraction = String(magnitude % scale)
        let padded = String(repeating: "0", count: decimals - fraction.count) + fraction
        return (value < 0 ? "-" : "") + "\(magnitude / scale).\(padded)"
    }
}
