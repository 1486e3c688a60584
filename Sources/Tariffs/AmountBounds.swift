/// The bounds every amount entering the station is checked against (issue 17).
///
/// Each bound is far above anything a real customer, tariff or meter reaches, and far enough
/// inside `Int64` that no sum the station makes of bounded values can overflow: a balance at the
/// bound plus the largest payment, or minus the largest charge one reading can make (the
/// largest register step × the largest price), is still ~4,000× inside `Int64`. A value outside
/// its bound is refused where it enters (422, a configuration error, an abnormal reading), so a
/// stored value is never one that arithmetic or decoding could choke on.
public enum AmountBounds {
    /// |balance| of any account: 1,000,000,000.00 yuan (10¹⁵ micro-yuan; `Int64` holds 9.2 × 10¹⁸).
    public static let balance = Money(microYuan: 1_000_000_000 * Money.microYuanPerYuan)

    /// The default largest payment or adjustment (`[payments] max_yuan`): 10,000,000.00 yuan.
    public static let defaultPayment = Money(microYuan: 10_000_000 * Money.microYuanPerYuan)

    /// |alarm threshold|, |trip threshold| and the reconnect margin: 10,000,000.00 yuan.
    public static let threshold = Money(microYuan: 10_000_000 * Money.microYuanPerYuan)

    /// A tariff price or tier surcharge: 100.0000 yuan per kWh (real ones are below 2).
    public static let price = Price(microYuanPerKWh: 100 * Money.microYuanPerYuan)

    /// A tier step's `up_to_kwh`: 100,000,000.00 kWh a year.
    public static let tierEnergy = Energy(hundredths: 100_000_000 * Energy.hundredthsPerKWh)

    /// A meter's energy register: 999999.99 kWh, the largest value of its XXXXXX.XX format.
    public static let register = Energy(hundredths: 99_999_999)
}

/// A value outside its bound, naming the field, the value and the bound.
public struct AmountOutOfBounds: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field as the caller knows it (`amount_yuan`, `[payments] max_yuan`, `sharp`).
    public let field: String
    /// The value as given, formatted in its unit.
    public let value: String
    /// The bound it broke, in words with its unit (`at most 10000000.00 yuan`).
    public let bound: String

    public init(field: String, value: String, bound: String) {
        self.field = field
        self.value = value
        self.bound = bound
    }

    public var description: String { "\(field) \(value) is out of bounds: it must be \(bound)" }

    /// The words of a bound: `between -L and L yuan`, or `above 0.00 and at most L yuan` when
    /// `positive`, with its `source` in parentheses.
    public static func range(_ limit: Money, positive: Bool, source: String? = nil) -> String {
        let range = positive ? "above 0.00 and at most \(limit.yuanString) yuan" : "between -\(limit.yuanString) and \(limit.yuanString) yuan"
        return range + (source.map { " (\($0))" } ?? "")
    }
}

extension Money {
    /// Throws unless `-limit ≤ self ≤ limit` (or `0 < self ≤ limit` when `positive`); `source`
    /// names where the limit comes from (`[payments] max_yuan`) for the error text.
    public func checkWithin(_ limit: Money, field: String, positive: Bool = false, source: String? = nil)
        throws(AmountOutOfBounds)
    {
        let low = positive ? Money(microYuan: 1) : Money(microYuan: -limit.microYuan)
        guard self >= low && self <= limit else {
            throw AmountOutOfBounds(field: field, value: yuanString, bound: AmountOutOfBounds.range(limit, positive: positive, source: source))
        }
    }

    /// `self + amount`, provided both the sum fits and it stays within ±`limit`; `nil` otherwise.
    public func adding(_ amount: Money, within limit: Money) -> Money? {
        guard let sum = adding(amount), sum.microYuan.magnitude <= limit.microYuan.magnitude else { return nil }
        return sum
    }
}
