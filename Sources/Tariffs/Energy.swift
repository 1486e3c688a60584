/// An amount of energy in hundredths of a kWh: the meter's own resolution (XXXXXX.XX kWh).
public struct Energy: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The amount in hundredths of a kWh.
    public var hundredths: Int64

    /// Hundredths in one kWh.
    public static let hundredthsPerKWh: Int64 = 100
    /// No energy.
    public static let zero = Energy(hundredths: 0)

    /// An amount of `hundredths` hundredths of a kWh.
    public init(hundredths: Int64) { self.hundredths = hundredths }

    /// Parses kWh such as `"1234.56"`: at most two decimals, never negative.
    public init(kWh text: String) throws(DecimalError) {
        self.hundredths = try parseScaledDecimal(text, scale: 2, maxDecimals: 2, allowNegative: false)
    }

    /// kWh with two decimals (`"1234.56"`).
    public var kWhString: String { formatScaledDecimal(hundredths, scale: 2, decimals: 2) }

    public var description: String { kWhString + " kWh" }

    public static func < (lhs: Energy, rhs: Energy) -> Bool { lhs.hundredths < rhs.hundredths }

    /// The sum, or `nil` when it would overflow.
    public func adding(_ other: Energy) -> Energy? {
        let (sum, overflow) = hundredths.addingReportingOverflow(other.hundredths)
        return overflow ? nil : Energy(hundredths: sum)
    }
}
