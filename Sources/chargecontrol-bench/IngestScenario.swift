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
///   validated, rated, decided by the policy and stored with its charge (the reading row is the
///   ledger of its charge), and the account book updated; the account rows are written behind
///   (`AccountRowsService`, not running here: what it costs is measured by p2): what "ingested"
///   means in the station.
/// - Raw insert: the same K `reading` rows (same table, same indexes, same values: the rows the
///   ingestion wrote, read back from its file, charge, balance and tier columns included) through
///   one prepared `INSERT` with the SQLite C API, `BEGIN IMMEDIATE … COMMIT` every 1000 rows.
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
        let seededReadings = try Self.maxReadingID(in: ingestFile.path)

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
        result.rawSeconds = try rawInsert(try writtenRows(in: ingestFile.path, after: seededReadings), into: rawFile.path)
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
        // Closed before the raw side opens the file: closing the pool checkpoints the WAL under
        // an exclusive lock, which made the raw side's first statement fail ("database is locked")
        // now and then, and would otherwise run during its timing.
        func finish() async throws {
            runner.cancel()
            await runner.value
            try store.close()
        }

        let clock = ContinuousClock()
        let started = clock.now
        for row in rows { await queue.submit(row) }
        let deadline = started + .seconds(max(300, rows.count / 100))
        while true {
            let stats = queue.stats
            if stats.readingsCommitted + stats.evaluationErrors + stats.droppedReadings >= rows.count {
                let seconds = (clock.now - started).seconds
                try await finish()
                guard stats.droppedReadings == 0 else { throw BenchFailure("p7: \(stats.droppedReadings) readings dropped by failed group commits") }
                return (seconds, stats)
            }
            guard clock.now < deadline else {
                try await finish()
                throw BenchFailure("p7: only \(stats.readingsCommitted) of \(rows.count) committed")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The columns of a reading row, as the store writes them.
    static let readingColumns = ["account_id", "collected_at", "meter_time_at", "total_hundredths", "sharp_hundredths",
                                 "peak_hundredths", "flat_hundredths", "valley_hundredths", "status", "abnormal_reasons",
                                 "charge_micro_yuan", "energy_hundredths", "balance_after_micro_yuan", "tier_year_start_at",
                                 "tier_year_used_hundredths"]

    /// A row's values: text, integer or NULL.
    enum Value {
        case text(String)
        case integer(Int64)
        case null
    }

    private static func open(_ path: String) throws -> OpaquePointer {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK, let db = handle else {
            throw BenchFailure("p7: cannot open \(path)")
        }
        sqlite3_busy_timeout(db, 10_000)
        return db
    }

    private static func maxReadingID(in path: String) throws -> Int64 {
        let db = try open(path)
        defer { sqlite3_close_v2(db) }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(id), 0) FROM reading", -1, &statement, nil) == SQLITE_OK, let statement,
              sqlite3_step(statement) == SQLITE_ROW else { throw BenchFailure("p7: \(String(cString: sqlite3_errmsg(db)))") }
        defer { sqlite3_finalize(statement) }
        return sqlite3_column_int64(statement, 0)
    }

    /// The reading rows ingestion wrote (ids after `seeded`), in id order.
    private func writtenRows(in path: String, after seeded: Int64) throws -> [[Value]] {
        let db = try Self.open(path)
        defer { sqlite3_close_v2(db) }
        var prepared: OpaquePointer?
        let sql = "SELECT \(Self.readingColumns.joined(separator: ", ")) FROM reading WHERE id > ? ORDER BY id"
        guard sqlite3_prepare_v2(db, sql, -1, &prepared, nil) == SQLITE_OK, let statement = prepared else {
            throw BenchFailure("p7: prepare: \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_int64(statement, 1, seeded)
        var rows: [[Value]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            rows.append((0..<Int32(Self.readingColumns.count)).map { i in
                switch sqlite3_column_type(statement, i) {
                case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, i))
                case SQLITE_TEXT: .text(String(cString: sqlite3_column_text(statement, i)))
                default: .null
                }
            })
        }
        guard rows.count == readings else { throw BenchFailure("p7: ingestion wrote \(rows.count) reading rows, not \(readings)") }
        return rows
    }

    /// The same rows, straight into `reading`; returns the seconds taken.
    private func rawInsert(_ rows: [[Value]], into path: String) throws -> Double {
        let db = try Self.open(path)
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
        let sql = "INSERT INTO reading (\(Self.readingColumns.joined(separator: ", "))) VALUES (\(Self.readingColumns.map { _ in "?" }.joined(separator: ", ")))"
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
                for (i, value) in row.enumerated() {
                    switch value {
                    case .text(let text): sqlite3_bind_text(statement, Int32(i + 1), text, -1, transient)
                    case .integer(let n): sqlite3_bind_int64(statement, Int32(i + 1), n)
                    case .null: sqlite3_bind_null(statement, Int32(i + 1))
                    }
                }
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
