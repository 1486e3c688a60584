import ChargeControl
import Foundation
import StationHarness
import GRDBSQLite
import Logging
import Station
import Store
import Tariffs

/// p7: the station's reading ingestion against a raw SQLite insert of the same rows, in one run.
///
/// Both sides start from copies of one database file holding K accounts, each with a baseline
/// reading (seeded by `StationSeed`), on the production settings (WAL, `synchronous = FULL`,
/// foreign keys on).
///
/// - Ingestion: the daemon's own code in this process: an `IngestQueue` (group commit, 1000
///   readings a transaction) over a `StationCore` on `StationStore.open`. K readings, one per
///   account, 0.05 kWh after the baseline, are `submit`ted as fast as the queue takes them; timed
///   from the first submit until the queue's stats count all K committed. Each reading is
///   validated, stored, rated, charged to the ledger, decided by the policy, and the account
///   row updated, one savepoint each: what "ingested" means in the station.
/// - Raw insert: the same K `reading` rows (same table, same indexes, same values) through one
///   prepared `INSERT` with the SQLite C API, `BEGIN IMMEDIATE … COMMIT` every 1000 rows.
///
/// The ratio is ingested readings per second ÷ raw rows per second (goal ≥ 0.5).
struct IngestScenario {
    let readings: Int
    let tariffs: URL
    let progress: (String) -> Void
    let batch = 1000

    struct Result {
        var readings = 0
        var batch = 0
        var seedSeconds = 0.0
        var ingestSeconds = 0.0
        var rawSeconds = 0.0
        var evaluationErrors = 0
        var abnormal = 0
        var transactions = 0

        var ingestPerSecond: Int { ingestSeconds > 0 ? Int(Double(readings) / ingestSeconds) : 0 }
        var rawPerSecond: Int { rawSeconds > 0 ? Int(Double(readings) / rawSeconds) : 0 }
        var ratio: Double { rawPerSecond > 0 ? Double(ingestPerSecond) / Double(rawPerSecond) : 0 }
    }

    func run() async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chargecontrol-bench-p7-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        InterruptCleanup.shared.add(folder: folder)
        defer {
            try? FileManager.default.removeItem(at: folder)
            InterruptCleanup.shared.remove(folder: folder)
        }
        var result = Result(readings: readings, batch: batch)
        let loaded = try TariffFolder.load(tariffs.path)
        let tariff = try loaded["zhejiang-residential-tou-tiered"].orThrow("no tariff zhejiang-residential-tou-tiered in \(tariffs.path)")
        let baselineAt = Date().addingTimeInterval(-900)
        let ingestFile = folder.appendingPathComponent("ingest.sqlite")
        let rawFile = folder.appendingPathComponent("raw.sqlite")

        progress("p7: seeding \(readings) accounts with baselines")
        let plan = StationSeed.Plan(accounts: readings, terminalPorts: [1], tariff: tariff,
                                    balance: { _ in Money(microYuan: 100_000_000) }, baselineAt: baselineAt)
        result.seedSeconds = try await StationSeed.write(plan, to: ingestFile.path, progress: { _ in }).totalSeconds
        try FileManager.default.copyItem(at: ingestFile, to: rawFile)

        let at = Date()
        let rows = (1...readings).map { n in
            CollectedReading(
                accountID: "A\(n)", meterAddress: HarnessStation.address(n), terminalID: "T0",
                reading: MeterReading(collectedAt: at, meterTime: at, total: Energy(hundredths: 5),
                                      registers: PerRegister(sharp: .zero, peak: .zero, flat: Energy(hundredths: 5), valley: .zero)),
                meter: MeterState(relay: .closed))
        }

        progress("p7: ingesting \(readings) readings through IngestQueue")
        let ingestStats = try await ingest(rows, into: ingestFile.path, tariffs: loaded)
        result.ingestSeconds = ingestStats.seconds
        result.evaluationErrors = ingestStats.stats.evaluationErrors
        result.abnormal = ingestStats.stats.abnormal
        result.transactions = ingestStats.stats.transactions

        progress("p7: inserting the same \(readings) rows with a prepared statement")
        result.rawSeconds = try rawInsert(rows, into: rawFile.path)
        return result
    }

    /// The station's ingest path, timed from the first submit to the last commit.
    private func ingest(_ rows: [CollectedReading], into path: String,
                        tariffs: [String: Tariff]) async throws -> (seconds: Double, stats: IngestStats) {
        let zone = TimeZone(identifier: "Asia/Shanghai") ?? .current
        let rules = EvaluationRules(
            tariffs: tariffs,
            policy: ControlPolicy(calendar: try TripCalendar.parse(windows: ["Mon-Sun 00:00-24:00"], holidays: [], timeZone: zone)),
            limits: ValidationLimits(), defaultAlarm: AlarmThreshold(Money(microYuan: 20_000_000)), defaultTrip: TripThreshold(.zero),
            reconnectMargin: ReconnectMargin(Money(microYuan: 5_000_000)), commandLifetime: .seconds(3600))
        var logger = Logger(label: "chargecontrol-bench.p7")
        logger.logLevel = .warning
        let store = try StationStore.open(path: path)
        let core = StationCore(store: store, evaluator: Evaluator(rules: rules), clock: SystemStationClock(), logger: logger)
        let queue = IngestQueue(core: core, logger: logger)
        let runner = Task { await queue.run() }
        defer { runner.cancel() }

        let clock = ContinuousClock()
        let started = clock.now
        for row in rows { await queue.submit(row) }
        let deadline = started + .seconds(max(300, rows.count / 100))
        while true {
            let stats = queue.stats
            if stats.readingsCommitted + stats.evaluationErrors + stats.droppedReadings >= rows.count {
                let seconds = (clock.now - started).seconds
                guard stats.droppedReadings == 0 else { throw BenchFailure("p7: \(stats.droppedReadings) readings dropped by failed group commits") }
                return (seconds, stats)
            }
            guard clock.now < deadline else { throw BenchFailure("p7: only \(stats.readingsCommitted) of \(rows.count) committed") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The same rows, straight into `reading`; returns the seconds taken.
    private func rawInsert(_ rows: [CollectedReading], into path: String) throws -> Double {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK, let db = handle else {
            throw BenchFailure("p7: cannot open \(path)")
        }
        defer { sqlite3_close_v2(db) }
        func exec(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
                throw BenchFailure("p7: \(sql): \(String(cString: sqlite3_errmsg(db)))")
            }
        }
        // The Store's settings (StationStore: WAL, synchronous FULL, foreign keys, busy timeout).
        try exec("PRAGMA journal_mode = WAL")
        try exec("PRAGMA synchronous = FULL")
        try exec("PRAGMA foreign_keys = ON")
        try exec("PRAGMA busy_timeout = 5000")
        // The Store's statement (StoreTransaction.insertReading).
        let sql = """
            INSERT INTO reading (account_id, collected_at, meter_time_at, total_hundredths, sharp_hundredths, peak_hundredths,
                flat_hundredths, valley_hundredths, status, abnormal_reasons)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &prepared, nil) == SQLITE_OK, let statement = prepared else {
            throw BenchFailure("p7: prepare: \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(statement) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        let clock = ContinuousClock()
        let started = clock.now
        for first in stride(from: 0, to: rows.count, by: batch) {
            try exec("BEGIN IMMEDIATE")
            for row in rows[first..<min(rows.count, first + batch)] {
                let r = row.reading
                sqlite3_bind_text(statement, 1, row.accountID, -1, transient)
                sqlite3_bind_int64(statement, 2, StoredInstant.millis(r.collectedAt))
                if let meterTime = r.meterTime {
                    sqlite3_bind_int64(statement, 3, StoredInstant.millis(meterTime))
                } else {
                    sqlite3_bind_null(statement, 3)
                }
                sqlite3_bind_int64(statement, 4, r.total.hundredths)
                sqlite3_bind_int64(statement, 5, r.registers.sharp.hundredths)
                sqlite3_bind_int64(statement, 6, r.registers.peak.hundredths)
                sqlite3_bind_int64(statement, 7, r.registers.flat.hundredths)
                sqlite3_bind_int64(statement, 8, r.registers.valley.hundredths)
                sqlite3_bind_text(statement, 9, "accepted", -1, transient)
                sqlite3_bind_null(statement, 10)
                guard sqlite3_step(statement) == SQLITE_DONE else {
                    throw BenchFailure("p7: insert: \(String(cString: sqlite3_errmsg(db)))")
                }
                sqlite3_reset(statement)
            }
            try exec("COMMIT")
        }
        return (clock.now - started).seconds
    }
}
