import ChargeControl
import DLT645
import DLT645NIO
import Foundation
import Logging
import MeterSim
import Store
import Tariffs
import Testing
@testable import Station


/// A quiet logger for the services under test.
func collectLogger() -> Logger {
    var logger = Logger(label: "collect-test")
    logger.logLevel = .critical
    return logger
}

/// 2026-11-23 09:00 +08:00: on the 15-minute grid, so every meter's first slot lies in
/// (start, start + 15 min].
let collectStart = instant("2026-11-23T09:00:00+08:00")
let fifteenMinutes: TimeInterval = 900

/// A running meter-sim, a store, the station core, terminal lines, the ingest queue and the
/// collector, on a manual station clock kept in step with the simulator's manual clock; the
/// lines' timeouts on manual line time (see `ManualLineClock`).
struct CollectRig: Sendable {
    let fleet: MeterFleet
    let simClock: ManualClock
    let clock: ManualStationClock
    let lineTime: ManualStationClock
    let store: StationStore
    let core: StationCore
    let ingest: IngestQueue
    let collector: Collector

    /// The sim's meter `index` (0-based).
    func address(_ index: Int) -> MeterAddress { fleet.address(ofMeter: index) }

    /// Sets meter `index`'s total register (the flat register absorbs the change).
    func setTotal(_ index: Int, kWh text: String) {
        _ = fleet.apply(MeterChange(totalHundredths: kWh(text).hundredths), to: address(index))
    }

    func change(_ index: Int, _ change: MeterChange) {
        _ = fleet.apply(change, to: address(index))
    }

    func balance(_ account: String) async throws -> Money? {
        try await store.account(account)?.balance
    }

    /// Moves both clocks one collection interval on and waits until `reads` more reads have
    /// finished and every good one is committed. `silent` of those reads go to meters that never
    /// answer, each alone on its terminal: once the others have succeeded, line time moves on so
    /// that theirs time out (moved any earlier, it could time out a live meter's read as well).
    func cycle(reads: Int, silent: Int = 0) async throws {
        let before = collector.stats
        let done = before.readsOK + before.readsFailed
        simClock.advance(seconds: Int64(fifteenMinutes))
        clock.advance(by: fifteenMinutes)
        if silent > 0 {
            try await eventually("\(reads - silent) reads answered") { collector.stats.readsOK >= before.readsOK + reads - silent }
            try await eventually("\(silent) reads timed out", movingLineTime: lineTime) {
                collector.stats.readsFailed >= before.readsFailed + silent
            }
        }
        try await eventually("\(reads) reads and their commit") {
            let s = collector.stats
            return s.readsOK + s.readsFailed >= done + reads
                && s.ingest.readingsCommitted + s.ingest.evaluationErrors >= s.readsOK && s.ingest.pending == 0
        }
    }
}

/// Runs `body` with a rig: `meters` simulated meters on `terminals` terminals (no load: registers
/// move only when a test sets them), every meter provisioned as account `A<n>` (n from 1) with
/// `opening` yuan (only the first `accounts` meters when given).
func withCollectRig(
    meters: Int, terminals: Int, accounts: Int? = nil, opening: String = "50.00", databasePath: String? = nil,
    rules ruleSet: EvaluationRules? = nil, ingest ingestConfiguration: IngestQueue.Configuration = .init(maxBatch: 100, maxDelay: .milliseconds(5)),
    prepare: @Sendable (MeterFleet) -> Void = { _ in },
    customerClass: @Sendable (Int) -> String? = { _ in nil },
    strategies: (@Sendable (MeterAssignment) -> ReadingStrategy)? = nil,
    _ body: @Sendable (CollectRig) async throws -> Void
) async throws {
    let start = collectStart
    let simClock = ManualClock(unixSeconds: Int64(start.timeIntervalSince1970))
    let fleet = try MeterFleet(
        configuration: SimConfiguration(terminals: terminals, meters: meters, loadWatts: 0, initialHundredths: 100_000),
        clock: simClock)
    prepare(fleet)
    try await MeterSimulator.withRunning(fleet) { endpoints in
        let clock = ManualStationClock(start)
        let store = try databasePath.map { try StationStore.open(path: $0) } ?? StationStore.inMemory()
        let core = StationCore(store: store, evaluator: Evaluator(rules: try ruleSet ?? rules()), clock: clock,
                               logger: collectLogger())
        for (i, port) in endpoints.terminalPorts.enumerated() {
            try await core.upsertTerminal(TerminalRecord(id: "T\(i + 1)", host: endpoints.host, port: port))
        }
        for i in 0..<(accounts ?? meters) {
            let terminal = fleet.locate(fleet.address(ofMeter: i))?.terminal.index ?? 0
            _ = try await core.upsertAccount(AccountProvisioning(
                accountID: "A\(i + 1)", meterAddress: fleet.address(ofMeter: i).description, terminalID: "T\(terminal + 1)",
                tariff: "flat-test", region: "north", customerClass: customerClass(i), openingBalance: yuan(opening)))
        }
        let lineTime = ManualStationClock(start)
        let lines = TerminalLines(clock: ManualLineClock(time: lineTime)) { t in
            TerminalLineConfiguration(host: t.host, port: t.port, requestTimeout: .milliseconds(300),
                                      connectTimeout: .seconds(5), quietPeriodAfterTimeout: .milliseconds(20))
        }
        lines.update(try await store.terminals())
        let ingest = IngestQueue(core: core, configuration: ingestConfiguration, logger: collectLogger())
        let collector = Collector(core: core, lines: lines, ingest: ingest,
                                  configuration: .init(strategy: ReadingStrategy(interval: .seconds(900)), timeZone: shanghai,
                                                       strategies: strategies),
                                  logger: collectLogger(), random: { 0 })
        let rig = CollectRig(fleet: fleet, simClock: simClock, clock: clock, lineTime: lineTime, store: store, core: core,
                             ingest: ingest, collector: collector)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await lines.run() }
            group.addTask { await ingest.run() }
            group.addTask { await collector.run() }
            do {
                try await eventually("accounts loaded") { collector.stats.meters == (accounts ?? meters) }
                try await body(rig)
            } catch {
                group.cancelAll()
                lines.shutdown()
                throw error
            }
            group.cancelAll()
            lines.shutdown()
        }
    }
}
