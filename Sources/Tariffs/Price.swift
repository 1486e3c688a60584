/// A price in micro-yuan per kWh. Tariff files give yuan with up to four decimals (`"0.5383"`),
/// so a parsed price is always a multiple of 100 micro-yuan and every charge is exact.
public struct Price: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The price in micro-yuan per kWh.
    public var microYuanPerKWh: Int64

    /// Free.
    public static let zero = Price(microYuanPerKWh: 0)

    /// A price of `microYuanPerKWh` micro-yuan per kWh.
    public init(microYuanPerKWh: Int64) { self.microYuanPerKWh = microYuanPerKWh }

    /// Parses yuan per kWh such as `"0.5683"`: at most four decimals, never negative.
    public init(yuanPerKWh text: String) throws(DecimalError) {
        self.microYuanPerKWh = try parseScaledDecimal(text, scale: 6, maxDecimals: 4, allowNegative: false)
    }

    /// Yuan per kWh with four decimals (`"0.5683"`).
    public var yuanString: String { formatScaledDecimal(microYuanPerKWh, scale: 6, decimals: 4) }

    public var description: String { yuanString + " yuan/kWh" }

    public static func < (lhs: Price, rhs: Price) -> Bool { lhs.microYuanPerKWh < rhs.microYuanPerKWh }

    /// The charge of `energy` at this price: energy × price / 100, exact for four-decimal prices
    /// (any other remainder is rounded half away from zero). `nil` when the product overflows.
    public func charge(for energy: Energy) -> Money? {
        let (product, overflow) = energy.hundredths.multipliedReportingOverflow(by: microYuanPerKWh)
        if overflow { return nil }
        return Money(microYuan: divideRoundingHalfAway(product, by: 100))
    }
}

/// Integer division rounding half away from zero; the divisor is positive.
package func divideRoundingHalfAway(_ value: Int64, by divisor: Int64) -> Int64 {
    let quotient = value / divisor
    let remainder = value % divisor
    if remainder.magnitude * 2 >= divisor.magnitude {
        return value < 0 ? quotient - 1 : quotient + 1
    }
    return quotient
}
