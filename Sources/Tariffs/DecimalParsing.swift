/// Why a decimal string could not become an integer amount.
///
/// Amounts arrive as text (tariff files, command lines, JSON) and are turned into scaled integers
/// by hand, never through binary floating point, so that "0.5683" is exactly 568300 micro-yuan.
public enum DecimalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The string was empty.
    case empty
    /// The string is not of the form `[-]digits[.digits]`.
    case notANumber(String)
    /// The string has more decimals than the unit can hold.
    case tooManyDecimals(String, decimals: Int, allowed: Int)
    /// A minus sign where only non-negative amounts make sense.
    case negative(String)
    /// The value does not fit the unit's integer range.
    case outOfRange(String)

    public var description: String {
        switch self {
        case .empty:
            return "empty value; expected a decimal number"
        case .notANumber(let text):
            return "\"\(text)\" is not a decimal number"
        case .tooManyDecimals(let text, let decimals, let allowed):
            return "\"\(text)\" has \(decimals) decimals; at most \(allowed) allowed"
        case .negative(let text):
            return "\"\(text)\" must not be negative"
        case .outOfRange(let text):
            return "\"\(text)\" is out of range"
        }
    }
}

/// Parses `[-]digits[.digits]` into an integer counting units of `10^-scale`.
///
/// - Parameters:
///   - text: the decimal string; no spaces, no exponent, no leading `+`.
///   - scale: how many decimal places one unit of the result has (6 for micro-yuan).
///   - maxDecimals: how many decimals the caller accepts (at most `scale`).
///   - allowNegative: whether a leading `-` is accepted.
/// - Throws: ``DecimalError`` naming the problem; overflow is reported, never trapped.
package func parseScaledDecimal(
    _ text: String, scale: Int, maxDecimals: Int, allowNegative: Bool
) throws(DecimalError) -> Int64 {
    let bytes = Array(text.utf8)
    guard !bytes.isEmpty else { throw .empty }
    var index = 0
    var negative = false
    if bytes[0] == UInt8(ascii: "-") {
        negative = true
        index = 1
    }
    var integerDigits: [UInt8] = []
    var fractionDigits: [UInt8] = []
    var seenPoint = false
    while index < bytes.count {
        let byte = bytes[index]
        if byte == UInt8(ascii: ".") {
            if seenPoint { throw .notANumber(text) }
            seenPoint = true
        } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
            if seenPoint { fractionDigits.append(byte &- 48) } else { integerDigits.append(byte &- 48) }
        } else {
            throw .notANumber(text)
        }
        index += 1
    }
    // "1." and ".5" are refused: operators type amounts, and a stray point is more likely a typo.
    guard !integerDigits.isEmpty, !seenPoint || !fractionDigits.isEmpty else { throw .notANumber(text) }
    if negative && !allowNegative { throw .negative(text) }
    if fractionDigits.count > maxDecimals {
        throw .tooManyDecimals(text, decimals: fractionDigits.count, allowed: maxDecimals)
    }
    var value: Int64 = 0
    for digit in integerDigits + fractionDigits + Array(repeating: 0, count: scale - fractionDigits.count) {
        let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
        let (added, overflowB) = shifted.addingReportingOverflow(Int64(digit))
        if overflowA || overflowB { throw .outOfRange(text) }
        value = added
    }
    return negative ? -value : value
}

/// Formats an integer counting units of `10^-scale` with exactly `decimals` decimals, rounding
/// half away from zero when `decimals < scale` (so 0.005 yuan shows as "0.01", -0.005 as "-0.01").
package func formatScaledDecimal(_ value: Int64, scale: Int, decimals: Int) -> String {
    precondition(decimals >= 0 && decimals <= scale && scale <= 18)
    let negative = value < 0
    // Work on the magnitude as UInt64 so that Int64.min formats instead of trapping.
    var magnitude = value.magnitude
    let drop = scale - decimals
    if drop > 0 {
        let divisor = power10(drop)
        let remainder = magnitude % divisor
        magnitude /= divisor
        if remainder * 2 >= divisor { magnitude += 1 }
    }
    let unit = power10(decimals)
    let whole = magnitude / unit
    var text = negative && magnitude != 0 ? "-" : ""
    text += String(whole)
    if decimals > 0 {
        let fraction = String(magnitude % unit)
        text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
    return text
}

private func power10(_ exponent: Int) -> UInt64 {
    var result: UInt64 = 1
    for _ in 0..<exponent { result *= 10 }
    return result
}
