/// An amount of money in micro-yuan (1 yuan = 1,000,000).
///
/// Integers only: a balance must replay to the same value on every machine, forever. Displayed
/// in yuan with two decimals; tariff prices have four decimals, so charges are exact.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The amount in micro-yuan.
    public var microYuan: Int64

    /// Micro-yuan in one yuan.
    public static let microYuanPerYuan: Int64 = 1_000_000
    /// Nothing.
    public static let zero = Money(microYuan: 0)

    /// An amount of `microYuan` micro-yuan.
    public init(microYuan: Int64) { self.microYuan = microYuan }

    /// Parses a yuan amount such as `"50.00"` or `"-10"`; at most `maxDecimals` decimals (2 for
    /// amounts, as INTERFACES.md says; 6 reaches the micro-yuan).
    public init(yuan text: String, maxDecimals: Int = 2) throws(DecimalError) {
        self.microYuan = try parseScaledDecimal(text, scale: 6, maxDecimals: min(maxDecimals, 6), allowNegative: true)
    }

    /// Yuan with two decimals, rounded half away from zero (`"12.35"` for 12.345 yuan).
    public var yuanString: String { formatScaledDecimal(microYuan, scale: 6, decimals: 2) }

    /// Yuan with all six decimals: the exact amount.
    public var exactYuanString: String { formatScaledDecimal(microYuan, scale: 6, decimals: 6) }

    public var description: String { yuanString }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.microYuan < rhs.microYuan }

    /// The sum, or `nil` when it would overflow.
    public func adding(_ other: Money) -> Money? {
        let (sum, overflow) = microYuan.addingReportingOverflow(other.microYuan)
        return overflow ? nil : Money(microYuan: sum)
    }

    /// The difference, or `nil` when it would overflow.
    public func subtracting(_ other: Money) -> Money? {
        let (difference, overflow) = microYuan.subtractingReportingOverflow(other.microYuan)
        return overflow ? nil : Money(microYuan: difference)
    }
}
