import Foundation

/// Where an account stands in its tier year: which tier year, and the total kWh used in it.
public struct TierYearPosition: Sendable, Hashable, Codable {
    /// The start of the tier year the count belongs to.
    public var yearStart: Date
    /// Total kWh used so far in that tier year.
    public var used: Energy

    public init(yearStart: Date, used: Energy) {
        self.yearStart = yearStart
        self.used = used
    }
}

/// Why a consumption cannot be rated.
public enum RatingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The interval ends before it starts.
    case endBeforeStart
    /// A register or the total is negative.
    case negativeEnergy
    /// No price version is in force at this instant (before the first `effective`).
    case noPriceInForce(Date)
    /// The position belongs to a tier year after the interval's start.
    case positionAfterInterval
    /// An amount does not fit 64 bits.
    case overflow

    public var description: String {
        switch self {
        case .endBeforeStart: return "the interval ends before it starts"
        case .negativeEnergy: return "consumption must not be negative"
        case .noPriceInForce(let instant):
            return "no price is in force at \(RFC3339.format(instant, in: TimeZone(identifier: "UTC") ?? .current))"
        case .positionAfterInterval: return "the tier-year position is later than the interval"
        case .overflow: return "the charge does not fit 64 bits"
        }
    }
}

/// The charge of one interval.
public struct RatedInterval: Sendable, Hashable {
    /// Σ register energy × register price.
    public let energyCharge: Money
    /// Σ tier energy × tier surcharge.
    public let tierSurcharge: Money
    /// The account's tier-year position after the interval.
    public let position: TierYearPosition

    /// The whole charge.
    public var charge: Money { Money(microYuan: energyCharge.microYuan + tierSurcharge.microYuan) }
}

extension Tariff {
    /// The position of an account that has used `yearToDate` kWh in the tier year containing `at`.
    public func position(yearToDate: Energy, at instant: Date) -> TierYearPosition {
        TierYearPosition(yearStart: tierYear(containing: instant).start, used: yearToDate)
    }

    /// Rates the consumption of the interval `from`..`to` for an account at `position`.
    ///
    /// The consumption is charged at the prices in force, its total laid onto the annual steps
    /// from the position. When a price change or a tier-year start falls strictly inside the
    /// interval, every register and the total are split between the pieces in proportion to
    /// time (largest remainder, so the pieces sum exactly to the whole); at a tier-year start
    /// the position resets to zero and the later piece counts in the new year. A position from
    /// an earlier tier year than `from` is taken as zero in `from`'s year.
    public func rate(
        _ consumption: Consumption, from: Date, to: Date, position: TierYearPosition
    ) throws(RatingError) -> RatedInterval {
        let start = from.unixSeconds
        let end = to.unixSeconds
        guard end >= start else { throw .endBeforeStart }
        guard consumption.total.hundredths >= 0, consumption.registers.sharp.hundredths >= 0,
            consumption.registers.peak.hundredths >= 0, consumption.registers.flat.hundredths >= 0,
            consumption.registers.valley.hundredths >= 0
        else { throw .negativeEnergy }
        guard let version = versionIndex(at: start) else { throw .noPriceInForce(from) }
        let year = tierYears.year(containing: start)
        let positionStart = position.yearStart.unixSeconds
        guard positionStart <= year.start else { throw .positionAfterInterval }
        var used = positionStart == year.start ? position.used : .zero
        let nextChange = version + 1 < effectiveSeconds.count ? effectiveSeconds[version + 1] : Int64.max
        if end <= nextChange && end <= year.end {
            // The common case: one price version, one tier year.
            let piece = try ratePiece(consumption, version: version, used: used)
            return RatedInterval(
                energyCharge: piece.energy, tierSurcharge: piece.surcharge,
                position: TierYearPosition(yearStart: Date(unixSeconds: year.start), used: piece.used))
        }
        // Cut the interval at every boundary strictly inside it.
        var cuts: [Int64] = effectiveSeconds.filter { $0 > start && $0 < end }
        var yearEnd = year.end
        while yearEnd < end {
            cuts.append(yearEnd)
            yearEnd = tierYears.year(containing: yearEnd).end
        }
        let edges = [start] + Set(cuts).sorted() + [end]
        let weights = zip(edges, edges.dropFirst()).map { $1 - $0 }
        let shares = PerRegister(
            sharp: apportion(consumption.registers.sharp.hundredths, weights: weights),
            peak: apportion(consumption.registers.peak.hundredths, weights: weights),
            flat: apportion(consumption.registers.flat.hundredths, weights: weights),
            valley: apportion(consumption.registers.valley.hundredths, weights: weights))
        let totals = apportion(consumption.total.hundredths, weights: weights)
        var energy: Int64 = 0
        var surcharge: Int64 = 0
        var currentYear = year.start
        for index in weights.indices {
            let pieceStart = edges[index]
            let pieceYear = tierYears.year(containing: pieceStart).start
            if pieceYear != currentYear {
                currentYear = pieceYear
                used = .zero
            }
            guard let pieceVersion = versionIndex(at: pieceStart) else {
                throw .noPriceInForce(Date(unixSeconds: pieceStart))
            }
            let part = Consumption(
                registers: PerRegister(
                    sharp: Energy(hundredths: shares.sharp[index]), peak: Energy(hundredths: shares.peak[index]),
                    flat: Energy(hundredths: shares.flat[index]), valley: Energy(hundredths: shares.valley[index])),
                total: Energy(hundredths: totals[index]))
            let piece = try ratePiece(part, version: pieceVersion, used: used)
            let (nextEnergy, overflowA) = energy.addingReportingOverflow(piece.energy.microYuan)
            let (nextSurcharge, overflowB) = surcharge.addingReportingOverflow(piece.surcharge.microYuan)
            if overflowA || overflowB { throw .overflow }
            energy = nextEnergy
            surcharge = nextSurcharge
            used = piece.used
        }
        guard energy.addingReportingOverflow(surcharge).overflow == false else { throw .overflow }
        return RatedInterval(
            energyCharge: Money(microYuan: energy), tierSurcharge: Money(microYuan: surcharge),
            position: TierYearPosition(yearStart: Date(unixSeconds: currentYear), used: used))
    }

    /// The charge of a consumption under one price version from `used` kWh into one tier year.
    private func ratePiece(
        _ consumption: Consumption, version: Int, used: Energy
    ) throws(RatingError) -> (energy: Money, surcharge: Money, used: Energy) {
        let prices = priceVersions[version].prices
        var sum: Int64 = 0
        for register in TariffRegister.allCases {
            let (product, overflowA) = consumption.registers[register].hundredths
                .multipliedReportingOverflow(by: prices[register].microYuanPerKWh)
            let (next, overflowB) = sum.addingReportingOverflow(product)
            if overflowA || overflowB { throw .overflow }
            sum = next
        }
        guard let surcharge = tiers.surcharge(of: consumption.total, from: used),
            let after = used.adding(consumption.total)
        else { throw .overflow }
        let energy = Money(microYuan: divideRoundingHalfAway(sum, by: 100))
        guard energy.adding(surcharge) != nil else { throw .overflow }
        return (energy, surcharge, after)
    }
}
