import Foundation
import Testing
@testable import Tariffs

@Suite struct RatingTests {
    @Test(arguments: [
        // INTERFACES.md: 100 kWh at peak from 2700 kWh: 56.80 + 40 kWh in step 2 × 0.05.
        ("2025-03-01T10:00:00+08:00", "2700", "0", "100", "0", "0", "58.80"),
        // Through two steps: 20 × 0.288 + 10 × 0.05 + 10 × 0.30.
        ("2025-03-01T10:00:00+08:00", "4790", "0", "0", "0", "20", "9.26"),
        // The second price version.
        ("2025-08-01T10:00:00+08:00", "0", "0", "10", "0", "10", "9.00"),
        ("2025-08-01T10:00:00+08:00", "5000", "0", "0", "1", "0", "0.80"),
        // The change itself is in force from its instant.
        ("2025-07-01T00:00:00+08:00", "0", "1", "0", "0", "0", "0.60"),
        ("2025-06-30T23:59:59+08:00", "0", "1", "0", "0", "0", "0.568"),
        ("2025-03-01T10:00:00+08:00", "0", "0", "0", "0", "0", "0"),
        ("2025-03-01T10:00:00+08:00", "2760", "0.01", "0", "0", "0", "0.006180"),
    ])
    func quotes(_ at: String, _ ytd: String, _ sharp: String, _ peak: String, _ flat: String, _ valley: String, _ expected: String) throws {
        let tariff = try sampleTariff()
        let quote = try tariff.quote(
            consumption(sharp: sharp, peak: peak, flat: flat, valley: valley), at: instant(at), yearToDate: kWh(ytd))
        #expect(quote.charge == yuan(expected))
        #expect(quote.charge.microYuan == quote.energyCharge.microYuan + quote.tierSurcharge.microYuan)
        #expect(quote.tierSurcharge.microYuan == quote.tierParts.reduce(0) { $0 + $1.charge.microYuan })
        let registerSum = TariffRegister.allCases.reduce(Int64(0)) { $0 + quote.registerCharges[$1].microYuan }
        #expect(quote.energyCharge.microYuan == registerSum)
    }

    @Test func quoteListsTierParts() throws {
        let quote = try sampleTariff().quote(consumption(valley: "20"), at: instant("2025-03-01T10:00:00+08:00"), yearToDate: kWh("4790"))
        #expect(quote.tierParts.map(\.step) == [1, 2])
        #expect(quote.tierParts.map(\.energy) == [kWh("10"), kWh("10")])
    }

    @Test func nothingBeforeTheFirstPrice() throws {
        let at = instant("2023-12-31T23:59:59+08:00")
        #expect(throws: RatingError.noPriceInForce(at)) {
            try sampleTariff().quote(consumption(peak: "1"), at: at, yearToDate: .zero)
        }
    }

    @Test func intervalAcrossAPriceChangeIsSplitByTime() throws {
        let tariff = try sampleTariff()
        let from = instant("2025-06-30T12:00:00+08:00")
        let rated = try tariff.rate(
            consumption(peak: "10.01"), from: from, to: instant("2025-07-01T12:00:00+08:00"),
            position: tariff.position(yearToDate: .zero, at: from))
        // 1001 hundredths over two equal halves: 501 at 0.568 (earlier half wins the tie), 500 at 0.600.
        #expect(rated.energyCharge == Money(microYuan: 501 * 5_680 + 500 * 6_000))
        #expect(rated.tierSurcharge == .zero)
        #expect(rated.position.used == kWh("10.01"))
    }

    @Test func intervalAcrossATierYearResetsThePosition() throws {
        let tariff = try sampleTariff()
        let from = instant("2025-12-31T12:00:00+08:00")
        let rated = try tariff.rate(
            consumption(flat: "100"), from: from, to: instant("2026-01-01T12:00:00+08:00"),
            position: tariff.position(yearToDate: kWh("4800"), at: from))
        // 50 kWh in 2025 above 4800 (× 0.30), 50 kWh in 2026 from zero; flat at 0.50 throughout.
        #expect(rated.energyCharge == yuan("50.00"))
        #expect(rated.tierSurcharge == yuan("15.00"))
        #expect(rated.charge == yuan("65.00"))
        #expect(rated.position == TierYearPosition(yearStart: instant("2026-01-01T00:00:00+08:00"), used: kWh("50")))
    }

    @Test func positionFromAnEarlierYearStartsAtZero() throws {
        let tariff = try sampleTariff()
        let old = tariff.position(yearToDate: kWh("9999"), at: instant("2024-06-01T00:00:00+08:00"))
        let rated = try tariff.rate(
            consumption(flat: "10"), from: instant("2025-02-01T00:00:00+08:00"), to: instant("2025-02-02T00:00:00+08:00"),
            position: old)
        #expect(rated.tierSurcharge == .zero)
        #expect(rated.position.used == kWh("10"))
        #expect(rated.position.yearStart == instant("2025-01-01T00:00:00+08:00"))
    }

    @Test func refusesNonsense() throws {
        let tariff = try sampleTariff()
        let at = instant("2025-02-01T00:00:00+08:00")
        let position = tariff.position(yearToDate: .zero, at: at)
        #expect(throws: RatingError.endBeforeStart) {
            try tariff.rate(.zero, from: at, to: at.addingTimeInterval(-1), position: position)
        }
        #expect(throws: RatingError.negativeEnergy) {
            try tariff.rate(Consumption(registers: .zero, total: Energy(hundredths: -1)), from: at, to: at, position: position)
        }
        #expect(throws: RatingError.positionAfterInterval) {
            try tariff.rate(.zero, from: at, to: at, position: tariff.position(yearToDate: .zero, at: instant("2026-02-01T00:00:00+08:00")))
        }
        #expect(throws: RatingError.overflow) {
            try tariff.rate(
                Consumption(registers: PerRegister(repeating: Energy(hundredths: Int64.max / 4)), total: .zero),
                from: at, to: at, position: position)
        }
    }

    @Test func tierYearFollowsYearStartInTheTariffZone() throws {
        let text = sampleTariffText.replacingOccurrences(of: "year_start = \"01-01\"", with: "year_start = \"07-01\"")
        let tariff = try Tariff.parse(text, file: "t.toml")
        let year = tariff.tierYear(containing: instant("2025-03-01T00:00:00+08:00"))
        #expect(year.start == instant("2024-07-01T00:00:00+08:00"))
        #expect(year.end == instant("2025-07-01T00:00:00+08:00"))
        let far = tariff.tierYear(containing: instant("2300-03-01T00:00:00+08:00"))
        #expect(far.start == instant("2299-07-01T00:00:00+08:00"))
    }

    @Test(arguments: [
        (1001, [1, 1], [501, 500]),
        (10, [1, 2, 3], [2, 3, 5]),
        (7, [0, 5], [0, 7]),
        (0, [3, 4], [0, 0]),
        (5, [1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0]),
    ] as [(Int64, [Int64], [Int64])])
    func largestRemainder(_ quantity: Int64, _ weights: [Int64], _ shares: [Int64]) {
        #expect(apportion(quantity, weights: weights) == shares)
    }

    @Test func multiplyDivideReportsOverflow() {
        #expect(multiplyDivide(Int64.max, 2, 4) == Int64.max / 2)
        #expect(multiplyDivide(Int64.max, 2, 1) == nil)
        #expect(multiplyDivide(10, 10, 3) == 33)
    }
}
