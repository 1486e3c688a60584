import SeededRandom
import Foundation
import Testing
@testable import Tariffs

/// Invariants of the rater over seeded random inputs (replayable from the seed).
@Suite struct RatingPropertyTests {
    let tariff: Tariff
    /// Instants where a price version or a tier year changes, 2024–2026.
    let boundaries: [Int64]

    init() throws {
        tariff = try sampleTariff()
        boundaries = tariff.effectiveSeconds + [2024, 2025, 2026, 2027].map {
            instant("\($0)-01-01T00:00:00+08:00").unixSeconds
        }
    }

    func randomConsumption(_ rng: inout SplitMix64, upTo limit: Int64 = 200_000) -> Consumption {
        let registers = PerRegister(
            sharp: Energy(hundredths: Int64.random(in: 0...limit, using: &rng)),
            peak: Energy(hundredths: Int64.random(in: 0...limit, using: &rng)),
            flat: Energy(hundredths: Int64.random(in: 0...limit, using: &rng)),
            valley: Energy(hundredths: Int64.random(in: 0...limit, using: &rng)))
        let sum = registers.sum ?? .zero
        // The total register may differ from the tariff sum by up to two hundredths.
        return Consumption(registers: registers, total: Energy(hundredths: max(0, sum.hundredths + Int64.random(in: -2...2, using: &rng))))
    }

    func adding(_ lhs: Consumption, _ rhs: Consumption) -> Consumption {
        Consumption(
            registers: PerRegister(
                sharp: Energy(hundredths: lhs.registers.sharp.hundredths + rhs.registers.sharp.hundredths),
                peak: Energy(hundredths: lhs.registers.peak.hundredths + rhs.registers.peak.hundredths),
                flat: Energy(hundredths: lhs.registers.flat.hundredths + rhs.registers.flat.hundredths),
                valley: Energy(hundredths: lhs.registers.valley.hundredths + rhs.registers.valley.hundredths)),
            total: Energy(hundredths: lhs.total.hundredths + rhs.total.hundredths))
    }

    /// Within one price version and tier year, the charge of [a, c] is exactly [a, b] + [b, c]
    /// for every split b and any consumptions, across any number of annual steps.
    @Test func chargeIsAdditiveOverSplits() throws {
        var rng = SplitMix64(seed: 0xC0FFEE)
        let edges = Set(boundaries).sorted()
        let cells = zip(edges, edges.dropFirst()).map { ($0, $1) }
        for _ in 0..<2_000 {
            guard let cell = cells.randomElement(using: &rng) else { return }
            var points = (0..<3).map { _ in Int64.random(in: cell.0..<cell.1, using: &rng) }.sorted()
            if Bool.random(using: &rng) { points[1] = points[0] }
            let (a, b, c) = (Date(unixSeconds: points[0]), Date(unixSeconds: points[1]), Date(unixSeconds: points[2]))
            let first = randomConsumption(&rng)
            let second = randomConsumption(&rng)
            let start = tariff.position(yearToDate: Energy(hundredths: Int64.random(in: 0...600_000, using: &rng)), at: a)
            let whole = try tariff.rate(adding(first, second), from: a, to: c, position: start)
            let left = try tariff.rate(first, from: a, to: b, position: start)
            let right = try tariff.rate(second, from: b, to: c, position: left.position)
            #expect(whole.charge.microYuan == left.charge.microYuan + right.charge.microYuan)
            #expect(whole.energyCharge.microYuan == left.energyCharge.microYuan + right.energyCharge.microYuan)
            #expect(whole.position == right.position)
        }
    }

    /// Across price changes and tier years, splitting [a, c] at b the way the rater splits (in
    /// proportion to time) agrees with rating [a, c] whole, up to the hundredths that rounding
    /// may move across each boundary (at most one per register per piece).
    @Test func chargeIsAdditiveAcrossBoundariesUpToRounding() throws {
        var rng = SplitMix64(seed: 42)
        let low = instant("2024-06-01T00:00:00+08:00").unixSeconds
        let high = instant("2026-12-31T00:00:00+08:00").unixSeconds
        for _ in 0..<1_000 {
            let points = (0..<3).map { _ in Int64.random(in: low...high, using: &rng) }.sorted()
            guard points[0] < points[1], points[1] < points[2] else { continue }
            let (a, b, c) = (Date(unixSeconds: points[0]), Date(unixSeconds: points[1]), Date(unixSeconds: points[2]))
            let whole = randomConsumption(&rng)
            let weights = [points[1] - points[0], points[2] - points[1]]
            func split(_ energy: Energy) -> (Energy, Energy) {
                let shares = apportion(energy.hundredths, weights: weights)
                return (Energy(hundredths: shares[0]), Energy(hundredths: shares[1]))
            }
            var first = Consumption.zero
            var second = Consumption.zero
            for register in TariffRegister.allCases {
                (first.registers[register], second.registers[register]) = split(whole.registers[register])
            }
            (first.total, second.total) = split(whole.total)
            let start = tariff.position(yearToDate: Energy(hundredths: Int64.random(in: 0...600_000, using: &rng)), at: a)
            let rated = try tariff.rate(whole, from: a, to: c, position: start)
            let left = try tariff.rate(first, from: a, to: b, position: start)
            let right = try tariff.rate(second, from: b, to: c, position: left.position)
            let inside = boundaries.filter { $0 > points[0] && $0 < points[2] }.count
            // Per hundredth moved: the dearest price (0.60) plus the dearest surcharge (0.30).
            let bound = Int64(inside + 1) * 5 * (6_000 + 3_000)
            #expect((rated.charge.microYuan - left.charge.microYuan - right.charge.microYuan).magnitude <= bound)
            #expect(rated.position.yearStart == right.position.yearStart)
            #expect((rated.position.used.hundredths - right.position.used.hundredths).magnitude <= UInt64(inside + 1))
        }
    }

    @Test func noChargeIsNegative() throws {
        var rng = SplitMix64(seed: 7)
        let low = instant("2024-01-01T00:00:00+08:00").unixSeconds
        let high = instant("2027-06-01T00:00:00+08:00").unixSeconds
        for _ in 0..<2_000 {
            let from = Int64.random(in: low...high, using: &rng)
            let to = from + Int64.random(in: 0...(90 * 86_400), using: &rng)
            let rated = try tariff.rate(
                randomConsumption(&rng, upTo: 10_000_000), from: Date(unixSeconds: from), to: Date(unixSeconds: to),
                position: tariff.position(yearToDate: Energy(hundredths: Int64.random(in: 0...1_000_000, using: &rng)), at: Date(unixSeconds: from)))
            #expect(rated.energyCharge >= .zero)
            #expect(rated.tierSurcharge >= .zero)
        }
    }

    /// Largest remainder never creates or loses a hundredth, and each share is within one of
    /// its exact proportion.
    @Test func apportionKeepsEveryHundredth() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<5_000 {
            let quantity = Int64.random(in: 0...100_000_000, using: &rng)
            let weights = (0..<Int.random(in: 1...6, using: &rng)).map { _ in Int64.random(in: 0...400_000_000, using: &rng) }
            guard weights.reduce(0, +) > 0 else { continue }
            let shares = apportion(quantity, weights: weights)
            #expect(shares.reduce(0, +) == quantity)
            let total = weights.reduce(0, +)
            for (share, weight) in zip(shares, weights) {
                let exact = multiplyDivide(quantity, weight, total) ?? -1
                #expect(share == exact || share == exact + 1)
            }
        }
    }
}
