import ChargeControl
import Foundation
import GRDB
import Tariffs
import Testing
@testable import Store

/// Retention removes exactly what it should: readings older than the cutoff but an account's
/// baseline, the readings review items name and the newest reading; delivered outbox rows older
/// than their cutoff but never an undelivered one; the ledger and the audit trail stay whole.
@Suite("Store: retention")
struct RetentionTests {
    static func flat(_ hundredths: Int64, at date: Date) -> MeterReading {
        let e = Energy(hundredths: hundredths)
        return MeterReading(collectedAt: date, total: e, registers: PerRegister(sharp: .zero, peak: .zero, flat: e, valley: .zero))
    }

    /// The readings a test stores, by what retention must do with them.
    struct Readings {
        var idleBaseline: Int64 = 0
        var billed: [Int64] = []
        var baseline: Int64 = 0
        var reviewed: Int64 = 0
        var newest: Int64 = 0
    }

    /// A2 read once at t0 (its baseline, never read again); A1 read every minute from t0 + 1 min,
    /// each reading after the first billed 0.10 yuan, the last one its baseline; then an abnormal
    /// reading with a review item and a newest reading no account uses, both 30 minutes later.
    static func fill(_ store: StationStore) async throws -> Readings {
        try await provision(store)
        try await provision(store, account: "A2", meter: "000000000002")
        return try await store.transaction { tx in
            var r = Readings()
            r.idleBaseline = try tx.insertReading(flat(0, at: t0), account: "A2", abnormal: [])
            for minute in 1...10 {
                let id = try tx.insertReading(flat(Int64(minute) * 10, at: t0.addingTimeInterval(Double(minute) * 60)), account: "A1", abnormal: [])
                if minute > 1 {
                    _ = try tx.postCharge(account: "A1", amount: yuan("0.10"), energy: Energy(hundredths: 10), readingID: id,
                                          reference: "reading \(id): 0.10 kWh", at: t0.addingTimeInterval(Double(minute) * 60))
                }
                r.billed.append(id)
            }
            r.baseline = r.billed.removeLast()
            r.reviewed = try tx.insertReading(flat(99_999, at: t0.addingTimeInterval(1800)), account: "A1", abnormal: [.duplicate])
            _ = try tx.openReadingReview(account: "A1", meter: "000000000001", readingID: r.reviewed, reason: "test", at: t0)
            r.newest = try tx.insertReading(flat(99_999, at: t0.addingTimeInterval(1800)), account: "A1", abnormal: [.duplicate])
            try tx.db.execute(sql: "UPDATE account SET last_reading_id = ? WHERE id = 'A2'", arguments: [r.idleBaseline])
            try tx.db.execute(sql: "UPDATE account SET last_reading_id = ? WHERE id = 'A1'", arguments: [r.baseline])
            return r
        }
    }

    static func readingIDs(_ store: StationStore) async throws -> [Int64] {
        try await store.writer.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM reading ORDER BY id") }
    }

    /// Every batch until `resumeAfter` is nil; returns the rows deleted and the batches taken.
    static func pruneAll(_ store: StationStore, before cutoff: Date, limit: Int) async throws -> (deleted: Int, batches: Int) {
        var cursor: Int64? = 0
        var deleted = 0
        var batches = 0
        while let after = cursor {
            let batch = try await store.pruneReadings(before: cutoff, after: after, limit: limit)
            deleted += batch.deleted
            batches += 1
            cursor = batch.resumeAfter
        }
        return (deleted, batches)
    }

    @Test func oldReadingsGoButBaselinesReviewedAndNewestStay() async throws {
        let (store, path) = try await temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let r = try await Self.fill(store)
        let ledgerBefore = try await store.ledger(account: "A1")
        let auditBefore = try await store.verifyAudit()
        let balanceBefore = try #require(try await store.account("A1")).balance

        // Everything is older than the cutoff; batches of 3 rows.
        let (deleted, batches) = try await Self.pruneAll(store, before: t0.addingTimeInterval(86_400), limit: 3)
        #expect(deleted == r.billed.count)
        #expect(batches > 1)
        #expect(try await Self.readingIDs(store) == [r.idleBaseline, r.baseline, r.reviewed, r.newest])

        // The ledger's money is whole: the charges of deleted readings (minutes 2…9, one day)
        // fold into one entry with their sum; the baseline's charge still names its reading.
        let after = try await store.ledger(account: "A1")
        let sum: (([LedgerEntry]) -> Int64) = { $0.filter { $0.kind == .charge }.map(\.amount.microYuan).reduce(0, +) }
        #expect(sum(after) == sum(ledgerBefore))
        #expect(after.filter { $0.kind == .charge }.count == 2, "\(after)")
        #expect(try await store.verifyBalances().isEmpty)
        #expect(try #require(try await store.account("A1")).balance == balanceBefore)
        let links = try await store.writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT reading_id FROM ledger WHERE kind = 'charge' AND reading_id IS NOT NULL")
        }
        #expect(links == [r.baseline], "only the kept baseline's charge still names its reading")
        // The audit trail is untouched.
        let auditAfter = try await store.verifyAudit()
        #expect(auditAfter == auditBefore && auditAfter.isIntact)
        // A second run finds nothing more.
        #expect(try await Self.pruneAll(store, before: t0.addingTimeInterval(86_400), limit: 3).deleted == 0)
    }

    @Test func onlyReadingsBeforeTheCutoffGo() async throws {
        let (store, path) = try await temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let r = try await Self.fill(store)
        // Readings of minutes 1...4 are older than t0 + 4.5 min; minute 5 on stays.
        let (deleted, _) = try await Self.pruneAll(store, before: t0.addingTimeInterval(270), limit: 1000)
        #expect(deleted == 4)
        #expect(try await Self.readingIDs(store) == [r.idleBaseline] + r.billed.dropFirst(4) + [r.baseline, r.reviewed, r.newest])
        let linked = try await store.writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT reading_id FROM ledger WHERE reading_id IS NOT NULL ORDER BY reading_id")
        }
        // Charges start at minute 2: those of minutes 5... still name their readings.
        #expect(linked == Array(r.billed.dropFirst(4)) + [r.baseline])
    }

    @Test func deliveredOutboxRowsGoUndeliveredStay() async throws {
        let (store, path) = try await temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        func add(_ key: String, at date: Date) async throws -> Int64 {
            try await store.writer.write { db in
                _ = try Outbox.add(OutboxEntry(eventKey: key, event: "alarm", accountID: "A1", payload: "{}"), at: date, in: db)
                return try db.lastInsertedRowID
            }
        }
        let day: TimeInterval = 86_400
        var old: [Int64] = []
        for n in 0..<5 { old.append(try await add("old-\(n)", at: t0)) }
        let recent = try await add("recent", at: t0)
        let never = try await add("never", at: t0.addingTimeInterval(-100 * day))
        for id in old { #expect(try await store.markNotificationDelivered(id, at: t0.addingTimeInterval(day))) }
        #expect(try await store.markNotificationDelivered(recent, at: t0.addingTimeInterval(20 * day)))

        let cutoff = t0.addingTimeInterval(10 * day)
        let first = try await store.pruneDeliveredOutbox(before: cutoff, limit: 3)
        #expect(first.deleted == 3 && first.resumeAfter != nil)
        let second = try await store.pruneDeliveredOutbox(before: cutoff, limit: 3)
        #expect(second.deleted == 2 && second.resumeAfter == nil)
        let left = try await store.notifications().map(\.eventKey).sorted()
        #expect(left == ["never", "recent"])
        #expect(try await store.outboxCounts().undelivered == 1)
        _ = never
    }

    /// Each delete checks the ledger and review items through the v14 indexes, not by a scan.
    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func theForeignKeyLookupsUseTheV14Indexes() async throws {
        let store = try await testStore()
        let plans = try await store.writer.read { db in
            try ["ledger", "review_item"].map { table in
                try SQLRow.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT 1 FROM \(table) WHERE reading_id = 5").map { row -> String in row["detail"] }
            }
        }
        #expect(plans[0].joined().contains("ledger_reading"), "\(plans[0])")
        #expect(plans[1].joined().contains("review_reading"), "\(plans[1])")
    }
}
