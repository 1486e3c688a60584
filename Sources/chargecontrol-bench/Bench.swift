import ArgumentParser
import BuildVersion
import Foundation
import StationConfig
import StationHarness

/// `chargecontrol-bench`: the measured scenarios (issue text names them). Build with
/// `-c release`; a debug build measures the debugger's patience, not the code.
///
/// p4 and p7 are in-process; p1, p2, p3, p5 and p6 run their own `meter-sim` and
/// `chargecontrold` (found next to this executable) on 127.0.0.1 in a temporary folder that is
/// removed afterwards.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chargecontrol-bench",
        abstract: "Measure ChargeControl's scenarios and print a table (or JSON with --json).",
        version: BuildVersion.version
    )

    @Option(help: "Meters meter-sim simulates in p5 (at least --accounts); meters (one account each) in p2 and p6.")
    var meters: Int = 1_000

    @Option(help: "Readings p7 ingests (and inserts raw).")
    var readings: Int = 20_000

    @Flag(inversion: .prefixedNo, help: "p2: also time the next N readings after the first cycle (the steady state).")
    var steady = true

    @Option(help: "Accounts: written into the database in p1, p3 and p5 (default 1000); evaluated in memory by p4 (default 1000000).")
    var accounts: Int?

    @Option(help: "Seconds to spend rating intervals in p4.")
    var seconds: Int = 3

    @Option(help: "Payments p1 times, one after another.")
    var payments: Int = 200

    @Option(help: "Simulated terminals (0: one per 250 meters, at most 64).")
    var terminals: Int = 0

    @Flag(help: "p1: time the payments again while backups run back to back and retention prunes every 2 s (key p1.maintenance).")
    var maintenance = false

    @Option(name: .customLong("maintenance-parts"),
            help: "With --maintenance: what runs during the second pass, comma-separated: backups, retention (default both).")
    var maintenanceParts = "backups,retention"

    @Option(help: "Scenarios to run, comma-separated (p1 … p8; p8, the takeover after kill -9, needs --postgres and runs only when named).")
    var scenarios: String = "p1,p2,p3,p4,p5,p6,p7"

    @Option(help: "The tariffs folder (default: Config/tariffs of the checkout the bench was built from).")
    var tariffs: String?

    @Flag(help: "p2/p6: keep the station's folder (config, database, logs) for profiling by hand.")
    var keep = false

    @Option(help: ArgumentHelp("p1, p2, p3, p6: the station on PostgreSQL, in a new database made on this server (its user needs CREATEDB).",
                               valueName: "postgresql://…"))
    var postgres: String?

    @Option(help: "p1, p2, p3: daemons sharing the PostgreSQL station (needs --postgres); p1's payments go to each in turn.")
    var nodes = 1

    @Flag(help: "Print one JSON object keyed by scenario id.")
    var json = false

    func validate() throws {
        let unknown = Set(maintenanceParts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            .subtracting(["backups", "retention"])
        guard unknown.isEmpty else { throw ValidationError("--maintenance-parts takes backups and retention, not \(unknown.sorted())") }
        guard nodes >= 1 else { throw ValidationError("--nodes must be at least 1") }
        guard nodes == 1 || postgres != nil else { throw ValidationError("--nodes \(nodes) needs --postgres: a SQLite station has one daemon") }
        guard nodes == 1 || !scenarios.contains("p6") else { throw ValidationError("--nodes \(nodes) runs p1, p2 and p3; p6 restarts one daemon") }
    }

    func run() async throws {
        let wanted = Set(scenarios.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let unknown = wanted.subtracting(["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"])
        guard unknown.isEmpty else { throw ValidationError("unknown scenario(s): \(unknown.sorted().joined(separator: ", "))") }
        guard meters > 0, readings > 0 else { throw ValidationError("--meters and --readings must be positive") }
        InterruptCleanup.shared.install(program: "chargecontrol-bench")
        let stationAccounts = accounts ?? 1_000
        let terminalCount = terminals > 0 ? terminals : min(64, max(1, stationAccounts / 250))
        let progress: (String) -> Void = { message in
            FileHandle.standardError.write(Data("chargecontrol-bench: \(message)\n".utf8))
        }
        var objects: [String] = []
        var rows: [BenchRow] = []
        let server = try postgres.map { try PostgresLocation(url: $0) }
        objects.append("\"engine\": \"\(server == nil ? "sqlite" : "postgresql")\"")

        if !wanted.isDisjoint(with: ["p1", "p3"]) {
            let r = try await TripAndPayScenario(
                accounts: stationAccounts, terminals: terminalCount, payments: payments,
                tariffs: try benchTariffsFolder(tariffs), maintenance: maintenance,
                maintenanceParts: Set(maintenanceParts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }),
                postgres: server, nodes: nodes, progress: progress).run()
            if wanted.contains("p1") {
                var p1 = "\"p1\": {\"p50_ms\": \(ms(r.p50)), \"p99_ms\": \(ms(r.p99)), \"max_ms\": \(ms(r.max)), "
                p1 += "\"accounts\": \(stationAccounts), \"payments\": \(r.latenciesMS.count), \"terminals\": \(terminalCount), "
                p1 += "\"measured_to\": \"sim_meter_armed\", \"goal_p99_ms\": 250, \"nodes\": \(nodes)"
                if maintenance {
                    let ratio: Double = r.p99 > 0 ? r.maintenanceP99 / r.p99 : 0
                    p1 += ", \"maintenance\": {\"p99_ms\": \(ms(r.maintenanceP99)), \"payments\": \(r.maintenanceLatenciesMS.count), "
                    p1 += "\"backups\": \(r.backups), \"retention_pruned\": \(r.pruned), \"parts\": \"\(maintenanceParts)\", \"ratio_to_p1\": \((ratio * 100).rounded() / 100)}"
                    rows.append(BenchRow(scenario: "p1", measure: "payment → meter armed, p99, backups and retention running",
                                         value: "\(ms(r.maintenanceP99)) ms", note: "\(r.backups) backups taken meanwhile"))
                }
                objects.append(p1 + "}")
                rows += [
                    BenchRow(scenario: "p1", measure: "payment → meter armed, p50", value: "\(ms(r.p50)) ms",
                             note: "\(r.latenciesMS.count) payments, \(stationAccounts) accounts"),
                    BenchRow(scenario: "p1", measure: "payment → meter armed, p99", value: "\(ms(r.p99)) ms", note: "goal ≤ 250 ms"),
                    BenchRow(scenario: "p1", measure: "payment → meter armed, max", value: "\(ms(r.max)) ms",
                             note: "to the sim's relay change (after the ack)"),
                ]
            }
            if wanted.contains("p3") {
                objects.append("\"p3\": {\"per_second\": \(r.perSecond), \"acknowledged\": \(r.acknowledged), "
                    + "\"seconds\": \(ms(r.tripSeconds * 1000) / 1000), \"acknowledged_during_provisioning\": \(r.acknowledgedDuringProvisioning), "
                    + "\"provision_seconds\": \(ms(r.provisionSeconds * 1000) / 1000), \"terminals\": \(terminalCount), \"nodes\": \(nodes), "
                    + "\"goal_per_second\": 5000}")
                rows += [
                    BenchRow(scenario: "p3", measure: "trips acknowledged per second", value: "\(r.perSecond)",
                             note: "goal ≥ 5000; \(stationAccounts) accounts, \(terminalCount) terminals"),
                    BenchRow(scenario: "p3", measure: "acknowledged before the terminals answered", value: "\(r.acknowledgedDuringProvisioning)",
                             note: String(format: "seeding took %.2f s (not counted)", r.provisionSeconds)),
                ]
            }
        }

        if wanted.contains("p4") {
            let p4 = try RatingScenario(ratingSeconds: seconds, accounts: accounts ?? 1_000_000).run()
            objects.append("\"p4\": \(p4.json)")
            rows += p4.rows
        }

        if wanted.contains("p5") {
            let simMeters = max(meters, stationAccounts)
            let r = try await MemoryScenario(
                meters: simMeters, accounts: stationAccounts,
                terminals: terminals > 0 ? terminals : min(64, max(1, simMeters / 250)),
                tariffs: try benchTariffsFolder(tariffs), progress: progress).run()
            objects.append("\"p5\": {\"bytes_per_account\": \(r.bytesPerAccount), \"bytes_per_sim_meter\": \(r.bytesPerSimMeter), "
                + "\"accounts\": \(r.accounts), \"meters\": \(r.meters), \"daemon_rss_empty\": \(r.daemonEmpty), "
                + "\"daemon_rss_full\": \(r.daemonFull), \"sim_rss_one\": \(r.simOne), \"sim_rss_full\": \(r.simMany)}")
            rows += [
                BenchRow(scenario: "p5", measure: "daemon bytes per account", value: "\(r.bytesPerAccount)",
                         note: "goal ≤ 1024; VmRSS Δ over \(r.accounts) accounts"),
                BenchRow(scenario: "p5", measure: "meter-sim bytes per meter", value: "\(r.bytesPerSimMeter)",
                         note: "goal ≤ 256; VmRSS Δ over \(r.meters) meters"),
            ]
        }

        if !wanted.isDisjoint(with: ["p2", "p6"]) {
            let stationTerminals = terminals > 0 ? terminals : min(64, max(1, meters / 250))
            let r = try await CycleRestartScenario(
                accounts: meters, terminals: stationTerminals, runCycle: wanted.contains("p2"), steadyCycle: steady,
                runRestart: wanted.contains("p6"), keepFolder: keep, tariffs: try benchTariffsFolder(tariffs),
                postgres: server, nodes: nodes, progress: progress).run()
            let report = CycleRestartReport(r)
            if wanted.contains("p2") {
                objects.append(report.p2JSON)
                rows += report.p2Rows
            }
            if wanted.contains("p6") {
                objects.append(report.p6JSON)
                rows += report.p6Rows
            }
        }

        if wanted.contains("p7") {
            let r = try await IngestScenario(readings: readings, tariffs: try benchTariffsFolder(tariffs), progress: progress).run()
            let report = IngestReport(r)
            objects.append(report.json)
            rows += report.rows
        }

        if wanted.contains("p8") {
            guard let server else { throw ValidationError("p8 (the takeover after kill -9) needs --postgres") }
            let lease = 3
            let r = try await TakeoverScenario(postgres: server, leaseSeconds: lease, rounds: 5, tariffs: try benchTariffsFolder(tariffs),
                                               progress: progress).run()
            objects.append("\"p8\": {\"max_seconds\": \(ms(r.max * 1000) / 1000), \"mean_seconds\": \(ms(r.mean * 1000) / 1000), "
                + "\"rounds\": \(r.seconds.count), \"lease_seconds\": \(lease), \"goal_max_seconds\": \(lease + 2)}")
            rows.append(BenchRow(scenario: "p8", measure: "takeover after kill -9 (every terminal leased by the other node)",
                                 value: String(format: "%.2f s max, %.2f s mean", r.max, r.mean), note: "goal ≤ lease \(lease) s + 2 s"))
        }

        if json {
            print("{" + objects.joined(separator: ", ") + "}")
        } else {
            print(formatTable(rows))
        }
    }

    private func ms(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
