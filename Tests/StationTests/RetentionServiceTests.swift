import ChargeControl
import Foundation
import Logging
import StationConfig
import Store
import Tariffs
import Testing
@testable import Station

/// The retention service on a manual clock: it runs at start, then every `interval`; each run
/// deletes what has grown older than the limit since, in batches, counts it and logs
/// `EVENT=retention`.
@Suite struct RetentionServiceTests {
    static func reading(_ hundredths: Int64, at date: Date) -> MeterReading {
        let e = Energy(hundredths: hundredths)
        return MeterReading(collectedAt: date, total: e, registers: PerRegister(sharp: .zero, peak: .zero, flat: e, valley: .zero))
    }

    static func addReadings(_ store: StationStore, count: Int, at date: Date) async throws {
        try await store.transaction { tx in
            for n in 0..<count { _ = try tx.insertReading(reading(Int64(n), at: date), account: "A1", abnormal: []) }
        }
    }

    @Test func runsAtStartThenEveryIntervalByTheClock() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try StationStore.open(path: folder.appendingPathComponent("station.sqlite").path)
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        try await store.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100), at: start)
        _ = try await store.upsertAccount(id: "A1", meterAddress: "000000000001", terminalID: "T1", tariff: "flat", region: "north",
                                          alarmThreshold: nil, tripThreshold: nil, isProtected: false, openingBalance: nil, at: start)
        // Five readings three hours old: all but the newest go at the first run.
        try await Self.addReadings(store, count: 5, at: start.addingTimeInterval(-3 * 3600))
        let clock = ManualStationClock(start)
        let logs = LogRecorder()
        let settings = RetentionSettings(readings: .seconds(3600), outbox: .seconds(86_400), interval: .seconds(600), batch: 2)
        let service = RetentionService(store: store, settings: settings, clock: clock, logger: logs.logger("retention"))
        let running = Task { try await service.run() }
        defer { running.cancel() }

        try await eventually("the first run, then a sleep") { clock.sleeperCount == 1 && service.stats.lastRun == start }
        #expect(service.stats.prunedReadings == 4)
        #expect(try await store.readingTally().readings == 1)
        let first = try #require(logs.events("retention").last)
        #expect(first.metadata["readings"] == "4" && first.metadata["batches"] == "4", "\(first.text)")

        // New readings now: not old yet at the next run, ten minutes on; the old one kept as the
        // newest of all is no longer that, so it goes.
        try await Self.addReadings(store, count: 3, at: start)
        clock.advance(by: 600)
        try await eventually("the second run") { clock.sleeperCount == 1 && service.stats.lastRun == clock.now }
        #expect(service.stats.prunedReadings == 5)
        #expect(try await store.readingTally().readings == 3)

        // Two hours on they are old: every reading but the newest goes.
        clock.advance(by: 7200)
        try await eventually("the third run") { clock.sleeperCount == 1 && service.stats.lastRun == clock.now }
        #expect(service.stats.prunedReadings == 7)
        #expect(try await store.readingTally().readings == 1)
        #expect(logs.events("retention").filter { $0.metadata["readings"] != nil }.map { $0.metadata["readings"] } == ["4", "1", "2"])
        // Readings kept an hour: shorter than statements look back, which the service warns of.
        #expect(logs.events("retention").contains { $0.level == .warning && $0.message.contains("shorter than statements") })
    }
}
