import Foundation

/// What one retention batch removed, and where the next one starts.
public struct PruneBatch: Sendable, Hashable {
    /// Rows deleted.
    public let deleted: Int
    /// Charge entries folded into another (`ChargeCompaction`), for reading batches.
    public var folded = 0
    /// The next batch starts after this id; nil: nothing older than the cutoff is left to look at.
    public let resumeAfter: Int64?
}

/// Retention (`[retention]`): old readings and delivered outbox rows are deleted in small
/// batches, each its own write on the bulk lane (a commit round takes at most one bulk write, so a
/// payment waits for one batch at most).
///
/// A reading is kept, whatever its age, when
/// - it is an account's baseline (`account.last_reading_id`): the next reading is billed from it;
/// - a review item names it (open or closed): resolving an item reads it, and a closed item shows it;
/// - it is the newest reading of all: reading ids are SQLite rowids, and deleting the largest
///   would let the next insert reuse its id (notification event keys name readings by id);
/// - it became its account's baseline after `account_book.folded_through`: its account row may
///   not have received it yet, and a restart replays it (`AccountBook`).
///
/// A reading carries its own charge (schema v15): when it is deleted, the charge goes into the
/// ledger, one entry per account and station day (`ChargeCompaction.book`). A charge booked in
/// the ledger before v15 (or on review) names the reading it billed (`ledger.reading_id`); when
/// that reading is deleted the link is cleared (NULL) in the same transaction, and the charges so
/// loosened are folded into one entry per account and day (`ChargeCompaction.fold`): amounts and
/// energy summed either way, so balances, replays and statements stay exact. The audit trail is
/// never touched.
enum Retention {
    /// The ids of the readings to delete in `lower...upper`, as a temp table the batch fills.
    private static let doomedReadings = """
        INSERT INTO temp.retention_doomed (id)
        SELECT r.id FROM reading AS r
        WHERE r.id BETWEEN ?1 AND ?2 AND r.collected_at < ?3
            AND r.id < (SELECT MAX(id) FROM reading)
            AND (r.balance_after_micro_yuan IS NULL OR r.id <= (SELECT folded_through FROM account_book))
            AND NOT EXISTS (SELECT 1 FROM account AS a WHERE a.id = r.account_id AND a.last_reading_id = r.id)
            AND NOT EXISTS (SELECT 1 FROM review_item AS v WHERE v.reading_id = r.id)
        """

    /// Deletes the readings older than `cutoff` with ids in `lower...upper` but those kept (see
    /// the type), clearing the ledger's links to them. Returns how many were deleted.
    static func pruneReadings(from lower: Int64, through upper: Int64, before cutoff: Int64, zone: TimeZone,
                              in db: SQLSession) throws -> (deleted: Int, folded: Int) {
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS retention_doomed (id INTEGER PRIMARY KEY)")
        try db.execute(sql: "DELETE FROM temp.retention_doomed")
        try db.execute(sql: doomedReadings, arguments: [lower, upper, cutoff])
        guard db.changesCount > 0 else { return (0, 0) }
        // Probes `ledger_reading` (v14) per reading: the charges of the batch, nothing else.
        var loose: [String: [Int64]] = [:]
        for row in try SQLRow.fetchAll(db, sql: "SELECT id, account_id FROM ledger WHERE reading_id IN (SELECT id FROM temp.retention_doomed)") {
            let (id, account) = try row.decodeRecord(table: "ledger", key: .index(0)) {
                try (row.decode(Int64.self, atIndex: 0), row.decode(String.self, atIndex: 1))
            }
            loose[account, default: []].append(id)
        }
        try db.execute(sql: "UPDATE ledger SET reading_id = NULL WHERE reading_id IN (SELECT id FROM temp.retention_doomed)")
        // The charges the readings carry themselves (schema v15) go into the ledger with them.
        let carried = try ChargeCompaction.book(try SQLRow.fetchAll(db, sql: """
            SELECT id, account_id, charge_micro_yuan, energy_hundredths, collected_at FROM reading
            WHERE id IN (SELECT id FROM temp.retention_doomed) AND balance_after_micro_yuan IS NOT NULL AND charge_micro_yuan IS NOT NULL
            ORDER BY id
            """), zone: zone, in: db)
        try db.execute(sql: "DELETE FROM reading WHERE id IN (SELECT id FROM temp.retention_doomed)")
        let deleted = db.changesCount
        try db.execute(sql: "DELETE FROM temp.retention_doomed")
        return (deleted, carried + (try ChargeCompaction.fold(loose: loose, zone: zone, in: db)))
    }

    /// The id range of the next batch: up to `limit` readings after `cursor`, in id order,
    /// stopping before the first one collected at or after `cutoff` (ids grow with collection
    /// time, so what follows is newer). Nil when there is none.
    static func nextReadingRange(after cursor: Int64, before cutoff: Int64, limit: Int, in db: SQLSession)
        throws -> (lower: Int64, upper: Int64, isLast: Bool)?
    {
        let rows = try SQLRow.fetchAll(db, sql: "SELECT id, collected_at FROM reading WHERE id > ? ORDER BY id LIMIT ?",
                                    arguments: [cursor, limit])
        var upper: Int64?
        for row in rows {
            let (id, at) = try row.decodeRecord(table: "reading", key: .index(0)) {
                try (row.decode(Int64.self, atIndex: 0), row.decode(Int64.self, atIndex: 1))
            }
            guard at < cutoff else { return upper.map { (cursor + 1, $0, true) } }
            upper = id
        }
        return upper.map { (cursor + 1, $0, rows.count < limit) }
    }

    /// Deletes up to `limit` outbox rows delivered before `cutoff`, oldest delivery first.
    /// Undelivered rows are never deleted, whatever their age.
    static func pruneOutbox(before cutoff: Int64, limit: Int, in db: SQLSession) throws -> Int {
        try db.execute(sql: """
            DELETE FROM outbox WHERE id IN (
                SELECT id FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ? ORDER BY delivered_at LIMIT ?)
            """, arguments: [cutoff, limit])
        return db.changesCount
    }
}

extension StationStore {
    /// One batch of reading retention: at most `limit` readings after id `cursor` (0 to start)
    /// collected before `cutoff` are looked at, and those not kept (`Retention`) deleted in one
    /// bulk-lane transaction. Call again with `resumeAfter` until it is nil.
    public func pruneReadings(before cutoff: Date, after cursor: Int64 = 0, limit: Int = 1000, zone: TimeZone = .current) async throws
        -> PruneBatch
    {
        let cutoffMillis = StoredInstant.millis(cutoff)
        // The range is found on a reader: the writer is held only for the deletes.
        guard let range = try await writer.read({ db in
            try Retention.nextReadingRange(after: cursor, before: cutoffMillis, limit: max(1, limit), in: db)
        }) else { return PruneBatch(deleted: 0, resumeAfter: nil) }
        let (deleted, folded) = try await write(.bulk) { db in
            try Retention.pruneReadings(from: range.lower, through: range.upper, before: cutoffMillis, zone: zone, in: db)
        }
        var batch = PruneBatch(deleted: deleted, resumeAfter: range.isLast ? nil : range.upper)
        batch.folded = folded
        return batch
    }

    /// One batch of outbox retention: deletes up to `limit` rows delivered before `cutoff`;
    /// `resumeAfter` is non-nil (0) while a full batch was deleted (there may be more).
    public func pruneDeliveredOutbox(before cutoff: Date, limit: Int = 1000) async throws -> PruneBatch {
        let cutoffMillis = StoredInstant.millis(cutoff)
        let limit = max(1, limit)
        let deleted = try await write(.bulk) { db in try Retention.pruneOutbox(before: cutoffMillis, limit: limit, in: db) }
        return PruneBatch(deleted: deleted, resumeAfter: deleted == limit ? 0 : nil)
    }

    /// Rows in the readings table, and the database's size in bytes (pages in use and free).
    public func storageFigures() async throws -> StorageFigures {
        try await writer.read { db in
            let readings = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reading") ?? 0
            guard db.engine == .sqlite else {
                // PostgreSQL reuses dead rows' space after its autovacuum; what it holds is the database's size.
                let bytes = try Int.fetchOne(db, sql: "SELECT pg_database_size(current_database())") ?? 0
                return StorageFigures(readings: readings, bytes: bytes, freeBytes: 0)
            }
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return StorageFigures(readings: readings, bytes: pages * pageSize, freeBytes: free * pageSize)
        }
    }
}

/// How large the database is.
public struct StorageFigures: Sendable, Hashable {
    public let readings: Int
    /// The file's size in pages (`page_count × page_size`).
    public let bytes: Int
    /// Of which free pages, reused by later inserts before the file grows.
    public let freeBytes: Int
}
