import ChargeControl
import Foundation
import GRDB
import Tariffs
import Testing
@testable import Store

/// Abnormal-reading items in the store: the lookup that holds an account, the close that ends
/// it (written once), and the migration that puts accounts the old rule let go back on hold.
@Suite("Store: abnormal-reading review items")
struct ReadingReviewStoreTests {
    static func flat(_ kWh: Int64, at date: Date) -> MeterReading {
        let e = Energy(hundredths: kWh * 100)
        return MeterReading(collectedAt: date, total: e, registers: PerRegister(sharp: .zero, peak: .zero, flat: e, valley: .zero))
    }

    /// An account with a stored abnormal reading and its open item; returns the item's id.
    static func openItem(_ store: StationStore, account: String = "A1") async throws -> (item: Int64, reading: Int64) {
        try await store.transaction { tx in
            let reading = try tx.insertReading(flat(50, at: t0), account: account, abnormal: [.duplicate])
            let item = try tx.openReadingReview(account: account, meter: try tx.account(account).meterAddress, readingID: reading,
                                                reason: "test", at: t0)
            return (item, reading)
        }
    }

    @Test func theOpenItemHoldsItsAccountUntilClosedOnce() async throws {
        let store = try await testStore()
        try await provision(store)
        try await provision(store, account: "A2", meter: "000000000002")
        #expect(try await store.transaction { tx in try tx.readingReviewHolding(account: "A1") } == nil)
        let (item, reading) = try await Self.openItem(store)
        #expect(try await store.transaction { tx in try tx.readingReviewHolding(account: "A1") } == item)
        #expect(try await store.transaction { tx in try tx.readingReviewHolding(account: "A2") } == nil)
        #expect(try await store.transaction { tx in try tx.reading(reading) } == Self.flat(50, at: t0))

        // The command path refuses it: closing a reading item is the evaluation's business.
        await #expect(throws: StoreError.reviewItemKind(item, is: .reading)) {
            _ = try await store.act(onReview: item, .resolve, note: "x", newDeadline: t0, at: t0)
        }
        let closed = try await store.transaction { tx in
            try tx.closeReadingReview(try tx.reviewItem(item), state: .resolved, resolution: .meterReplaced, note: "new meter fitted",
                                      detail: "reading is the new baseline", at: t0.addingTimeInterval(60))
        }
        #expect(closed.state == .resolved && closed.resolution == .meterReplaced && closed.operatorNote == "new meter fitted")
        #expect(closed.closedAt == t0.addingTimeInterval(60))
        #expect(try await store.transaction { tx in try tx.readingReviewHolding(account: "A1") } == nil)
        // A second close (another operator, a retried request) writes nothing.
        await #expect(throws: StoreError.reviewItemClosed(item, state: "resolved")) {
            try await store.transaction { tx in
                _ = try tx.closeReadingReview(closed, state: .cancelled, resolution: nil, note: "late", detail: "", at: t0)
            }
        }
        #expect(try await store.reviewItem(item).resolution == .meterReplaced)
        let audit = try await store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT detail FROM audit WHERE event = 'review' ORDER BY id")
        }
        #expect(audit.last == "review item \(item) resolved (meter_replaced): new meter fitted; reading is the new baseline")
        #expect(try await store.verifyAudit().isIntact)
    }

    /// The lookup runs on every reading of an account on hold: it must use the partial index.
    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func theLookupUsesThePartialIndex() async throws {
        let store = try await testStore()
        let plan = try await store.writer.read { db in
            try SQLRow.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN
                SELECT id FROM review_item WHERE account_id = ? AND state = 'open' AND kind = 'reading' ORDER BY id LIMIT 1
                """, arguments: ["A1"]).map { row -> String in (try? row.decode(String.self, forColumn: "detail")) ?? "" }
        }
        #expect(plan.contains { $0.contains("review_open_reading") }, "\(plan)")
    }

    /// Before v8 a good reading took an account out of `abnormal` with its item still open; the
    /// migration puts such accounts back on hold, and leaves the others alone.
    @Test func migrationPutsAccountsWithOpenItemsBackOnHold() async throws {
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue, upTo: "v7: adjustments")
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO terminal (id, host, port, updated_at) VALUES ('T1', 'h', 1, 0)")
            for (account, meter) in [("A1", "000000000001"), ("A2", "000000000002"), ("A3", "000000000003")] {
                try db.execute(sql: """
                    INSERT INTO account (id, meter_address, terminal_id, tariff, region, state, created_at, updated_at)
                    VALUES (?, ?, 'T1', 'r', 'n', 'normal', 0, 0)
                    """, arguments: [account, meter])
            }
            try db.execute(sql: """
                INSERT INTO review_item (kind, account_id, meter_address, reason, opened_at, state)
                VALUES ('reading', 'A1', '000000000001', 'backwards', 0, 'open'),
                       ('reading', 'A2', '000000000002', 'backwards', 0, 'cancelled'),
                       ('command', 'A3', '000000000003', 'offline', 0, 'open')
                """)
        }
        let store = try StationStore(writer: queue)
        #expect(try await store.account("A1")?.state == .abnormal)
        #expect(try await store.account("A2")?.state == .normal)
        #expect(try await store.account("A3")?.state == .normal)
    }
}
