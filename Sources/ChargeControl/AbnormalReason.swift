import Foundation
import Tariffs

/// A register of a reading: the total or one tariff register.
public enum ReadingRegister: Sendable, Hashable, Codable, CustomStringConvertible {
    case total
    case tariff(TariffRegister)

    public var description: String {
        switch self {
        case .total: return "total"
        case .tariff(let register): return register.name
        }
    }
}

/// Why a reading is abnormal: not billed, listed for review, no control decision taken on it.
public enum AbnormalReason: Sendable, Hashable, CustomStringConvertible {
    /// Same collection instant as the previous reading.
    case duplicate
    /// Collected before the previous accepted reading.
    case outOfOrder(previous: Date)
    /// A register ran backwards (and not by a plausible rollover at 999999.99).
    case registerBackwards(ReadingRegister, from: Energy, to: Energy)
    /// More energy than the rated power can deliver in the interval.
    case jumpAboveRatedPower(delta: Energy, limit: Energy)
    /// Σ tariff register deltas differs from the total delta beyond tolerance.
    case registerSumMismatch(total: Energy, sum: Energy)
    /// The meter's clock is too far from the station's.
    case clockSkew(seconds: Int64, limit: Int64)
    /// A register outside 0…999999.99 kWh, which no meter's XXXXXX.XX register can show.
    case registerOutOfRange(ReadingRegister, Energy)
    /// The interval could not be billed: its charge does not fit, or would take the balance
    /// past `AmountBounds.balance` (issue 17). Listed for review instead of stopping ingestion.
    case unbillable(String)

    /// A stable code for storage, logs and the API (`register_backwards`).
    public var code: String {
        switch self {
        case .duplicate: return "duplicate"
        case .outOfOrder: return "out_of_order"
        case .registerBackwards: return "register_backwards"
        case .jumpAboveRatedPower: return "jump_above_rated_power"
        case .registerSumMismatch: return "register_sum_mismatch"
        case .clockSkew: return "clock_skew"
        case .registerOutOfRange: return "register_out_of_range"
        case .unbillable: return "unbillable"
        }
    }

    public var description: String {
        switch self {
        case .duplicate:
            return "duplicate reading (same instant as the previous one)"
        case .outOfOrder(let previous):
            return "out of order: collected before the previous reading at \(RFC3339.format(previous, in: TimeZone(identifier: "UTC") ?? .current))"
        case .registerBackwards(let register, let from, let to):
            return "\(register) register went backwards from \(from.kWhString) to \(to.kWhString) kWh"
        case .jumpAboveRatedPower(let delta, let limit):
            return "jump of \(delta.kWhString) kWh exceeds \(limit.kWhString) kWh possible at rated power"
        case .registerSumMismatch(let total, let sum):
            return "tariff registers add up to \(sum.kWhString) kWh but the total moved \(total.kWhString) kWh"
        case .clockSkew(let seconds, let limit):
            return "meter clock is \(seconds) s off the station clock (limit \(limit) s)"
        case .registerOutOfRange(let register, let value):
            return "\(register) register \(value.kWhString) kWh is outside 0…\(AmountBounds.register.kWhString) kWh"
        case .unbillable(let problem):
            return "not billed: \(problem)"
        }
    }
}
