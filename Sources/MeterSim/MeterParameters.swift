import DLT645
import Tariffs

/// How a writable parameter's value looks on the wire and on the meter's display.
public enum ParameterFormat: Sendable, Hashable {
    /// `XXXXXX.XX` yuan or kWh, 4 BCD bytes.
    case hundredths
    /// `XXXX.XXXX` yuan/kWh, 4 BCD bytes.
    case tenThousandths
    /// `YYMMDDhhmm`, 5 BCD bytes; all zeros means "no switch planned".
    case minute

    /// The value's length on the wire.
    public var byteCount: Int { self == .minute ? 5 : 4 }

    /// Whether a meter accepts `value` in this format: the right length, BCD, and for a minute a
    /// real date and time (or all zeros).
    public func accepts(_ value: [UInt8]) -> Bool {
        guard value.count == byteCount, (try? BCD.decode(value)) != nil else { return false }
        guard self == .minute else { return true }
        return value.allSatisfy { $0 == 0 } || (try? MeterMinute(wireBytes: value)) != nil
    }

    /// The value as the meter shows it: `20.00`, `0.5680`, `2612312359`.
    public func text(_ value: [UInt8]) -> String {
        switch self {
        case .hundredths:
            (try? NumberFormat.decodeUnsignedHundredths(value)).map(NumberFormat.hundredthsText) ?? MeterMinute.digits(of: value)
        case .tenThousandths:
            (try? NumberFormat.decodeTenThousandths(value)).map(NumberFormat.tenThousandthsText) ?? MeterMinute.digits(of: value)
        case .minute:
            MeterMinute.digits(of: value)
        }
    }
}

/// The parameters a master may write (14H) and read back (11H), besides the clock: amount
/// limits 04001001…04001005, energy limits 04000F01…04000F04, the two price sets
/// 04050101…04 and 04050201…04, and the price-set switch time 04000108.
public enum MeterParameters {
    /// Every writable parameter in identifier order, with its format.
    public static let catalogue: [(identifier: DataIdentifier, format: ParameterFormat)] = {
        let hundredths = (0x0400_0F01...0x0400_0F04).map { DataIdentifier(rawValue: $0) }
            + (0x0400_1001...0x0400_1005).map { DataIdentifier(rawValue: $0) }
        let prices = (1...4).map { DataIdentifier.tariffPrice($0) } + (1...4).map { DataIdentifier.secondSetTariffPrice($0) }
        let all = [(DataIdentifier.priceSetSwitchTime, ParameterFormat.minute)]
            + hundredths.map { ($0, ParameterFormat.hundredths) } + prices.map { ($0, ParameterFormat.tenThousandths) }
        return all.sorted { $0.0.rawValue < $1.0.rawValue }.map { (identifier: $0.0, format: $0.1) }
    }()

    /// The format of a writable parameter, or nil when `di` is not one.
    public static func format(of di: DataIdentifier) -> ParameterFormat? {
        switch di.rawValue {
        case 0x0400_0108: .minute
        case 0x0400_0F01...0x0400_0F04, 0x0400_1001...0x0400_1005: .hundredths
        case 0x0405_0101...0x0405_0104, 0x0405_0201...0x0405_0204: .tenThousandths
        default: nil
        }
    }
}

/// What a meter shows for a parameter nobody wrote: every limit 0.00, no switch time, the second
/// price set 0, and the first price set the simulator's tariff prices (the version in force when
/// the simulator started, `--tariff`), else 0 — a meter installed with its tariff loaded.
public struct ParameterDefaults: Sendable, Hashable {
    /// First-set prices of tariffs 1…4 in ten-thousandths of a yuan per kWh.
    public var firstSetPrices: [Int64]

    /// Defaults with these first-set prices (1…4, ten-thousandths of a yuan per kWh).
    public init(firstSetPrices: [Int64] = [0, 0, 0, 0]) {
        self.firstSetPrices = firstSetPrices
    }

    /// The first set from a tariff's price version: micro-yuan to the meter's four decimals,
    /// cut (a tariff file has at most four; the cut keeps a finer price representable).
    public init(prices: PerRegister<Price>) {
        let micro = [prices.sharp, prices.peak, prices.flat, prices.valley].map(\.microYuanPerKWh)
        self.init(firstSetPrices: micro.map { min(max($0, 0) / MeterUnits.microYuanPerPriceUnit, 99_999_999) })
    }

    /// The wire value of an unwritten parameter `di` (the catalogue's identifiers).
    public func value(of di: DataIdentifier) -> [UInt8] {
        let raw = di.rawValue
        let index = Int(raw & 0xFF) - 1
        if (0x0405_0101...0x0405_0104).contains(raw), firstSetPrices.indices.contains(index),
           let encoded = try? NumberFormat.encodeTenThousandths(firstSetPrices[index]) {
            return encoded
        }
        return [UInt8](repeating: 0, count: MeterParameters.format(of: di)?.byteCount ?? 4)
    }
}

/// The 14H writes one meter accepted: the values written (only those: a meter nobody wrote to
/// has no record at all) and how many writes, clock writes included.
public struct WrittenParameters: Sendable, Hashable {
    /// The exact bytes last written, by identifier.
    public var values: [UInt32: [UInt8]] = [:]
    /// Accepted 14H writes.
    public var writes: Int = 0

    /// An empty record.
    public init() {}

    /// Whether there is nothing to keep.
    public var isEmpty: Bool { values.isEmpty && writes == 0 }

    /// The value a read of `di` returns: what was written, else the default.
    public func value(of di: DataIdentifier, defaults: ParameterDefaults) -> [UInt8] {
        values[di.rawValue] ?? defaults.value(of: di)
    }

    /// Every parameter as the meter shows it, DI (8 upper-case hex digits) → text.
    public func shown(defaults: ParameterDefaults) -> [String: String] {
        var out: [String: String] = [:]
        for (di, format) in MeterParameters.catalogue {
            out[di.description] = format.text(value(of: di, defaults: defaults))
        }
        return out
    }
}
