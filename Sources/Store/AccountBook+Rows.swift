import ChargeControl
import Foundation
import GRDB
import Tariffs

/// The book and the account rows: reading them (start-up, a row another write changed), and
/// writing them behind (`foldIntoRows`).
extension AccountBook {
    /// `AccountRecord.columns`, the baseline's registers kept on the row (`StoreTransaction.reading(_:from:)`'s
    /// order, NULL without one), then `charged_through` and `billed_hundredths`.
    static let rowColumns = """
        a.id, a.meter_address, a.terminal_id, a.tariff, a.region, a.customer_class, a.alarm_micro_yuan,
            a.trip_micro_yuan, a.is_protected, a.balance_micro_yuan, a.tier_year_start_at, a.tier_year_used_hundredths,
            a.last_reading_id, a.last_reading_at, a.relay, a.alarm, a.keep_power, a.meter_state_at, a.state, a.fee_control, a.alarm2_at,
            a.baseline_collected_at, a.baseline_meter_time_at, a.baseline_total_hundredths, a.baseline_sharp_hundredths,
            a.baseline_peak_hundredths, a.baseline_flat_hundredths, a.baseline_valley_hundredths, a.charged_through, a.billed_hundredths
        """
    static let selectOne = """
        SELECT \(rowColumns) FROM account AS a WHERE a.id = ?
        """

    /// A replayed reading whose numbers are all integers: a cursor's row decodes numbers with
    /// `sqlite3_column_int64`, which reads text as 0 instead of refusing it.
    private static let replayWellTyped = """
        typeof(charge_micro_yuan) IN ('integer', 'null') AND typeof(tier_year_start_at) IN ('integer', 'null')
        AND typeof(tier_year_used_hundredths) IN ('integer', 'null') AND typeof(collected_at) = 'integer'
        AND typeof(meter_time_at) IN ('integer', 'null') AND typeof(total_hundredths) = 'integer'
        AND typeof(sharp_hundredths) = 'integer' AND typeof(peak_hundredths) = 'integer'
        AND typeof(flat_hundredths) = 'integer' AND typeof(valley_hundredths) = 'integer'
        AND typeof(energy_hundredths) IN ('integer', 'null')
        """

    /// Per account, the charges of the readings its row has not received (columns `account_id`,
    /// `charged`, `energy`): what a reader outside the writer subtracts from the row's balance
    /// (and adds to its energy billed). Only the readings after `folded_through` are looked at.
    static let unfoldedCharges = """
        SELECT r.account_id, CAST(SUM(r.charge_micro_yuan) AS INTEGER) AS charged, CAST(SUM(r.energy_hundredths) AS INTEGER) AS energy
        FROM reading AS r JOIN account AS x ON x.id = r.account_id
        WHERE r.id > (SELECT folded_through FROM account_book) AND r.id > x.charged_through AND r.charge_micro_yuan IS NOT NULL
        GROUP BY r.account_id
        """

    private static let baselineColumn = AccountRecord.columns.count
    private static let chargedThroughColumn = baselineColumn + 7

    /// An entry as its row has it: nothing unfolded.
    static func entry(_ row: SQLRow) throws -> Entry {
        let record = try AccountRecord(row: row, from: 0)
        let baseline = try row.decodeRecord(table: "account", key: .index(0)) {
            try row.hasNull(atIndex: baselineColumn) ? nil : StoreTransaction.reading(row, from: baselineColumn)
        }
        let (through, billed) = try row.decodeRecord(table: "account", key: .index(0)) {
            try (row.decode(Int64.self, atIndex: chargedThroughColumn), row.decode(Int64.self, atIndex: chargedThroughColumn + 1))
        }
        return Entry(record: record, baseline: baseline, rowChargedThrough: through, billed: Energy(hundredths: billed))
    }

    /// Creates the trigger that tells the book of account rows changed by other writes, on the
    /// writer's connection (a temporary trigger lives with its connection).
    func install(in session: SQLSession) throws {
        guard let db = session.sqlite else {
            try session.watchAccountRows { [weak self] id in self?.rowChanged(id) }
            return
        }
        db.add(function: DatabaseFunction("account_book_row_changed", argumentCount: 1, pure: false) { [weak self] values in
            if let id = String.fromDatabaseValue(values[0]) { self?.rowChanged(id) }
            return nil
        })
        try db.execute(sql: """
            CREATE TEMP TRIGGER IF NOT EXISTS account_book_update AFTER UPDATE ON main.account
                BEGIN SELECT account_book_row_changed(NEW.id); END;
            CREATE TEMP TRIGGER IF NOT EXISTS account_book_insert AFTER INSERT ON main.account
                BEGIN SELECT account_book_row_changed(NEW.id); END;
            CREATE TEMP TRIGGER IF NOT EXISTS account_book_delete AFTER DELETE ON main.account
                BEGIN SELECT account_book_row_changed(OLD.id); END;
            """)
    }

    /// Where a start's accounts come from, chosen by the start's write (`beginLoad`).
    struct LoadSource: Sendable {
        /// The snapshot the last graceful stop wrote, when the database still names it.
        var snapshot: (path: String, token: String, schema: String)?
        /// Why a snapshot file there is not to be read.
        var snapshotRefused: String?
        /// `account_book.folded_through` at the start: the replay begins after it (it does not
        /// move while the book loads: `advanceFoldedThrough`).
        var foldedThrough: Int64
    }

    /// The accounts a load read, before the book takes them (`finishLoad`).
    struct LoadedAccounts: Sendable {
        var accounts = PackedAccounts()
        var needReplay: Set<String> = []
        var unfolded: [String: Int64] = [:]
        var outcome = BookLoad()
    }

    /// The start's part of a load, in its write: clears the database's snapshot token (from here
    /// on the rows change), chooses the source and marks the book loading, so that the writer
    /// reads an account it does not hold yet from its row with the readings the row lacks.
    func beginLoad(in db: SQLSession, snapshot: String?) throws -> LoadSource {
        let token = try String.fetchOne(db, sql: "SELECT snapshot_token FROM account_book WHERE id = 1")
        if token != nil { try db.execute(sql: "UPDATE account_book SET snapshot_token = NULL WHERE id = 1") }
        let foldedThrough = try Int64.fetchOne(db, sql: "SELECT folded_through FROM account_book WHERE id = 1") ?? 0
        var source = LoadSource(foldedThrough: foldedThrough)
        if let snapshot, let token {
            source.snapshot = (snapshot, token, try Schema.appliedMigrations(db).last ?? "")
        } else if let snapshot, FileManager.default.fileExists(atPath: snapshot) {
            source.snapshotRefused = "the database names no snapshot (the last stop was not graceful, or account rows changed after it)"
        }
        state.withLock { s in
            s.loading = []
            s.needReplay = []
            s.unfolded = [:]
            s.published = PackedAccounts()
            s.tally = AccountTally()
            s.staged = [:]
            s.undo = []
            s.touched = []
            s.lastRead = nil
        }
        return source
    }

    /// Reads every account, from the snapshot when it is sound or else from the rows, then
    /// replays the readings the rows lack (those after `folded_through`, each applied unless its
    /// row has it already). A row that cannot be read is left out: its first use reads it again
    /// and names the problem, as for any stored row (issue 17), instead of the whole station
    /// failing to start. Any connection that sees the start's write will do: the writer's, or a
    /// reader's while the station runs (what the writer changes meanwhile, `finishLoad` keeps).
    static func readAccounts(_ source: LoadSource, in db: SQLSession) throws -> LoadedAccounts {
        var loaded = LoadedAccounts()
        loaded.outcome.snapshotRefused = source.snapshotRefused
        var fromSnapshot: PackedAccounts?
        if let snapshot = source.snapshot {
            do {
                fromSnapshot = try AccountBookSnapshot.read(from: snapshot.path, token: snapshot.token, schema: snapshot.schema)
                loaded.outcome.fromSnapshot = true
            } catch {
                loaded.outcome.snapshotRefused = "\(error)"
            }
        }
        if let fromSnapshot {
            loaded.accounts = fromSnapshot
        } else {
            loaded.accounts.reserve(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") ?? 0)
            // A row with a value out of place is read on its own when first used (and named then).
            try AccountRowScan.scan(db, { loaded.accounts[$0.record.id] = $0 }, skipped: { loaded.needReplay.insert($0) })
        }
        var readings = try SQLRow.fetchCursor(db, sql: """
            SELECT \(Self.replayed), \(Self.replayWellTyped) FROM reading
            WHERE id > ? AND balance_after_micro_yuan IS NOT NULL ORDER BY id
            """, arguments: [source.foldedThrough])
        while let row = try readings.next() {
            guard let account = try? row.decode(String.self, atIndex: 1), var entry = loaded.accounts[account] else { continue }
            // Left to a read of its own, which names the reading.
            guard (try? row.decode(Bool.self, atIndex: 14)) == true else {
                loaded.accounts[account] = nil
                loaded.unfolded[account] = nil
                loaded.needReplay.insert(account)
                continue
            }
            do {
                if try Self.replay(row, onto: &entry) { loaded.outcome.replayed += 1 }
                loaded.accounts[account] = entry
                loaded.unfolded[account] = entry.unfoldedReadings?.lowerBound
            } catch {
                loaded.accounts[account] = nil
                loaded.unfolded[account] = nil
                loaded.needReplay.insert(account)
            }
        }
        loaded.outcome.accounts = loaded.accounts.count
        return loaded
    }

    /// The book takes what a load read. An account the writer read, staged or saw changed
    /// since the load began stays as the writer has it (published, or left to be read again
    /// with the readings its row lacks); every other account is as loaded.
    func finishLoad(_ loaded: LoadedAccounts) {
        var accounts = loaded.accounts
        // Counted before the lock: the writer waits only for the accounts it touched meanwhile.
        var tally = accounts.tally()
        var unfolded = loaded.unfolded
        var needReplay = loaded.needReplay
        state.withLock { s in
            let seen = s.loading ?? []
            for id in seen {
                let current = s.published[id]
                tally.move(from: accounts.replace(id, with: current), to: current.map(AccountTally.Summary.init))
                unfolded[id] = nil
                // Not published (yet): read again, with the readings its row lacks, at its next use.
                if current == nil { needReplay.insert(id) } else { needReplay.remove(id) }
            }
            for (id, low) in s.unfolded { unfolded[id] = low }
            s.published = accounts
            s.tally = tally
            s.unfolded = unfolded
            s.needReplay = needReplay.union(s.needReplay)
            s.loading = nil
        }
    }

    /// Writes the book to `path` and names it in the database (`account_book.snapshot_token`),
    /// when the book is exactly the account rows: every account folded into its row, none
    /// changed under the book, none left out. Returns the accounts and bytes written; refuses
    /// (naming why) otherwise. A write of the group commit, alone in its round (a graceful stop's last).
    func saveSnapshot(to path: String, in db: SQLSession) throws -> (accounts: Int, bytes: Int) {
        let accounts = try state.withLock { s -> PackedAccounts in
            guard s.loading == nil else { throw AccountBookSnapshot.Refused("the book is still loading") }
            guard s.staged.isEmpty else { throw AccountBookSnapshot.Refused("other writes are under way") }
            guard s.touched.isEmpty else { throw AccountBookSnapshot.Refused("\(s.touched.count) account rows changed under the book") }
            guard s.unfolded.isEmpty else { throw AccountBookSnapshot.Refused("\(s.unfolded.count) accounts' rows lack readings") }
            guard s.needReplay.isEmpty else { throw AccountBookSnapshot.Refused("\(s.needReplay.count) account rows cannot be read") }
            return s.published
        }
        let rows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") ?? 0
        guard rows == accounts.count else {
            throw AccountBookSnapshot.Refused("the book holds \(accounts.count) accounts, the table \(rows)")
        }
        let token = UUID().uuidString
        let schema = try Schema.appliedMigrations(db).last ?? ""
        let bytes = try AccountBookSnapshot.write(accounts, token: token, schema: schema, to: path)
        try db.execute(sql: "UPDATE account_book SET snapshot_token = ? WHERE id = 1", arguments: [token])
        return (accounts.count, bytes)
    }

    /// The readings of one account its row lacks, replayed onto the entry its row gave.
    func replayTail(of entry: inout Entry, in db: SQLSession) throws {
        // Copied rows (not a cursor's): their numbers are checked as they decode.
        let readings = try SQLRow.fetchAll(db.cachedStatement(sql: """
            SELECT \(Self.replayed) FROM reading
            WHERE id > MAX(?, (SELECT folded_through FROM account_book WHERE id = 1)) AND account_id = ?
                AND balance_after_micro_yuan IS NOT NULL ORDER BY id
            """), arguments: [entry.rowChargedThrough, entry.record.id])
        for row in readings { _ = try Self.replay(row, onto: &entry) }
    }

    /// The columns a replay reads of a reading.
    private static let replayed = """
        id, account_id, charge_micro_yuan, balance_after_micro_yuan, tier_year_start_at, tier_year_used_hundredths,
            collected_at, meter_time_at, total_hundredths, sharp_hundredths, peak_hundredths, flat_hundredths, valley_hundredths,
            energy_hundredths
        """

    /// Lays a reading that became its account's baseline (a row of `replayed`) over the entry,
    /// unless the account row has it already; true when it did.
    private static func replay(_ row: SQLRow, onto entry: inout Entry) throws -> Bool {
        try row.decodeRecord(table: "reading", key: .index(0)) {
            let id: Int64 = try row.decode(atIndex: 0)
            guard id > entry.rowChargedThrough else { return false }
            let position = try row.decode(Int64?.self, atIndex: 4).map {
                TierYearPosition(yearStart: StoredInstant.date($0), used: Energy(hundredths: try row.decode(atIndex: 5)))
            }
            let effect = try StoreTransaction.ReadingEffect(
                charge: row.decode(Int64?.self, atIndex: 2).map(Money.init(microYuan:)),
                energy: row.decode(Int64?.self, atIndex: 13).map(Energy.init(hundredths:)),
                balanceAfter: Money(microYuan: row.decode(atIndex: 3)), position: position)
            try entry.take(id, reading: StoreTransaction.reading(row, from: 6), effect: effect)
            return true
        }
    }

    /// Writes the accounts' unfolded readings into their rows, in the order given (key order:
    /// neighbouring rows share pages). Returns how many rows it wrote. A write of the group
    /// commit (bulk lane): it stages like any other.
    ///
    /// `yield`: asked after each statement; true stops the write there (a payment waits for it),
    /// and `consumed` says how many of `ids` it went through.
    func foldIntoRows(_ ids: [String], in db: SQLSession,
                      yield: () -> Bool = { false }) throws -> (written: Int, consumed: Int) {
        var written = 0
        var rows: [(id: String, entry: Entry)] = []
        rows.reserveCapacity(Self.foldedPerStatement)
        for (index, id) in ids.enumerated() {
            guard let entry = try entry(id, in: db), entry.unfoldedReadings != nil else { continue }
            rows.append((id, entry))
            if rows.count == Self.foldedPerStatement {
                written += try fold(rows, in: db)
                rows.removeAll(keepingCapacity: true)
                if index + 1 < ids.count, yield() { return (written, index + 1) }
            }
        }
        if !rows.isEmpty { written += try fold(rows, in: db) }
        return (written, ids.count)
    }

    /// Rows one fold statement writes. An UPDATE of `account` keeps a statement journal (its
    /// triggers), and releasing one walks the in-memory sub-journal of the write's savepoint from
    /// its start: one statement per row made a fold write quadratic in its rows (p2 profile: 38 %
    /// of folding, 6 % of the daemon). One statement per 100 rows walks it a hundredth as often.
    static let foldedPerStatement = 100

    /// The values one folded row sets, in `foldRows`' order.
    private static let foldedColumns = [
        "id", "delta", "through", "last_id", "last_at", "tier_start", "tier_used", "billed", "b_at", "b_meter_time", "b_total",
        "b_sharp", "b_peak", "b_flat", "b_valley",
    ]

    /// One UPDATE writing `count` rows' unfolded readings (what `fold(_:in:)` writes for one).
    private static func foldRows(_ count: Int) -> String {
        let row = "(" + Array(repeating: "?", count: foldedColumns.count).joined(separator: ", ") + ")"
        // The first row's numbers typed: PostgreSQL gives a column of NULLs alone the type text.
        let typed = "(?" + String(repeating: ", CAST(? AS INTEGER)", count: foldedColumns.count - 1) + ")"
        let rows = ([typed] + Array(repeating: row, count: count - 1)).joined(separator: ", ")
        return """
            WITH v(\(foldedColumns.joined(separator: ", "))) AS (VALUES \(rows))
            UPDATE account SET balance_micro_yuan = balance_micro_yuan + v.delta, charged_through = MAX(charged_through, v.through),
                last_reading_id = v.last_id, last_reading_at = v.last_at, tier_year_start_at = v.tier_start,
                tier_year_used_hundredths = v.tier_used, billed_hundredths = billed_hundredths + v.billed,
                baseline_collected_at = v.b_at, baseline_meter_time_at = v.b_meter_time, baseline_total_hundredths = v.b_total,
                baseline_sharp_hundredths = v.b_sharp, baseline_peak_hundredths = v.b_peak, baseline_flat_hundredths = v.b_flat,
                baseline_valley_hundredths = v.b_valley
            FROM v WHERE account.id = v.id
            """
    }

    /// Writes the entries' unfolded readings into their rows in one statement and stages them
    /// folded; returns how many rows it wrote.
    private func fold(_ rows: [(id: String, entry: Entry)], in db: SQLSession) throws -> Int {
        let sql = Self.foldRows(rows.count)
        // The two sizes that recur (a full statement, one account) are kept compiled.
        let statement = rows.count == Self.foldedPerStatement || rows.count == 1
            ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        var values: [(any SQLStorable)?] = []
        values.reserveCapacity(rows.count * Self.foldedColumns.count)
        for (id, entry) in rows {
            let r = entry.record
            let b = entry.baseline
            let row: [(any SQLStorable)?] = [
                id, entry.unfolded.microYuan, entry.unfoldedReadings?.upperBound, r.lastReadingID,
                r.lastReadingAt.map(StoredInstant.millis), r.tierYearStart.map(StoredInstant.millis), r.tierYearUsed.hundredths,
                entry.unfoldedEnergy.hundredths, b.map { StoredInstant.millis($0.collectedAt) }, b?.meterTime.map(StoredInstant.millis),
                b?.total.hundredths, b?.registers.sharp.hundredths, b?.registers.peak.hundredths, b?.registers.flat.hundredths,
                b?.registers.valley.hundredths,
            ]
            values += row
        }
        state.withLock { $0.folding = true }
        defer { state.withLock { $0.folding = false } }
        try statement.execute(arguments: SQLArguments(values))
        let written = db.changesCount
        for (id, var entry) in rows {
            let through = entry.unfoldedReadings?.upperBound ?? entry.rowChargedThrough
            entry.unfolded = .zero
            entry.unfoldedEnergy = .zero
            entry.unfoldedReadings = nil
            entry.rowChargedThrough = max(entry.rowChargedThrough, through)
            stage(id, entry)
        }
        return written
    }

    /// Moves `account_book.folded_through` up to just before the first reading some row still
    /// lacks (every reading when none does): where the next start's replay begins.
    /// Longer than any write transaction lasts (a group commit round): see `advanceFoldedThrough`.
    static let clusterSettling: TimeInterval = 30

    func advanceFoldedThrough(in db: SQLSession) throws {
        // While the book loads, the load replays from where it began (and accounts not loaded
        // yet are read with the readings after it).
        guard !isLoading else { return }
        let firstUnfolded = state.withLock { s -> Int64? in
            var first: Int64?
            for (id, low) in s.unfolded where s.staged[id] == nil { first = min(first ?? low, low) }
            for case let (_, entry?) in s.staged {
                if let low = entry.unfoldedReadings?.lowerBound { first = min(first ?? low, low) }
            }
            return first
        }
        var foldedThrough = try firstUnfolded.map { $0 - 1 } ?? (Int64.fetchOne(db, sql: "SELECT MAX(id) FROM reading") ?? 0)
        if cluster.isClustered {
            // Other nodes' rows may lack readings this book knows nothing of (issue 16): the
            // replay's start stays before the first of those, whoever's they are. A reading
            // another node has not committed yet is not seen at all, though its id may be lower
            // than those seen; so the start moves only up to the highest id seen one settling
            // time ago (every reading with an id up to it was allocated then: committed or gone
            // since), and not past the first unfolded reading seen now.
            let now = cluster.now()
            let seen = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM reading") ?? 0
            let settled = state.withLock { s -> Int64? in
                guard let floor = s.clusterFloor else {
                    s.clusterFloor = (seen, now)
                    return nil
                }
                guard now.timeIntervalSince(floor.at) >= Self.clusterSettling else { return nil }
                s.clusterFloor = (seen, now)
                return floor.seen
            }
            guard let settled else { return }
            let firstAnywhere = try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT MIN(r.id) FROM reading AS r JOIN account AS a ON a.id = r.account_id
                WHERE r.id > (SELECT folded_through FROM account_book WHERE id = 1) AND r.id > a.charged_through
                    AND r.balance_after_micro_yuan IS NOT NULL
                """))
            foldedThrough = min(foldedThrough, settled, (firstAnywhere ?? .max) - 1)
        }
        try db.executeCached(sql: "UPDATE account_book SET folded_through = MAX(folded_through, ?) WHERE id = 1",
                             arguments: [foldedThrough])
    }

    /// Writes one account's unfolded readings into its row now (a write that sets the row's
    /// baseline itself does this first, so that a replay never lays older readings over it).
    @discardableResult
    func fold(_ id: String, in db: SQLSession) throws -> Bool {
        guard let entry = try entry(id, in: db), entry.unfoldedReadings != nil else { return false }
        _ = try fold([(id, entry)], in: db)
        return true
    }
}

extension StationStore {
    /// Writes up to `limit` accounts' rows behind, the first in key order, in one bulk-lane
    /// write (a payment waiting meanwhile commits in the next round), and moves the replay's
    /// start. Returns how many it wrote.
    public func foldAccountRows(limit: Int) async throws -> Int {
        guard let book else { return 0 }
        let ids = Array(book.unfoldedIDs().prefix(max(1, limit)))
        return try await write(.bulk) { db in
            let written = try book.foldIntoRows(ids, in: db).written
            try book.advanceFoldedThrough(in: db)
            return written
        }
    }

    /// Accounts whose rows have not received all their readings yet.
    public var unfoldedAccounts: Int { book?.unfoldedAccounts ?? 0 }

    /// Folds the accounts waiting now, in key order, `batch` a bulk-lane write (not those that
    /// readings add meanwhile: collection flat out would keep it going), then moves the replay's
    /// start; returns the rows written.
    @discardableResult
    public func foldWaitingAccountRows(batch: Int) async throws -> Int {
        guard let book else { return 0 }
        let ids = book.unfoldedIDs()
        guard !ids.isEmpty else { return 0 }
        var written = 0
        var start = 0
        let group = group
        while start < ids.count {
            let chunk = Array(ids[start..<min(ids.count, start + max(1, batch))])
            // A payment or reconnection step waiting cuts the write short: it commits next.
            let done = try await write(.bulk) { db in try book.foldIntoRows(chunk, in: db, yield: { group.reconnectionWaiting }) }
            written += done.written
            start += max(1, done.consumed)
            await Task.yield()
        }
        try await write(.bulk) { db in try book.advanceFoldedThrough(in: db) }
        return written
    }
}
