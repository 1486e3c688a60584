import Foundation

/// A JSON number with at most `places` decimals (JSON has no NaN or infinity: those become 0).
func jsonNumber(_ value: Double, places: Int = 3) -> String {
    guard value.isFinite else { return "0" }
    let scale = pow(10, Double(places))
    let rounded = (value * scale).rounded() / scale
    return rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
}

/// One JSON object from (key, already-encoded value) pairs, in order.
func jsonObject(_ pairs: [(String, String)]) -> String {
    "{" + pairs.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
}

/// p2's and p6's JSON objects and table rows.
struct CycleRestartReport {
    let r: CycleRestartScenario.Result
    init(_ r: CycleRestartScenario.Result) { self.r = r }

    private var seedPairs: [(String, String)] {
        [("seed_seconds", jsonNumber(r.seed.totalSeconds, places: 1)),
         ("seed_accounts_seconds", jsonNumber(r.seed.accountsSeconds, places: 1)),
         ("seed_baselines_seconds", jsonNumber(r.seed.baselinesSeconds, places: 1))]
    }

    var p2JSON: String {
        var pairs: [(String, String)] = [
            ("seconds", jsonNumber(r.cycleSeconds)), ("meters", "\(r.accounts)"), ("terminals", "\(r.terminals)"), ("nodes", "\(r.nodes)"),
            ("measured_from", "\"READY=1\""), ("measured_to", "\"every account's reading committed\""),
            ("first_commit_seconds", jsonNumber(r.firstCommitSeconds)), ("readings_per_second", "\(r.readingsPerSecond)"),
            ("commands_queued", "\(r.commandsQueued)"), ("abnormal_readings", "\(r.abnormalReadings)"),
            ("daemon_cpu_seconds", jsonNumber(r.daemonCPUSeconds, places: 1)), ("sim_cpu_seconds", jsonNumber(r.simCPUSeconds, places: 1)),
            ("daemon_rss_bytes", "\(r.daemonRSSBytes)"),
            ("ratio_to_bare_reads", jsonNumber(r.ratioToBareReads, places: 3)),
            ("bare_reads_per_second", jsonNumber(r.bare.perSecond, places: 0)), ("bare_read_failures", "\(r.bare.failures)"),
            ("goal_ratio_to_bare_reads", "0.5"),
        ]
        if let steady = r.steadySeconds { pairs.append(("steady_seconds", jsonNumber(steady))) }
        pairs += seedPairs + [("goal_seconds", "60")]
        return "\"p2\": " + jsonObject(pairs)
    }

    var p2Rows: [BenchRow] {
        var rows = [
            BenchRow(scenario: "p2", measure: "one full cycle (READY=1 → all stored)", value: String(format: "%.2f s", r.cycleSeconds),
                     note: "goal ≤ 60 s; \(r.accounts) meters, \(r.terminals) terminals, first cycle after start"),
            BenchRow(scenario: "p2", measure: "readings stored per second", value: "\(r.readingsPerSecond)",
                     note: "\(r.commandsQueued) commands queued, \(r.abnormalReadings) abnormal"),
            BenchRow(scenario: "p2r", measure: "p2's readings/s ÷ a bare client's", value: String(format: "%.3f", r.ratioToBareReads),
                     note: String(format: "goal ≥ 0.5; bare client %.0f/s (%d failed), same meter-sim, before the daemon", r.bare.perSecond,
                                  r.bare.failures)),
            BenchRow(scenario: "p2", measure: "CPU during the cycle", value: String(format: "%.0f + %.0f s", r.daemonCPUSeconds, r.simCPUSeconds),
                     note: "chargecontrold + meter-sim"),
            BenchRow(scenario: "p2", measure: "provisioning (Store, not HTTP)", value: String(format: "%.1f s", r.seed.totalSeconds),
                     note: String(format: "accounts %.1f s, baselines %.1f s; not counted", r.seed.accountsSeconds, r.seed.baselinesSeconds)),
        ]
        if let steady = r.steadySeconds {
            rows.insert(BenchRow(scenario: "p2", measure: "next \(r.accounts) readings (steady)", value: String(format: "%.2f s", steady),
                                 note: "no clock reads, commands already queued"), at: 1)
        }
        return rows
    }

    var p6JSON: String {
        "\"p6\": " + jsonObject([
            ("seconds", jsonNumber(r.restartSeconds)), ("accounts", "\(r.accounts)"),
            ("measured", "\"exec to READY=1 on NOTIFY_SOCKET\""),
            ("after_kill_seconds", jsonNumber(r.crashRestartSeconds)), ("stop_seconds", jsonNumber(r.stopSeconds)),
            ("cpu_seconds", jsonNumber(r.restartCPUSeconds, places: 2)), ("after_kill_cpu_seconds", jsonNumber(r.crashRestartCPUSeconds, places: 2)),
            ("first_start_seconds", jsonNumber(r.firstStartSeconds)),
            ("book_loaded_seconds", jsonNumber(r.bookLoadedSeconds)), ("after_kill_book_loaded_seconds", jsonNumber(r.crashBookLoadedSeconds)),
        ] + seedPairs + [("goal_seconds", "1")])
    }

    var p6Rows: [BenchRow] {
        [
            BenchRow(scenario: "p6", measure: "restart to READY=1", value: String(format: "%.2f s", r.restartSeconds),
                     note: "goal ≤ 1 s; \(r.accounts) accounts, after a graceful stop"),
            BenchRow(scenario: "p6", measure: "restart to READY=1 after kill -9", value: String(format: "%.2f s", r.crashRestartSeconds),
                     note: String(format: "graceful stop took %.2f s", r.stopSeconds)),
            BenchRow(scenario: "p6", measure: "account book loaded behind READY=1", value: String(format: "%.2f s", r.bookLoadedSeconds),
                     note: String(format: "exec → the log's line; after kill -9: %.2f s", r.crashBookLoadedSeconds)),
            BenchRow(scenario: "p6", measure: "daemon CPU to READY=1", value: String(format: "%.2f s", r.restartCPUSeconds),
                     note: String(format: "after kill -9: %.2f s", r.crashRestartCPUSeconds)),
            BenchRow(scenario: "p6", measure: "first start on the seeded file", value: String(format: "%.2f s", r.firstStartSeconds),
                     note: "exec → READY=1"),
        ]
    }
}

/// p7's JSON object and table rows.
struct IngestReport {
    let r: IngestScenario.Result
    init(_ r: IngestScenario.Result) { self.r = r }

    var json: String {
        "\"p7\": " + jsonObject([
            ("ratio", jsonNumber(r.ratio)), ("ingest_per_second", "\(r.ingestPerSecond)"),
            ("raw_insert_per_second", "\(r.rawPerSecond)"), ("readings", "\(r.readings)"), ("batch", "\(r.batch)"),
            ("ingest_seconds", jsonNumber(r.ingestSeconds)), ("raw_seconds", jsonNumber(r.rawSeconds)),
            ("ingest_transactions", "\(r.transactions)"), ("evaluation_errors", "\(r.evaluationErrors)"),
            ("abnormal", "\(r.abnormal)"), ("goal_ratio", "0.5"),
        ])
    }

    var rows: [BenchRow] {
        [
            BenchRow(scenario: "p7", measure: "ingest ÷ raw insert", value: String(format: "%.3f", r.ratio), note: "goal ≥ 0.5"),
            BenchRow(scenario: "p7", measure: "readings ingested per second", value: "\(r.ingestPerSecond)",
                     note: "IngestQueue in-process: stored, rated, charged, decided"),
            BenchRow(scenario: "p7", measure: "raw rows inserted per second", value: "\(r.rawPerSecond)",
                     note: "prepared INSERT, \(r.batch) rows a transaction, WAL, synchronous FULL"),
        ]
    }
}
