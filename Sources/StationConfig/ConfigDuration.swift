/// Durations in the configuration are strings of whole numbers with units, largest first:
/// `"500ms"`, `"10s"`, `"15m"`, `"24h"`, `"1h30m"`, `"400d"`.
extension Duration {
    /// Parses a configuration duration such as `"10s"` or `"1h30m"`.
    ///
    /// Units are `d` (24 h: the zone's clock changes do not matter to what uses days, retention),
    /// `h`, `m`, `s` and `ms`, each at most once and from largest to smallest; no spaces,
    /// signs or fractions.
    /// - Throws: ``InvalidValue`` naming the text, e.g. `"10 sec": want a number followed by ms, s, m, h or d`.
    public init(configText text: String) throws(InvalidValue) {
        let want = InvalidValue("\"\(text)\": want a number followed by ms, s, m, h or d, such as \"15m\" or \"1h30m\"")
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw want }
        var index = 0
        var total: Int64 = 0
        var previousRank = Int.max
        while index < bytes.count {
            var number: Int64 = 0
            let digitsStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                let (shifted, overflowA) = number.multipliedReportingOverflow(by: 10)
                let (added, overflowB) = shifted.addingReportingOverflow(Int64(bytes[index] &- 48))
                guard !overflowA, !overflowB else { throw InvalidValue("\"\(text)\" is too long a duration") }
                number = added
                index += 1
            }
            let unitStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "a"), bytes[index] <= UInt8(ascii: "z") {
                index += 1
            }
            guard index > digitsStart, unitStart > digitsStart,
                let unit = DurationUnit(String(decoding: bytes[unitStart..<index], as: UTF8.self))
            else { throw want }
            guard unit.rank < previousRank else {
                throw InvalidValue("\"\(text)\": units must go from largest to smallest, each once, as in \"1h30m\"")
            }
            previousRank = unit.rank
            let (part, overflowA) = number.multipliedReportingOverflow(by: unit.milliseconds)
            let (sum, overflowB) = total.addingReportingOverflow(part)
            guard !overflowA, !overflowB else { throw InvalidValue("\"\(text)\" is too long a duration") }
            total = sum
        }
        self = .milliseconds(total)
    }

    /// The duration written the way the configuration file writes it (`"1h30m"`, `"500ms"`, `"0s"`,
    /// `"400d"`, and `"24h"` rather than `"1d"`: days only from two on);
    /// parts below a millisecond are dropped.
    public var configText: String {
        var remaining = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        guard remaining > 0 else { return "0s" }
        var text = ""
        for unit in DurationUnit.allCases {
            // "24h" reads as the configuration files have always written a day.
            if unit == .day && remaining < 2 * unit.milliseconds { continue }
            let count = remaining / unit.milliseconds
            if count > 0 { text += "\(count)\(unit.rawValue)" }
            remaining %= unit.milliseconds
        }
        return text
    }
}

/// The units of a configuration duration, largest first.
private enum DurationUnit: String, CaseIterable {
    case day = "d", hour = "h", minute = "m", second = "s", millisecond = "ms"

    init?(_ text: String) { self.init(rawValue: text) }

    var milliseconds: Int64 {
        switch self {
        case .day: 86_400_000
        case .hour: 3_600_000
        case .minute: 60_000
        case .second: 1000
        case .millisecond: 1
        }
    }

    /// Larger units rank higher.
    var rank: Int { DurationUnit.allCases.count - (DurationUnit.allCases.firstIndex(of: self) ?? 0) }
}
