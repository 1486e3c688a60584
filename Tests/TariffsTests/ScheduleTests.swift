import Foundation
import Testing
@testable import Tariffs

@Suite struct TimeOfUseScheduleTests {
    @Test(arguments: [
        ("2025-03-01T07:59:59+08:00", TariffRegister.valley, "2025-03-01T08:00:00+08:00"),
        ("2025-03-01T08:00:00+08:00", .peak, "2025-03-01T22:00:00+08:00"),
        ("2025-03-01T12:34:56+08:00", .peak, "2025-03-01T22:00:00+08:00"),
        ("2025-03-01T22:00:00+08:00", .valley, "2025-03-02T08:00:00+08:00"),
        ("2025-03-01T23:59:59+08:00", .valley, "2025-03-02T08:00:00+08:00"),
        ("2025-03-01T00:00:00+08:00", .valley, "2025-03-01T08:00:00+08:00"),
        ("2025-03-01T01:00:00Z", .peak, "2025-03-01T22:00:00+08:00"),
    ])
    func periodAndNextBoundary(_ at: String, _ register: TariffRegister, _ until: String) throws {
        let schedule = try sampleTariff().schedule
        let period = schedule.period(at: instant(at))
        #expect(period.register == register)
        #expect(period.until == instant(until))
        #expect(schedule.register(at: instant(at)) == register)
    }

    @Test func fourPeriodScheduleInAnyOrder() throws {
        func minute(_ text: String) -> MinuteOfDay { MinuteOfDay(text) ?? .endOfDay }
        let schedule = try TimeOfUseSchedule(periods: [
            .init(start: minute("23:00"), register: .valley),
            .init(start: minute("07:00"), register: .flat),
            .init(start: minute("10:00"), register: .sharp),
            .init(start: minute("12:00"), register: .peak),
        ], timeZone: shanghai)
        #expect(schedule.periods.map(\.register) == [.flat, .sharp, .peak, .valley])
        #expect(schedule.period(at: instant("2025-03-01T06:00:00+08:00")).register == .valley)
        #expect(schedule.period(at: instant("2025-03-01T11:00:00+08:00")).until == instant("2025-03-01T12:00:00+08:00"))
    }

    @Test func boundariesFollowDaylightSavingChanges() throws {
        guard let newYork = TimeZone(identifier: "America/New_York") else { return }
        func minute(_ text: String) -> MinuteOfDay { MinuteOfDay(text) ?? .endOfDay }
        let schedule = try TimeOfUseSchedule(periods: [
            .init(start: minute("01:00"), register: .flat), .init(start: minute("03:00"), register: .peak),
        ], timeZone: newYork)
        // 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT.
        #expect(schedule.period(at: instant("2026-03-08T00:30:00-05:00")).until == instant("2026-03-08T01:00:00-05:00"))
        let flat = schedule.period(at: instant("2026-03-08T01:30:00-05:00"))
        #expect(flat.register == .flat)
        #expect(flat.until == instant("2026-03-08T03:00:00-04:00"))
        #expect(schedule.period(at: instant("2026-03-08T03:00:00-04:00")).register == .peak)
    }

    @Test func singlePeriodRunsAllDay() throws {
        let schedule = try TimeOfUseSchedule(periods: [.init(start: MinuteOfDay(minutes: 0) ?? .endOfDay, register: .flat)], timeZone: shanghai)
        let period = schedule.period(at: instant("2025-03-01T12:00:00+08:00"))
        #expect(period.register == .flat)
        #expect(period.until == instant("2025-03-02T00:00:00+08:00"))
    }

    @Test func stepsThroughEveryBoundaryOfAYear() throws {
        let schedule = try sampleTariff().schedule
        var now = instant("2025-01-01T00:00:00+08:00")
        var boundaries = 0
        while now < instant("2026-01-01T00:00:00+08:00") {
            let next = schedule.period(at: now).until
            #expect(next > now)
            now = next
            boundaries += 1
        }
        #expect(boundaries == 731)  // two a day, and the step past the end
    }

    @Test func refusesOverlapsAndEmptiness() {
        #expect(throws: TimeOfUseSchedule.Problem.noPeriods) { try TimeOfUseSchedule(periods: [], timeZone: shanghai) }
        let start = MinuteOfDay(minutes: 60) ?? .endOfDay
        #expect(throws: TimeOfUseSchedule.Problem.duplicateStart(start)) {
            try TimeOfUseSchedule(periods: [.init(start: start, register: .flat), .init(start: start, register: .peak)], timeZone: shanghai)
        }
    }

    @Test func registerRawValuesAreTheMeterNumbers() {
        #expect(TariffRegister.allCases.map(\.rawValue) == [1, 2, 3, 4])
        #expect(TariffRegister(name: "valley") == .valley)
    }
}
