import Foundation
import Tariffs

/// What to do with a reading.
public enum ReadingVerdict: Sendable, Hashable {
    /// The first reading of a meter: a baseline, nothing to bill yet.
    case baseline
    /// A good reading: bill this interval and make it the new baseline.
    case accepted(MeterInterval)
    /// Abnormal: do not bill, list for review, take no control decision; the previous accepted
    /// reading stays the baseline.
    case abnormal([AbnormalReason])

    /// The abnormal reasons, empty unless abnormal.
    public var abnormalReasons: [AbnormalReason] {
        if case .abnormal(let reasons) = self { return reasons }
        return []
    }
}

extension ValidationLimits {
    /// Validates `current` against the previous accepted reading of the same meter.
    ///
    /// Every abnormal class found is reported, not just the first. A register that is lower
    /// than before counts as a rollover at 999999.99 only when the wrapped delta is within
    /// what the rated power allows over the interval; otherwise it ran backwards.
    public func validate(_ current: MeterReading, after previous: MeterReading?) -> ReadingVerdict {
        // Registers first: every delta below is a plain subtraction of two in-range values.
        let outOfRange = current.outOfRangeRegisters
        if !outOfRange.isEmpty { return .abnormal(outOfRange) }
        var reasons: [AbnormalReason] = []
        if let meterTime = current.meterTime {
            let skew = meterTime.unixSeconds - current.collectedAt.unixSeconds
            if skew.magnitude > clockSkew.seconds.magnitude {
                reasons.append(.clockSkew(seconds: skew, limit: clockSkew.seconds))
            }
        }
        // A baseline stored before registers were bounded is no baseline to subtract from.
        guard let previous, previous.outOfRangeRegisters.isEmpty else { return reasons.isEmpty ? .baseline : .abnormal(reasons) }
        let start = previous.collectedAt.unixSeconds
        let end = current.collectedAt.unixSeconds
        if end == start { return .abnormal([.duplicate] + reasons) }
        if end < start { return .abnormal([.outOfOrder(previous: previous.collectedAt)] + reasons) }

        let limit = ratedPower.maximumEnergy(overSeconds: end - start)
        func delta(_ register: ReadingRegister, _ from: Energy, _ to: Energy) -> Energy? {
            let raw = to.hundredths - from.hundredths
            if raw >= 0 { return Energy(hundredths: raw) }
            let wrapped = raw + Self.registerModulus
            if wrapped >= 0 && wrapped <= limit.hundredths { return Energy(hundredths: wrapped) }
            reasons.append(.registerBackwards(register, from: from, to: to))
            return nil
        }
        let total = delta(.total, previous.total, current.total)
        var registers = PerRegister<Energy>.zero
        var registersComplete = true
        for register in TariffRegister.allCases {
            if let value = delta(.tariff(register), previous.registers[register], current.registers[register]) {
                registers[register] = value
            } else {
                registersComplete = false
            }
        }
        if let total {
            if total > limit { reasons.append(.jumpAboveRatedPower(delta: total, limit: limit)) }
            if registersComplete, let sum = registers.sum,
                (sum.hundredths - total.hundredths).magnitude > registerSumTolerance.hundredths.magnitude
            {
                reasons.append(.registerSumMismatch(total: total, sum: sum))
            }
        }
        guard reasons.isEmpty, let total else { return .abnormal(reasons) }
        return .accepted(MeterInterval(
            from: previous.collectedAt, to: current.collectedAt,
            consumption: Consumption(registers: registers, total: total)))
    }
}

extension MeterReading {
    /// The registers outside 0…`AmountBounds.register`, as abnormal reasons.
    var outOfRangeRegisters: [AbnormalReason] {
        var reasons: [AbnormalReason] = []
        let range = Int64(0)...AmountBounds.register.hundredths
        if !range.contains(total.hundredths) { reasons.append(.registerOutOfRange(.total, total)) }
        for register in TariffRegister.allCases where !range.contains(registers[register].hundredths) {
            reasons.append(.registerOutOfRange(.tariff(register), registers[register]))
        }
        return reasons
    }
}
