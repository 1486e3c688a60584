/// One annual step: total kWh in the tier year up to `upTo` pay `surcharge` on top of the
/// register prices. The last step has no bound.
public struct TierStep: Sendable, Hashable {
    /// The cumulative kWh in the tier year where this step ends; `nil` for the last step.
    public let upTo: Energy?
    /// The surcharge per kWh within this step.
    public let surcharge: Price

    public init(upTo: Energy?, surcharge: Price) {
        self.upTo = upTo
        self.surcharge = surcharge
    }
}

/// The part of a consumption that fell into one step.
public struct TierPart: Sendable, Hashable {
    /// Index of the step in ``AnnualTiers/steps`` (0 is the first step).
    public let step: Int
    /// The kWh laid onto the step.
    public let energy: Energy
    /// The step's surcharge per kWh.
    public let surcharge: Price
    /// energy × surcharge.
    public let charge: Money
}

/// Annual tiered ("stepped") pricing: each tier year, counted from `yearStart` in the tariff's
/// zone, total kWh are laid onto the steps in order.
public struct AnnualTiers: Sendable, Hashable {
    /// Why a list of steps is not a tier schedule.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case noSteps
        case lastStepBounded
        case unboundedStepNotLast(index: Int)
        case unorderedBound(index: Int)

        public var description: String {
            switch self {
            case .noSteps: return "no steps; at least one (unbounded) step is required"
            case .lastStepBounded: return "the last step must have no up_to_kwh bound"
            case .unboundedStepNotLast: return "only the last step may omit up_to_kwh"
            case .unorderedBound: return "up_to_kwh must be greater than the previous step's"
            }
        }
    }

    /// The first day of each tier year.
    public let yearStart: MonthDay
    /// The steps in order; bounds strictly increase; the last is unbounded.
    public let steps: [TierStep]

    /// Tiers whose bounds increase and whose last step is unbounded.
    public init(yearStart: MonthDay, steps: [TierStep]) throws(Problem) {
        guard let last = steps.last else { throw .noSteps }
        guard last.upTo == nil else { throw .lastStepBounded }
        var previous = Energy.zero
        for (index, step) in steps.dropLast().enumerated() {
            guard let bound = step.upTo else { throw .unboundedStepNotLast(index: index) }
            guard bound > previous else { throw .unorderedBound(index: index) }
            previous = bound
        }
        self.yearStart = yearStart
        self.steps = steps
    }

    /// No tiers: one unbounded step without surcharge, the year starting on January 1.
    public static let flat = AnnualTiers(
        uncheckedYearStart: .januaryFirst, steps: [TierStep(upTo: nil, surcharge: .zero)])

    private init(uncheckedYearStart: MonthDay, steps: [TierStep]) {
        self.yearStart = uncheckedYearStart
        self.steps = steps
    }

    /// The surcharge of `energy` laid onto the steps from `position` kWh into the tier year,
    /// or `nil` on overflow. Additive: laying a then b from p equals laying a + b from p.
    package func surcharge(of energy: Energy, from position: Energy) -> Money? {
        guard let end = position.adding(energy) else { return nil }
        var lower: Int64 = 0
        var total: Int64 = 0
        for step in steps {
            let upper = step.upTo?.hundredths ?? Int64.max
            let overlap = min(end.hundredths, upper) - max(position.hundredths, lower)
            if overlap > 0 {
                let (product, overflowA) = overlap.multipliedReportingOverflow(by: step.surcharge.microYuanPerKWh)
                let (sum, overflowB) = total.addingReportingOverflow(product)
                if overflowA || overflowB { return nil }
                total = sum
            }
            if upper >= end.hundredths { break }
            lower = upper
        }
        return Money(microYuan: divideRoundingHalfAway(total, by: 100))
    }

    /// The parts of `energy` laid onto each step it touches, from `position`.
    public func parts(of energy: Energy, from position: Energy) -> [TierPart] {
        guard let end = position.adding(energy) else { return [] }
        var lower: Int64 = 0
        var result: [TierPart] = []
        for (index, step) in steps.enumerated() {
            let upper = step.upTo?.hundredths ?? Int64.max
            let overlap = min(end.hundredths, upper) - max(position.hundredths, lower)
            if overlap > 0 {
                let part = Energy(hundredths: overlap)
                result.append(TierPart(step: index, energy: part, surcharge: step.surcharge,
                                       charge: step.surcharge.charge(for: part) ?? .zero))
            }
            if upper >= end.hundredths { break }
            lower = upper
        }
        return result
    }
}
