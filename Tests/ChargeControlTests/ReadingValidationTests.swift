import Foundation
import Testing
import Tariffs
@testable import ChargeControl

@Suite struct ReadingValidationTests {
    let limits = ValidationLimits()
    let start = at("2026-03-02T00:00:00+08:00")

    func reading(
        after seconds: Int64, total: Int64, peak: Int64, valley: Int64, skew: Int64 = 0
    ) -> MeterReading {
        let collected = start.addingTimeInterval(TimeInterval(seconds))
        return MeterReading(
            collectedAt: collected, meterTime: collected.addingTimeInterval(TimeInterval(skew)),
            total: Energy(hundredths: total),
            registers: PerRegister(sharp: .zero, peak: Energy(hundredths: peak), flat: .zero, valley: Energy(hundredths: valley)))
    }

    var previous: MeterReading { reading(after: 0, total: 100_000, peak: 60_000, valley: 40_000) }

    /// (seconds after, total, peak, valley, clock skew, expected abnormal codes; empty = accepted)
    @Test(arguments: [
        (900, 100_100, 60_100, 40_000, 0, [String]()),
        (900, 100_000, 60_000, 40_000, 0, []),
        (900, 100_100, 60_098, 40_000, 0, []),
        (900, 100_100, 60_097, 40_000, 0, ["register_sum_mismatch"]),
        (900, 100_100, 60_103, 40_000, 0, ["register_sum_mismatch"]),
        (900, 99_900, 59_900, 40_000, 0, ["register_backwards", "register_backwards"]),
        (900, 100_100, 60_100, 39_999, 0, ["register_backwards"]),
        (900, 100_332, 60_332, 40_000, 0, []),
        (900, 100_333, 60_333, 40_000, 0, ["jump_above_rated_power"]),
        (900, 100_100, 60_100, 40_000, 300, []),
        (900, 100_100, 60_100, 40_000, -301, ["clock_skew"]),
        (0, 100_100, 60_100, 40_000, 0, ["duplicate"]),
        (-60, 100_100, 60_100, 40_000, 0, ["out_of_order"]),
        // Registers outside 0…999999.99 kWh (issue 17): abnormal before any delta is taken.
        (900, 100_000_000, 60_100, 40_000, 0, ["register_out_of_range"]),
        (900, Int64.max, 60_100, 40_000, 0, ["register_out_of_range"]),
        (900, 100_100, Int64.min, 40_000, 0, ["register_out_of_range"]),
    ] as [(Int64, Int64, Int64, Int64, Int64, [String])])
    func classifies(_ seconds: Int64, _ total: Int64, _ peak: Int64, _ valley: Int64, _ skew: Int64, _ codes: [String]) {
        let verdict = limits.validate(reading(after: seconds, total: total, peak: peak, valley: valley, skew: skew), after: previous)
        #expect(verdict.abnormalReasons.map(\.code) == codes)
        if codes.isEmpty {
            guard case .accepted(let interval) = verdict else {
                Issue.record("expected an accepted interval, got \(verdict)")
                return
            }
            #expect(interval.consumption.total.hundredths == total - 100_000)
            #expect(interval.from == previous.collectedAt)
        }
    }

    @Test func rolloverAt999999_99IsNotBackwards() {
        let before = reading(after: 0, total: 99_999_950, peak: 99_999_950, valley: 0)
        let after = reading(after: 900, total: 50, peak: 50, valley: 0)
        #expect(limits.validate(after, after: before) == .accepted(MeterInterval(
            from: before.collectedAt, to: after.collectedAt,
            consumption: Consumption(
                registers: PerRegister(sharp: .zero, peak: Energy(hundredths: 100), flat: .zero, valley: .zero),
                total: Energy(hundredths: 100)))))
    }

    @Test func aBigDropIsBackwardsEvenNearTheTop() {
        let before = reading(after: 0, total: 99_999_950, peak: 99_999_950, valley: 0)
        let after = reading(after: 900, total: 50_000_000, peak: 50_000_000, valley: 0)
        #expect(limits.validate(after, after: before).abnormalReasons.map(\.code) == ["register_backwards", "register_backwards"])
    }

    @Test func firstReadingIsABaselineUnlessItsClockIsOff() {
        #expect(limits.validate(previous, after: nil) == .baseline)
        let skewed = reading(after: 0, total: 1, peak: 1, valley: 0, skew: 3_600)
        #expect(limits.validate(skewed, after: nil).abnormalReasons == [.clockSkew(seconds: 3_600, limit: 300)])
    }

    @Test func reasonsReadWell() {
        #expect(AbnormalReason.registerBackwards(.total, from: Energy(hundredths: 100_000), to: Energy(hundredths: 99_900)).description
            == "total register went backwards from 1000.00 to 999.00 kWh")
        #expect(AbnormalReason.registerSumMismatch(total: Energy(hundredths: 100), sum: Energy(hundredths: 97)).description
            == "tariff registers add up to 0.97 kWh but the total moved 1.00 kWh")
    }

    @Test func ratedPowerLimit() {
        // 13.2 kW for 15 minutes is 3.30 kWh, plus two hundredths of rounding.
        #expect(RatedPower(watts: 13_200).maximumEnergy(overSeconds: 900) == Energy(hundredths: 332))
        #expect(RatedPower(watts: Int64.max).maximumEnergy(overSeconds: Int64.max).hundredths == Int64.max)
    }
}
