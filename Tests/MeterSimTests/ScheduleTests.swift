import Foundation
import Testing
@testable import MeterSim

@Suite struct ScheduleTests {
    /// Peak 08:00–18:00, sharp 18:00–22:00, valley 22:00–08:00, Shanghai time: the station's
    /// own schedule (Tariffs), through the simulator's `TariffFileSchedule`.
    static let threePeriods: TariffFileSchedule = {
        do {
            return try TariffScheduleFile.schedule(fromTOML: tariffText + """

                [[periods]]
                start = "18:00"
                register = "sharp"
                """)
        } catch { preconditionFailure("valid schedule: \(error)") }
    }()

    @Test func periodsAndTheirEnds() {
        let schedule = Self.threePeriods
        // Noon Shanghai: peak until 18:00 local = 10:00 UTC.
        #expect(schedule.period(at: noonShanghai) == (2, noonShanghai + 6 * 3600))
        // 18:00 exactly: sharp until 22:00.
        #expect(schedule.period(at: noonShanghai + 6 * 3600) == (1, noonShanghai + 10 * 3600))
        // 23:00: valley until 08:00 next day.
        #expect(schedule.period(at: noonShanghai + 11 * 3600) == (4, noonShanghai + 20 * 3600))
        // 03:00 before the first start: yesterday's last (valley) until 08:00.
        #expect(schedule.period(at: noonShanghai - 9 * 3600) == (4, noonShanghai - 4 * 3600))
    }

    @Test func flatRunsOneRegisterForever() {
        #expect(FlatSchedule().period(at: 86_400 * 3 + 5) == (3, Int64.max))
        #expect(FlatSchedule(register: .valley).period(at: 0) == (4, Int64.max))
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
        #expect(env.clock(of: MeterState(at: 2_000_000_000)) == dateTime(2025, 6, 30, 12, 0, 0))
    }
}
