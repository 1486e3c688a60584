import ChargeControl
import Foundation
import StationConfig
import Station
import StationHarness
import Store
import StorePostgres
import Tariffs

/// p2 and p6 on one station of N accounts, seeded straight into the database file
/// (`StationSeed`), each with a baseline reading 15 minutes old, so that the daemon's first
/// reading of every meter is billed: read → validated → rated → charged → policy → commands.
/// Balances: 1 % of the accounts at -5.00 (a trip is queued), 2 % at 10.00 (an alarm), the rest
/// at 100.00.
///
/// p2: `chargecontrold` starts on that file with `[collection] interval = "1s"`, so every meter
/// is due at once and the collector reads as fast as the station allows (the cycle's length is
/// then the station's throughput, not the configured interval). Timed from `READY=1` until every
/// account has a new reading committed (watched in the SQLite file through a read-only store:
/// the latest reading id every 100 ms, then a distinct-account count). Commit and evaluation share one transaction, so
/// a committed reading is also rated, charged, decided and its commands queued. The first cycle
/// after a start also reads every meter's clock (4 requests a meter instead of 2); the steady
/// figure is the time for the next N readings after it.
///
/// p6: the daemon is stopped (SIGTERM) and started again with `interval = "15m"` (the shipped
/// setting), timed from the exec to `READY=1` on a real notification socket; then killed with
/// SIGKILL and started again the same way.
struct CycleRestartScenario {
    let accounts: Int
    let terminals: Int
    let runCycle: Bool
    let steadyCycle: Bool
    let runRestart: Bool
    let keepFolder: Bool
    let tariffs: URL
    /// A PostgreSQL server to make the station's database on (`--postgres`); nil: a SQLite file.
    var postgres: PostgresLocation?
    /// Daemons on the PostgreSQL station (`--nodes`; p2 only): the cycle is timed from the first
    /// node's READY=1, the others started right after it.
    var nodes = 1
    let progress: (String) -> Void

    struct Result {
        var accounts = 0
        var terminals = 0
        var nodes = 1
        var seed = StationSeed.Timing()
        /// Exec → READY=1 of the first start on the freshly seeded file.
        var firstStartSeconds = 0.0
        // p2
        var cycleSeconds = 0.0
        var firstCommitSeconds = 0.0
        var steadySeconds: Double?
        var readingsInCycle = 0
        var commandsQueued = 0
        var abnormalReadings = 0
        var daemonCPUSeconds = 0.0
        var simCPUSeconds = 0.0
        var daemonRSSBytes = 0
        /// p2r: a bare client reading the same meter-sim flat out before the daemon starts.
        var bare = BareReads.Result()
        var ratioToBareReads: Double {
            bare.perSecond > 0 && cycleSeconds > 0 ? (Double(accounts) / cycleSeconds) / bare.perSecond : 0
        }
        // p6
        var stopSeconds = 0.0
        var restartSeconds = 0.0
        var crashRestartSeconds = 0.0
        /// Exec → the log's line that the account book loaded, behind READY=1.
        var bookLoadedSeconds = 0.0
        var crashBookLoadedSeconds = 0.0
        /// chargecontrold's CPU time (user + system) from exec to READY=1: on a shared machine
        /// the wall time stretches with the load, this much less.
        var restartCPUSeconds = 0.0
        var crashRestartCPUSeconds = 0.0

        var readingsPerSecond: Int { cycleSeconds > 0 ? Int(Double(accounts) / cycleSeconds) : 0 }
    }

    static func balance(ofAccount n: Int) -> Money {
        switch n % 100 {
        case 0: Money(microYuan: -5_000_000)
        case 1, 2: Money(microYuan: 10_000_000)
        default: Money(microYuan: 100_000_000)
        }
    }

    func run() async throws -> Result {
        var options = StationOptions.bench(meters: accounts, terminals: terminals, tariffs: tariffs)
        options.collectionInterval = "1s"
        if let postgres { options.database = try await PostgresAdmin.createDatabase(on: postgres, named: PostgresAdmin.freshName("bench_p2")).url }
        let baseOptions = options
        if nodes > 1 { options = HarnessStation.node("b0", of: options) }
        let clock = ContinuousClock()
        return try await HarnessStation.bench("p2", options, keepFolder: keepFolder) { station in
            var peers: [HarnessStation] = []
            do {
                let result = try await measure(station, baseOptions: baseOptions, clock: clock, peers: &peers)
                for peer in peers { await peer.shutdown(); peer.removeFolder() }
                return result
            } catch {
                for peer in peers { await peer.shutdown(); peer.removeFolder() }
                throw error
            }
        }
    }

    private func measure(_ station: HarnessStation, baseOptions: StationOptions, clock: ContinuousClock,
                         peers: inout [HarnessStation]) async throws -> Result {
        do {
            var result = Result(accounts: accounts, terminals: terminals, nodes: nodes)
            progress("meter-sim: \(accounts) meters on \(terminals) terminals")
            try await station.startSim()

            let tariff = try station.benchTariff()
            progress("seeding \(accounts) accounts into \(postgres == nil ? URL(fileURLWithPath: station.databasePath).lastPathComponent : "PostgreSQL")")
            let plan = StationSeed.Plan(accounts: accounts, terminalPorts: station.terminalPorts, tariff: tariff,
                                        balance: Self.balance(ofAccount:), baselineAt: Date().addingTimeInterval(-900))
            result.seed = try await StationSeed.write(plan, to: station.databaseLocation, progress: progress)
            progress(String(format: "seeded in %.1f s (accounts %.1f s, baselines %.1f s)",
                            result.seed.totalSeconds, result.seed.accountsSeconds, result.seed.baselinesSeconds))

            if runCycle {
                let bare = BareReads(ports: station.terminalPorts, meters: accounts,
                                     workersPerTerminal: Collector.Configuration(timeZone: .current).readsPerTerminal,
                                     seconds: Double(min(20, max(2, accounts / 20_000))))
                result.bare = try await bare.run()
                progress(String(format: "p2r: a bare client read %d meters in %.2f s (%.0f/s, %d failed)", result.bare.readings,
                                result.bare.seconds, result.bare.perSecond, result.bare.failures))
            }

            let watcher = postgres == nil ? try StationStore.openReadOnly(path: station.databasePath)
                : try await StationStore.openReadOnly(postgres: PostgresLocation(url: station.databaseLocation))
            let baseline = try await watcher.latestReadingID() ?? 0

            let notify = try NotifyListener(in: station.folder)
            progress("chargecontrold: first start on the seeded file")
            result.firstStartSeconds = try await station.startDaemon(readyFrom: notify).seconds
            let ready = clock.now
            progress(String(format: "READY=1 after %.2f s", result.firstStartSeconds))
            if nodes > 1 { peers = try await station.startPeers(nodes - 1, baseOptions: baseOptions, progress: progress) }

            if runCycle {
                let daemonCPU = station.daemon?.cpuSeconds ?? 0
                let simCPU = station.sim?.cpuSeconds ?? 0
                let target = baseline + Int64(accounts)
                var firstCommit: ContinuousClock.Instant?
                var complete: ContinuousClock.Instant?
                let deadline = ready + .seconds(max(600, accounts / 100))
                var lastReport = ready
                while complete == nil {
                    try await Task.sleep(for: .milliseconds(100))
                    let seen = clock.now
                    guard station.daemon?.isRunning == true else { throw BenchFailure("chargecontrold stopped during the cycle") }
                    guard seen < deadline else { throw BenchFailure("p2: the cycle did not complete within \((deadline - ready).seconds) s") }
                    let maxID = try await watcher.latestReadingID() ?? 0
                    if firstCommit == nil, maxID > baseline { firstCommit = seen }
                    if seen - lastReport > .seconds(10) {
                        lastReport = seen
                        progress("p2: \(maxID - baseline) readings stored after \(Int((seen - ready).seconds)) s")
                    }
                    guard maxID >= target else { continue }
                    // At least N new readings: complete once they cover every account (a meter
                    // read twice before another's first read would leave one short).
                    let distinct = try await watcher.readingTally(after: baseline).accounts
                    if distinct >= accounts { complete = seen }
                }
                guard let complete else { throw BenchFailure("p2: no completion instant") }
                result.cycleSeconds = (complete - ready).seconds
                result.firstCommitSeconds = ((firstCommit ?? complete) - ready).seconds
                result.daemonCPUSeconds = (station.daemon?.cpuSeconds ?? 0) - daemonCPU
                result.simCPUSeconds = (station.sim?.cpuSeconds ?? 0) - simCPU
                result.daemonRSSBytes = station.daemon?.residentBytes ?? 0
                result.commandsQueued = try await watcher.commandCounts().values.reduce(0, +)
                result.abnormalReadings = try await watcher.readingTally(after: baseline).abnormal
                result.readingsInCycle = accounts
                progress(String(format: "p2: every account's reading committed %.2f s after READY=1 (%d commands queued)",
                                result.cycleSeconds, result.commandsQueued))

                if steadyCycle {
                    let steadyStart = clock.now
                    let steadyFrom = try await watcher.latestReadingID() ?? 0
                    let steadyTarget = steadyFrom + Int64(accounts)
                    while true {
                        try await Task.sleep(for: .milliseconds(100))
                        guard station.daemon?.isRunning == true else { throw BenchFailure("chargecontrold stopped during the steady cycle") }
                        guard clock.now < steadyStart + .seconds(max(600, accounts / 100)) else {
                            throw BenchFailure("p2: the steady cycle did not complete")
                        }
                        let maxID = try await watcher.latestReadingID() ?? 0
                        if maxID >= steadyTarget { break }
                    }
                    result.steadySeconds = (clock.now - steadyStart).seconds
                    progress(String(format: "p2: the next %d readings took %.2f s", accounts, result.steadySeconds ?? 0))
                }
            }

            if runRestart {
                station.options.collectionInterval = "15m"
                station.options.staleness = "1h"
                // The account book's load is a notice: the bench times it from the log.
                station.options.logLevel = "notice"
                let stopping = clock.now
                await station.daemon?.stop(grace: 120)
                result.stopSeconds = (clock.now - stopping).seconds
                progress(String(format: "p6: graceful stop took %.2f s; starting again", result.stopSeconds))
                let restart = try await station.startDaemonAndLoadBook(readyFrom: notify)
                result.restartSeconds = restart.ready.seconds
                result.bookLoadedSeconds = restart.bookLoaded.seconds
                result.restartCPUSeconds = station.daemon?.cpuSeconds ?? 0
                progress(String(format: "p6: READY=1 after %.2f s, the account book loaded behind it after %.2f s; now kill -9 and start again",
                                result.restartSeconds, result.bookLoadedSeconds))
                // Let the start-up's own writes settle, so the crash leaves a warm, used WAL.
                try await Task.sleep(for: .seconds(2))
                await station.daemon?.kill9()
                let crashRestart = try await station.startDaemonAndLoadBook(readyFrom: notify)
                result.crashRestartSeconds = crashRestart.ready.seconds
                result.crashBookLoadedSeconds = crashRestart.bookLoaded.seconds
                result.crashRestartCPUSeconds = station.daemon?.cpuSeconds ?? 0
                progress(String(format: "p6: READY=1 after kill -9 in %.2f s, the account book loaded behind it after %.2f s",
                                result.crashRestartSeconds, result.crashBookLoadedSeconds))
            }
            try watcher.close()
            return result
        }
    }
}

extension Optional {
    /// The value, or a `BenchFailure` saying what was missing.
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw BenchFailure(message) }
        return self
    }
}
