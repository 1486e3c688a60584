import Foundation
import StationConfig
import LoopbackTools
import StationHarness
import Store
import StorePostgres
import Tariffs

/// One row of the printed table.
struct BenchRow {
    let scenario: String
    let measure: String
    let value: String
    let note: String
}

func formatTable(_ rows: [BenchRow]) -> String {
    var lines = ["scenario  measure                                value            note"]
    for row in rows {
        lines.append(row.scenario.padding(toLength: 10, withPad: " ", startingAt: 0)
            + row.measure.padding(toLength: 39, withPad: " ", startingAt: 0)
            + row.value.padding(toLength: 17, withPad: " ", startingAt: 0) + row.note)
    }
    return lines.joined(separator: "\n")
}

private func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// p3 and p1 on one station: N accounts seeded with a negative opening balance, so the
/// daemon trips them all at once (p3: trips acknowledged per second, from
/// `chargecontrol_dispatch_acknowledged_total`, counted from when the terminals become reachable,
/// so the reading cycle that finds every balance negative is part of it); then K of them pay one after another, each timed
/// from the payment POST's send until the simulated meter shows `armed` (p1).
struct TripAndPayScenario {
    let accounts: Int
    let terminals: Int
    let payments: Int
    let tariffs: URL
    /// Also time p1 again while backups run back to back, with retention pruning every 2 s.
    var maintenance = false
    /// Which maintenance runs during the second pass: backups back to back, retention every 2 s.
    var maintenanceParts: Set<String> = ["backups", "retention"]
    /// A PostgreSQL server to make the station's database on (`--postgres`); nil: a SQLite file.
    var postgres: PostgresLocation?
    /// Daemons on the one PostgreSQL station (`--nodes`): the first runs the simulator, payments
    /// go to each in turn, and the acknowledgements are counted on all.
    var nodes = 1
    let progress: (String) -> Void

    /// Retention's limits and pace in the maintenance run: readings older than 10 s go every 2 s,
    /// so that retention has work from the first seconds of the run (collection runs flat out).
    static let maintenanceConfig = """
        [retention]
        readings = "10s"
        outbox = "10s"
        interval = "2s"
        batch = 50
        """

    struct Result {
        // p1 again, with backups and retention running
        var maintenanceLatenciesMS: [Double] = []
        var backups = 0
        /// Rows retention removed (readings, outbox, folded charges) during the second pass.
        var pruned = 0
        var maintenanceP99: Double { percentile(maintenanceLatenciesMS.sorted(), 99) }
        // p3
        var acknowledged = 0
        var acknowledgedDuringProvisioning = 0
        var tripSeconds = 0.0
        var perSecond = 0
        var provisionSeconds = 0.0
        // p1
        var latenciesMS: [Double] = []

        var p50: Double { percentile(latenciesMS.sorted(), 50) }
        var p99: Double { percentile(latenciesMS.sorted(), 99) }
        var max: Double { latenciesMS.max() ?? 0 }
    }

    func run() async throws -> Result {
        var options = StationOptions.bench(meters: accounts, terminals: terminals, tariffs: tariffs)
        if maintenance && maintenanceParts.contains("retention") { options.extraConfig = Self.maintenanceConfig }
        if let postgres { options.database = try await PostgresAdmin.createDatabase(on: postgres, named: PostgresAdmin.freshName("bench_p1")).url }
        let baseOptions = options
        if nodes > 1 { options = HarnessStation.node("b0", of: options) }
        return try await HarnessStation.bench("p1", options) { station in
            var peers: [HarnessStation] = []
            defer { for peer in peers { peer.removeFolder() } }
            do {
                let result = try await measure(station, peers: &peers, baseOptions: baseOptions)
                for peer in peers { await peer.shutdown() }
                return result
            } catch {
                for peer in peers { await peer.shutdown() }
                throw error
            }
        }
    }

    /// Every node's acknowledged commands.
    private func acknowledged(_ nodes: [HarnessStation]) async throws -> Double {
        var total = 0.0
        for node in nodes { total += try await node.metric("chargecontrol_dispatch_acknowledged_total") }
        return total
    }

    private func measure(_ station: HarnessStation, peers: inout [HarnessStation], baseOptions: StationOptions) async throws -> Result {
        var result = Result()
        try await station.startSim()
        // The accounts go straight into the database file before the daemon opens it (over
        // HTTP they are one transaction each: hours at 100,000), on terminals registered at
        // closed ports, so no meter is read (and none trips) yet; then the real ports are
        // registered, and every account trips at once.
        progress("seeding \(accounts) accounts with opening balance -10.00 on \(terminals) unreachable terminals")
        let closedPorts = try station.terminalPorts.map { _ in try freeLoopbackPort() }
        let plan = StationSeed.Plan(accounts: accounts, terminalPorts: closedPorts, tariff: try station.benchTariff(),
                                    balance: { _ in Money(microYuan: -10_000_000) }, baselineAt: nil)
        result.provisionSeconds = try await StationSeed.write(plan, to: station.databaseLocation, progress: progress).totalSeconds
        try await station.startDaemon()
        if nodes > 1 { peers = try await station.startPeers(nodes - 1, baseOptions: baseOptions, progress: progress) }
        let all = [station] + peers
        let clock = ContinuousClock()
        let before = try await acknowledged(all)

        // p3: sample the acknowledged counter until every meter shows an open relay.
        var samples: [(Double, Double)] = []  // (seconds since the terminals became reachable, acknowledged)
        let atStart = try await acknowledged(all) - before
        let tripStart = clock.now
        try await station.provisionTerminals()
        result.acknowledgedDuringProvisioning = Int(atStart)
        samples.append((0, atStart))
        let deadline = tripStart + .seconds(max(120, accounts / 50))
        while true {
            try await Task.sleep(for: .milliseconds(200))
            let acked = try await acknowledged(all) - before
            samples.append(((clock.now - tripStart).seconds, acked))
            if Int(acked) >= accounts {
                let open = try await station.count(relay: "open")
                if open >= accounts { break }
            }
            guard clock.now < deadline else {
                throw BenchFailure("p3: only \(Int(acked)) of \(accounts) trips acknowledged after \((clock.now - tripStart).seconds) s")
            }
        }
        // Sustained rate: from the sample before the first acknowledgement after provisioning
        // to the first sample holding the final count (every kind of command counts: trips,
        // and alarms where the daemon sends them).
        let first = samples.first { $0.1 > atStart } ?? samples[0]
        let final = samples[samples.count - 1].1
        let last = samples.first { $0.1 >= final } ?? samples[samples.count - 1]
        let base = samples.last { $0.0 < first.0 } ?? samples[0]
        result.acknowledged = Int(last.1)
        result.tripSeconds = last.0 - base.0
        result.perSecond = result.tripSeconds > 0 ? Int((last.1 - base.1) / result.tripSeconds) : 0
        progress("p3: \(Int(last.1 - base.1)) trips acknowledged in \(String(format: "%.2f", result.tripSeconds)) s after provisioning")

        // p1: K payments, one after another, on accounts spread over the terminals.
        let count = min(payments, accounts)
        progress("p1: \(count) payments, each timed until its meter shows armed")
        result.latenciesMS = try await timePayments(count, offset: 0, all)
        guard maintenance else { return result }
        // The same on the next accounts (still tripped), while backups run back to back.
        progress("p1 with maintenance (\(maintenanceParts.sorted().joined(separator: ", "))): \(count) payments")
        let runBackups = maintenanceParts.contains("backups")
        let backups = Task { () -> Int in
            var taken = 0
            while runBackups && !Task.isCancelled {
                guard let answer = try? await station.http.send("POST", "\(station.api)/v1/backup", token: station.operatorToken, json: "{}")
                else { break }
                if answer.status == 201 { taken += 1 } else if answer.status != 409 { break }
            }
            return taken
        }
        // At most every other account, so that the next one is still tripped.
        let prunedBefore = try await station.metric("chargecontrol_retention_pruned_total")
        result.maintenanceLatenciesMS = try await timePayments(min(count, accounts / 2), offset: 1, all)
        result.pruned = Int(try await station.metric("chargecontrol_retention_pruned_total") - prunedBefore)
        backups.cancel()
        result.backups = await backups.value
        return result
    }

    /// `count` payments one after another on accounts spread over the terminals (account
    /// `offset` after each), each posted to the next of `nodes` in turn and timed from its POST to
    /// its meter showing `armed` (with several nodes, some reach a meter on another node's terminal).
    private func timePayments(_ count: Int, offset: Int, _ nodes: [HarnessStation]) async throws -> [Double] {
        let clock = ContinuousClock()
        var latencies: [Double] = []
        for index in 0..<count {
            let station = nodes[index % nodes.count]
            let n = 1 + (index * accounts) / count + offset
            let body = "{\"order_no\": \"BENCH-\(n)\", \"account_id\": \"A\(n)\", \"amount_yuan\": \"100.00\", \"channel\": \"mobile_app\"}"
            let sent = clock.now
            let answer = try await station.http.send("POST", "\(station.api)/v1/payments", token: station.paymentsToken, json: body)
            guard answer.status == 201 || answer.status == 200 else {
                throw BenchFailure("POST /v1/payments A\(n): \(answer.status) \(answer.text)")
            }
            let limit = sent + .seconds(60)
            while try await station.relay(ofMeter: n) != "armed" {
                guard clock.now < limit else { throw BenchFailure("p1: meter \(n) not armed 60 s after its payment") }
                try await Task.sleep(for: .milliseconds(1))
            }
            latencies.append((clock.now - sent).seconds * 1000)
        }
        return latencies
    }
}

/// p5: resident memory. meter-sim's VmRSS at N meters minus at 1 meter, per meter; and
/// chargecontrold's VmRSS with N accounts provisioned (and collected once) minus with none, per
/// account (two daemon processes on one file: the first before the accounts were seeded).
struct MemoryScenario {
    let meters: Int
    let accounts: Int
    let terminals: Int
    let tariffs: URL
    let progress: (String) -> Void

    struct Result {
        var simOne = 0
        var simMany = 0
        var daemonEmpty = 0
        var daemonFull = 0
        var meters = 0
        var accounts = 0
        var bytesPerSimMeter: Int { meters > 1 ? (simMany - simOne) / (meters - 1) : 0 }
        var bytesPerAccount: Int { accounts > 0 ? (daemonFull - daemonEmpty) / accounts : 0 }
    }

    func run() async throws -> Result {
        let simMeters = max(meters, accounts)
        let options = StationOptions.bench(meters: simMeters, terminals: terminals, tariffs: tariffs)
        return try await HarnessStation.bench("p5", options) { station in
            var result = Result(meters: simMeters, accounts: accounts)
            progress("p5: meter-sim at 1 meter, then \(simMeters)")
            try await station.startSim(meters: 1, terminals: 1)
            try await Task.sleep(for: .seconds(1))
            result.simOne = station.sim?.residentBytes ?? 0
            try await station.startSim()
            try await Task.sleep(for: .seconds(1))
            result.simMany = station.sim?.residentBytes ?? 0

            try await station.startDaemon()
            try await Task.sleep(for: .seconds(2))
            result.daemonEmpty = station.daemon?.residentBytes ?? 0
            // Accounts are written into the file while the daemon is down (HTTP one by one takes
            // hours at a million), then a new daemon process loads them.
            await station.daemon?.stop()
            progress("p5: seeding \(accounts) accounts")
            let plan = StationSeed.Plan(accounts: accounts, terminalPorts: station.terminalPorts, tariff: try station.benchTariff(),
                                        balance: { _ in Money(microYuan: 1_000_000_000) }, baselineAt: nil, simulatedMeters: simMeters)
            _ = try await StationSeed.write(plan, to: station.databasePath, progress: progress)
            try await station.startDaemon()
            // Let a few collection cycles read every meter, so readings and meter states are held.
            let reads = "chargecontrol_reads_ok_total"
            let deadline = ContinuousClock.now + .seconds(max(60, accounts / 100))
            while try await station.metric(reads) < Double(accounts), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(500))
            }
            result.daemonFull = station.daemon?.residentBytes ?? 0
            return result
        }
    }
}
