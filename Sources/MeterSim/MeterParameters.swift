import DLT645
import Tariffs

/// The parameters a simulated meter lets a master write (14H) and read back (11H), besides the
/// clock: amount limits 04001001…04001005, energy limits 04000F01…04000F04 (the same
/// `XXXXXX.XX` layout as amounts), the two price sets 04050101…04 and 04050201…04, and the
/// price-set switch time 04000108. What the station writes is a subset (`MeterParameter.writable`);
/// the layouts are DLT645's `ParameterFormat`, one definition for both sides.
public enum MeterParameters {
    /// Every writable parameter in identifier order, with its format.
    public static let catalogue: [(identifier: DataIdentifier, format: ParameterFormat)] = {
        let hundredths = (0x0400_0F01...0x0400_0F04).map { DataIdentifier(rawValue: $0) }
            + (0x0400_1001...0x0400_1005).map { DataIdentifier(rawValue: $0) }
        let prices = (1...4).map { DataIdentifier.tariffPrice($0) } + (1...4).map { DataIdentifier.secondSetTariffPrice($0) }
        let all = [(DataIdentifier.priceSetSwitchTime, ParameterFormat.minuteStamp)]
            + hundredths.map { ($0, ParameterFormat.amount) } + prices.map { ($0, ParameterFormat.price) }
        return all.sorted { $0.0.rawValue < $1.0.rawValue }.map { (identifier: $0.0, format: $0.1) }
    }()

    /// The format of a writable parameter, or nil when `di` is not one.
    public static func format(of di: DataIdentifier) -> ParameterFormat? {
        switch di.rawValue {
        case 0x0400_0108: .minuteStamp
        case 0x0400_0F01...0x0400_0F04, 0x0400_1001...0x0400_1005: .amount
        case 0x0405_0101...0x0405_0104, 0x0405_0201...0x0405_0204: .price
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
            let bytes = value(of: di, defaults: defaults)
            out[di.description] = (try? format.text(of: bytes)) ?? MeterMinute.digits(of: bytes)
        }
        return out
    }
}
