import Foundation
import Testing
@testable import MeterSim

@Suite struct ScheduleTests {
    let schedule: DailyPeriodsSchedule = {
        do {
            return try DailyPeriodsSchedule(
                periods: [.init(startMinute: 22 * 60, register: 4), .init(startMinute: 8 * 60, register: 2),
                          .init(startMinute: 18 * 60, register: 1)],
                utcOffsetSeconds: 8 * 3600)
        } catch { preconditionFailure("valid schedule") }
    }()

    @Test func periodsAndTheirEnds() {
        // Noon Shanghai: peak until 18:00 local = 10:00 UTC.
        #expect(schedule.period(at: noonShanghai) == (2, noonShanghai + 6 * 3600))
        // 18:00 exactly: sharp until 22:00.
        #expect(schedule.period(at: noonShanghai + 6 * 3600) == (1, noonShanghai + 10 * 3600))
        // 23:00: valley until 08:00 next day.
        #expect(schedule.period(at: noonShanghai + 11 * 3600) == (4, noonShanghai + 20 * 3600))
        // 03:00 before the first start: yesterday's last (valley) until 08:00.
        #expect(schedule.period(at: noonShanghai - 9 * 3600) == (4, noonShanghai - 4 * 3600))
    }

    @Test func singlePeriodRunsAllDay() throws {
        let one = try DailyPeriodsSchedule(periods: [.init(startMinute: 0, register: 3)], utcOffsetSeconds: 0)
        #expect(one.period(at: 86_400 * 3 + 5) == (3, 86_400 * 4))
    }

    @Test func invalidPeriodsAreRefused() {
        #expect(throws: DailyPeriodsSchedule.Problem.noPeriods) { try DailyPeriodsSchedule(periods: [], utcOffsetSeconds: 0) }
        #expect(throws: DailyPeriodsSchedule.Problem.duplicateStart(minute: 60)) {
            try DailyPeriodsSchedule(periods: [.init(startMinute: 60, register: 1), .init(startMinute: 60, register: 2)],
                                     utcOffsetSeconds: 0)
        }
        #expect(throws: DailyPeriodsSchedule.Problem.registerOutOfRange(register: 5)) {
            try DailyPeriodsSchedule(periods: [.init(startMinute: 0, register: 5)], utcOffsetSeconds: 0)
        }
    }

    @Test func tariffFileGivesTheSchedule() throws {
        let text = """
            name = "residential-tou-tiered"
            timezone = "Asia/Shanghai"
            [[prices]]
            effective = "2024-01-01T00:00:00+08:00"
            flat = "0.5680"
            [[periods]]
            start = "08:00"
            register = "peak"
            [[periods]]
            start = "22:00"
            register = "valley"
            """
        let parsed = try TariffScheduleFile.schedule(fromTOML: text)
        #expect(parsed.utcOffsetSeconds == 8 * 3600)
        #expect(parsed.periods == [.init(startMinute: 480, register: 2), .init(startMinute: 1320, register: 4)])
    }

    @Test func badTariffFilesNameTheProblem() {
        func problem(_ text: String) -> String? {
            do {
                _ = try TariffScheduleFile.schedule(fromTOML: text, name: "t.toml")
                return nil
            } catch { return error.description }
        }
        #expect(problem("timezone = \"Asia/Shanghai\"")?.contains("periods") == true)
        #expect(problem("timezone = \"Mars/Olympus\"\n[[periods]]\nstart = \"00:00\"\nregister = \"flat\"")?
            .contains("unknown time zone") == true)
        #expect(problem("timezone = \"UTC\"\n[[periods]]\nstart = \"25:00\"\nregister = \"flat\"")?
            .contains("periods[0].start") == true)
        #expect(problem("timezone = \"UTC\"\n[[periods]]\nstart = \"01:00\"\nregister = \"cheap\"")?
            .contains("periods[0].register") == true)
        #expect(problem("this is = = not toml")?.hasPrefix("tariff file t.toml: invalid TOML") == true)
        let missing = "/nonexistent/tariff.toml"
        #expect(throws: TariffScheduleFile.LoadError.self) { try TariffScheduleFile.load(path: missing) }
    }
}
