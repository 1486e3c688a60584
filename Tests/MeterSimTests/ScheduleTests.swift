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

    static let tariffText = """
        name = "residential-tou-tiered"
        timezone = "Asia/Shanghai"
        [[prices]]
        effective = "2024-01-01T00:00:00+08:00"
        sharp = "0.5680"
        peak = "0.5680"
        flat = "0.5680"
        valley = "0.2880"
        [[periods]]
        start = "08:00"
        register = "peak"
        [[periods]]
        start = "22:00"
        register = "valley"
        """

    @Test func tariffFileGivesTheSchedule() throws {
        let parsed = try TariffScheduleFile.schedule(fromTOML: Self.tariffText)
        // 2026-11-22 07:00 +08:00 is valley until 08:00, then peak until 22:00.
        let seven = Int64(1_795_302_000)
        #expect(parsed.period(at: seven) == (4, seven + 3600))
        #expect(parsed.period(at: seven + 3600) == (2, seven + 15 * 3600))
    }

    @Test func theRepositoryTariffsLoad() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/tariffs").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".toml") }
        #expect(!files.isEmpty)
        for file in files {
            _ = try TariffScheduleFile.load(path: folder.appendingPathComponent(file).path)
        }
    }

    @Test func badTariffFilesNameTheProblem() {
        func problem(_ text: String) -> String? {
            do {
                _ = try TariffScheduleFile.schedule(fromTOML: text, name: "t.toml")
                return nil
            } catch { return error.description }
        }
        #expect(problem(Self.tariffText.replacingOccurrences(of: "Asia/Shanghai", with: "Mars/Olympus"))?.contains("timezone") == true)
        #expect(problem(Self.tariffText.replacingOccurrences(of: "\"22:00\"", with: "\"25:00\""))?.contains("periods[1].start") == true)
        #expect(problem(Self.tariffText.replacingOccurrences(of: "register = \"valley\"", with: "register = \"cheap\""))?.contains("periods[1].register") == true)
        #expect(problem("this is = = not toml")?.hasPrefix("tariff file t.toml") == true)
        let missing = "/nonexistent/tariff.toml"
        #expect(throws: TariffScheduleFile.LoadError.self) { try TariffScheduleFile.load(path: missing) }
    }
}

@Suite struct SpedUpClockTests {
    @Test func meterClocksKeepRealTimeWhenConsumptionIsSpedUp() async throws {
        let clock = ScaledWallClock(timeScale: 3600)
        try await Task.sleep(for: .milliseconds(50))
        // 50 ms of real time is three minutes of consumption, but the meter clock moved 50 ms.
        let wall = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        #expect(clock.nowMilliseconds() - wall >= 60_000)
        #expect(abs(clock.civilMilliseconds() - wall) < 5_000)
        let env = MeterEnvironment(now: 2_000_000_000, civilNow: 1_751_256_000, utcOffsetSeconds: 8 * 3600, watts: 0,
                                   consumption: ConsumptionModel(schedule: FlatSchedule()), password: password("02000000"))
        #expect(env.meterClock == dateTime(2025, 6, 30, 12, 0, 0))
    }
}
