import Foundation
import Tariffs

/// What the evaluation does with a new reading of an account's meter.
public enum ReadingDisposition: Sendable, Hashable {
    /// The meter's first reading: it becomes the baseline, nothing to bill.
    case baseline
    /// A good reading: bill the interval, and the reading becomes the baseline.
    case bill(MeterInterval)
    /// An abnormal reading while no reading item is open: open one. The account is on hold
    /// from now on.
    case openReview([AbnormalReason])
    /// Reading item `reviewItem` is open: the reading is stored with its own verdict against
    /// the baseline (these reasons; empty when it looked normal), but nothing is billed and the
    /// baseline stays where it is, until an operator has said what the flagged reading was.
    case held([AbnormalReason], reviewItem: Int64)

    /// Whether the account's data can be trusted after this reading.
    public var dataStatus: DataStatus {
        switch self {
        case .baseline, .bill: .normal
        case .openReview(let reasons), .held(let reasons, _): .abnormal(reasons)
        }
    }
}

/// Why an abnormal reading cannot be resolved the way the operator asked.
public struct ResolutionRefused: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// Data that looks wrong holds the account (DESIGN.md "Managing the meters"): while an
/// abnormal-reading review item is open, no adverse decision is taken for the account whatever
/// later readings say, and nothing is charged, so that billing does not resume on its own
/// past a reading nobody has looked at. Readings keep being collected, stored and checked. The
/// operator's resolution says what the flagged reading was; billing goes on from there, and
/// the consumption of the hold is charged by the first reading after it (registers are
/// cumulative, so nothing is lost and nothing is charged twice).
public enum AbnormalDataHold {
    /// What to do with a reading of `verdict` (validated against the baseline) when the
    /// account has an open reading item (`openReviewItem`, its id) or not (nil).
    public static func disposition(of verdict: ReadingVerdict, openReviewItem: Int64?) -> ReadingDisposition {
        if let openReviewItem { return .held(verdict.abnormalReasons, reviewItem: openReviewItem) }
        switch verdict {
        case .baseline: return .baseline
        case .accepted(let interval): return .bill(interval)
        case .abnormal(let reasons): return .openReview(reasons)
        }
    }

    /// Resolution `accept`: the interval from `baseline` to the flagged reading, billed as read
    /// (a jump beyond the rated power, registers that do not add up, a clock that was off);
    /// nil when there is no baseline to bill from (the reading simply becomes the first one).
    /// Refused when the reading cannot be billed as data: a register outside what a meter can
    /// show, a register that ran backwards, a reading not after the baseline.
    public static func accepting(_ flagged: MeterReading, after baseline: MeterReading?)
        throws(ResolutionRefused) -> MeterInterval?
    {
        try rebaselining(flagged, after: baseline)
        // A baseline stored before registers were bounded is no baseline to subtract from.
        guard let baseline, baseline.outOfRangeRegisters.isEmpty else { return nil }
        func delta(_ register: ReadingRegister, _ from: Energy, _ to: Energy) throws(ResolutionRefused) -> Energy {
            guard to >= from else {
                throw ResolutionRefused("the \(register) register went backwards from \(from.kWhString) to \(to.kWhString) kWh, "
                                        + "so the reading cannot be billed as read; resolve it as meter_replaced (it becomes the "
                                        + "baseline, nothing billed) or cancel it")
            }
            return Energy(hundredths: to.hundredths - from.hundredths)
        }
        let total = try delta(.total, baseline.total, flagged.total)
        var registers = PerRegister<Energy>.zero
        for register in TariffRegister.allCases {
            registers[register] = try delta(.tariff(register), baseline.registers[register], flagged.registers[register])
        }
        return MeterInterval(from: baseline.collectedAt, to: flagged.collectedAt,
                             consumption: Consumption(registers: registers, total: total))
    }

    /// Resolution `meter_replaced`: the flagged reading becomes the baseline, nothing billed.
    /// Refused when it cannot be a baseline: a register outside what a meter can show (the next
    /// reading would have nothing to be billed from), or collected at or before the baseline
    /// (the next interval would reach back over time already billed).
    public static func rebaselining(_ flagged: MeterReading, after baseline: MeterReading?) throws(ResolutionRefused) {
        if let outOfRange = flagged.outOfRangeRegisters.first {
            throw ResolutionRefused("\(outOfRange.description): no meter shows that, so the reading cannot be the account's data "
                                    + "nor its baseline; cancel the item to leave it unused")
        }
        if let baseline, flagged.collectedAt <= baseline.collectedAt {
            throw ResolutionRefused("the reading was collected at or before the account's baseline reading, so billing cannot "
                                    + "go on from it; cancel the item to leave it unused")
        }
    }
}
