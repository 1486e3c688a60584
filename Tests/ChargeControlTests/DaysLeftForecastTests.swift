import Foundation
import Testing
import Tariffs
@testable import ChargeControl

@Suite struct DaysLeftForecastTests {
    let now = at("2026-03-10T00:00:00+08:00")

    func samples(_ perDay: String, days: Int) -> [SpendSample] {
        (0..<days).map { day in
            let from = now.addingTimeInterval(TimeInterval((day - days) * 86_400))
            return SpendSample(from: from, to: from.addingTimeInterval(86_400), charge: money(perDay))
        }
    }

    @Test(arguments: [
        ("100", "0", "10", 7, Int64(10)),
        ("105", "0", "10", 7, 10),
        ("100", "-20", "10", 3, 12),
        ("0", "0", "10", 7, 0),
        ("-5", "0", "10", 7, 0),
        ("3", "0", "4", 1, 0),
    ])
    func daysLeft(_ balance: String, _ trip: String, _ perDay: String, _ days: Int, _ expected: Int64) {
        let forecast = DaysLeftForecast(balance: money(balance), trip: TripThreshold(money(trip)), samples: samples(perDay, days: days), at: now)
        #expect(forecast.dailySpend == money(perDay))
        #expect(forecast.daysLeft == expected)
    }

    @Test func whenTheBalanceRunsOut() {
        let forecast = DaysLeftForecast(balance: money("15"), trip: TripThreshold(.zero), samples: samples("10", days: 2), at: now)
        #expect(forecast.reachesTripAt == now.addingTimeInterval(1.5 * 86_400))
    }

    @Test func noSpendingMeansNoForecast() {
        let forecast = DaysLeftForecast(balance: money("15"), trip: TripThreshold(.zero), samples: samples("0", days: 2), at: now)
        #expect(forecast.daysLeft == nil)
        #expect(forecast.reachesTripAt == nil)
        #expect(DaysLeftForecast(balance: money("15"), trip: TripThreshold(.zero), samples: [], at: now).daysLeft == nil)
    }

    @Test func hugeBalancesAreClampedNotTrapped() {
        let forecast = DaysLeftForecast(
            balance: Money(microYuan: Int64.max), trip: TripThreshold(Money(microYuan: Int64.min)),
            samples: [SpendSample(from: now.addingTimeInterval(-1), to: now, charge: Money(microYuan: 1))], at: now)
        #expect(forecast.daysLeft == Int64(36_600))
    }
}
