import ChargeControl
import Foundation
import GRDB
import Tariffs
import Testing
@testable import Store

/// A stored value that cannot be read as its type (issue 17): GRDB's subscripts trapped on it
/// and took the daemon down (a REAL balance of 9.22e18, then a systemd crash loop). Each read
/// now throws `StoreError.undecodableRow` naming the table, the row and the column, and the
/// other rows still read. Values are corrupted by raw SQL on a real SQLite file.
@Suite struct UndecodableRowTests {
    /// A value no Int64 holds: SQLite keeps it as a REAL even in an INTEGER column.
    static let tooLarge = "9.3e18"

    /// Accounts A1 and A2 (meters …01 and …02) with 50.00 yuan each.
    func twoAccounts() async throws -> StationStore {
        let (store, _) = try await temporaryStore()
        try await provision(store, account: "A1", meter: "000000000001")
        try await provision(store, account: "A2", meter: "000000000002")
        return store
    }

    /// Runs `sql` around the store's API, as a bad migration or a hand edit would.
    func corrupt(_ store: StationStore, _ sql: String, _ arguments: SQLArguments = []) async throws {
        try await store.writer.write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    /// The table, key and problem `read` reported; an issue when it did not throw `undecodableRow`.
    func undecodable(_ read: () async throws -> Void,
                     sourceLocation: SourceLocation = #_sourceLocation) async -> (table: String, key: String, problem: String)? {
        do {
            try await read()
            Issue.record("the read succeeded", sourceLocation: sourceLocation)
        } catch StoreError.undecodableRow(let table, let key, let problem) {
            return (table, key, problem)
        } catch {
            Issue.record("expected StoreError.undecodableRow, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// A1 still reads in full, alone and in its ingest read.
    func healthyA1(_ store: StationStore, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let a1 = try #require(try await store.account("A1"), sourceLocation: sourceLocation)
        #expect(a1.balance == yuan("50.00"), sourceLocation: sourceLocation)
        let (ingest, _) = try await store.transaction { tx in try tx.accountForReading("A1") }
        #expect(ingest == a1, sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func aRealWhereAnIntegerBelongsNamesTheAccountAndColumn() async throws {
        let store = try await twoAccounts()
        try await corrupt(store, "UPDATE account SET tier_year_used_hundredths = \(Self.tooLarge) WHERE id = 'A2'")

        let problem = try #require(await undecodable { _ = try await store.account("A2") })
        #expect(problem.table == "account" && problem.key == "A2")
        #expect(problem.problem.contains("tier_year_used_hundredths") && problem.problem.contains("9.3e+18"), "\(problem)")
        // GRDB's message without the whole row and SQL it appends.
        #expect(!problem.problem.contains("row:") && !problem.problem.contains("SELECT"), "\(problem)")
        let error = StoreError.undecodableRow(table: problem.table, key: problem.key, problem: problem.problem)
        #expect(error.description.hasPrefix("stored account \"A2\" cannot be read: could not decode Int64"), "\(error)")

        // The ingest read (by position) and the start-up load fail the same way.
        #expect(await undecodable { _ = try await store.transaction { tx in try tx.accountForReading("A2") } }?.key == "A2")
        #expect(await undecodable { _ = try await store.allAccounts() }?.key == "A2")
        try await healthyA1(store)
    }

    /// The reported crash: a balance that left Int64 stored as a REAL. A guard trigger may refuse
    /// such an UPDATE; it is dropped here, since the point is what a read does with one that got in.
    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func aBalanceBeyondInt64IsAnErrorNotATrap() async throws {
        let store = try await twoAccounts()
        try await store.writer.write { db in
            for name in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'account'") {
                try db.execute(sql: "DROP TRIGGER IF EXISTS \"\(name)\"")
            }
        }
        try await corrupt(store, "UPDATE account SET balance_micro_yuan = \(Self.tooLarge) WHERE id = 'A2'")

        let problem = try #require(await undecodable { _ = try await store.transaction { tx in try tx.accountForReading("A2") } })
        #expect(problem.key == "A2" && problem.problem.contains("balance_micro_yuan"), "\(problem)")
        #expect(await undecodable { _ = try await store.verifyBalances() }?.key == "A2")
        try await healthyA1(store)
    }

    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func textInANumberOrFlagColumnIsAnError() async throws {
        let store = try await twoAccounts()
        let cases = [("last_reading_at", "'garbage'", "NULL"), ("alarm_micro_yuan", "'1,000'", "NULL"), ("is_protected", "'yes'", "0")]
        for (column, value, restored) in cases {
            try await corrupt(store, "UPDATE account SET \(column) = \(value) WHERE id = 'A2'")
            let problem = try #require(await undecodable { _ = try await store.account("A2") })
            #expect(problem.key == "A2" && problem.problem.contains(column), "\(problem)")
            try await corrupt(store, "UPDATE account SET \(column) = \(restored) WHERE id = 'A2'")
        }
        #expect(try await store.account("A2") != nil)
        try await healthyA1(store)
    }

    /// An unknown control state used to read as `normal`: the policy would have acted on it.
    @Test func anUnknownAccountStateIsAnErrorNotNormal() async throws {
        let store = try await twoAccounts()
        try await corrupt(store, "UPDATE account SET state = 'bogus' WHERE id = 'A2'")
        let problem = try #require(await undecodable { _ = try await store.account("A2") })
        #expect(problem.problem.contains("AccountControlState") && problem.problem.contains("bogus"), "\(problem)")
        try await healthyA1(store)
    }

    /// The baseline is part of the ingest read (the account row keeps a copy of its registers,
    /// schema v15): a bad one names the account and the column, at the next start.
    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func anUnreadableBaselineNamesTheAccountAndColumn() async throws {
        let (first, path) = try await temporaryStore()
        try await provision(first, account: "A1", meter: "000000000001")
        try await provision(first, account: "A2", meter: "000000000002")
        let readingID = try await first.transaction { tx in
            let reading = MeterReading(collectedAt: t0, meterTime: nil, total: Energy(hundredths: 100),
                                       registers: PerRegister(sharp: .zero, peak: .zero, flat: .zero, valley: Energy(hundredths: 100)))
            let id = try tx.insertReading(reading, account: "A2", abnormal: [])
            try tx.updateAccount("A2", state: .normal, meter: nil, accepted: .init(id: id, at: t0, position: nil), at: t0)
            return id
        }
        try await corrupt(first, "UPDATE account SET baseline_total_hundredths = 'garbage' WHERE id = 'A2'")
        // The running book holds the baseline it read; a start reads it from the file.
        try first.close()
        let store = try await reopen(path)
        let problem = try #require(await undecodable { _ = try await store.transaction { tx in try tx.accountForReading("A2") } })
        #expect(problem.table == "account" && problem.key == "A2" && problem.problem.contains("baseline_total_hundredths"),
                "\(problem)")
        // The account alone still reads: only the ingest read needs the baseline.
        #expect(try await store.account("A2")?.lastReadingID == readingID)
        try await healthyA1(store)
    }

    /// An unknown kind used to read as `alarm`: a corrupt trip would have been sent as an alarm.
    @Test func anUnknownCommandKindIsAnErrorNotAnAlarm() async throws {
        let store = try await twoAccounts()
        let (bad, good) = try await store.writer.write { db in
            try (CommandQueue.enqueue(planned(.trip), account: "A2", meter: "000000000002", deadline: t0.addingTimeInterval(3600),
                                      at: t0, in: db),
                 CommandQueue.enqueue(planned(.trip), account: "A1", meter: "000000000001", deadline: t0.addingTimeInterval(3600),
                                      at: t0, in: db))
        }
        try await corrupt(store, "UPDATE command SET kind = 'bogus' WHERE id = ?", [bad])

        let problem = try #require(await undecodable { _ = try await store.command(bad) })
        #expect(problem.table == "command" && problem.key == "\(bad)", "\(problem)")
        #expect(problem.problem.contains("CommandKind") && problem.problem.contains("bogus"), "\(problem)")
        #expect(await undecodable { _ = try await store.commands(account: "A2") }?.key == "\(bad)")
        #expect(await undecodable { _ = try await store.dueCommands(at: t0) }?.key == "\(bad)")
        #expect(try await store.command(good).kind == .trip)
        #expect(try await store.commands(account: "A1").map(\.id) == [good])
        try await healthyA1(store)

        // The dispatcher's read does not stall on it: the row goes to job review, named, and
        // the other meter's command is dispatched.
        let (due, quarantined) = try await store.dispatchable(at: t0)
        #expect(due.map(\.id) == [good])
        #expect(quarantined.map(\.id) == [bad] && quarantined.first?.problem.contains("bogus") == true, "\(quarantined)")
        let state = try await store.writer.read { db in
            try String.fetchOne(db, sql: "SELECT state FROM command WHERE id = ?", arguments: [bad])
        }
        #expect(state == "review")
        let items = try await store.openReviewItems()
        #expect(items.map(\.commandID) == [bad] && items.first?.accountID == "A2", "\(items)")
        #expect(items.first?.reason.contains("cannot be read") == true)
        #expect(try await store.dispatchable(at: t0).quarantined.isEmpty, "once")
        // A new decision for that meter looks at its waiting commands: the unreadable one is
        // passed over (it supersedes nothing), so a payment's allow-close still gets queued and sent.
        let allowClose = try await store.writer.write { db in
            try CommandQueue.enqueue(planned(.allowClose), account: "A2", meter: "000000000002",
                                     deadline: t0.addingTimeInterval(3600), at: t0, in: db)
        }
        #expect(try await store.dispatchable(at: t0).commands.map(\.id).contains(allowClose))
        // Its review item: retry and resolve need a command someone can read; cancel drops it.
        let item = try #require(items.first)
        #expect(await undecodable {
            _ = try await store.act(onReview: item.id, .retry, note: "again", newDeadline: t0.addingTimeInterval(3600), at: t0)
        }?.problem.contains("only cancel applies") == true)
        let cancelled = try await store.act(onReview: item.id, .cancel, note: "unknown kind: dropped", newDeadline: t0, at: t0)
        #expect(cancelled.state == .cancelled)
        let after = try await store.writer.read { db in
            try String.fetchOne(db, sql: "SELECT state FROM command WHERE id = ?", arguments: [bad])
        }
        #expect(after == "cancelled")
        #expect(try await store.openReviewItems().isEmpty)
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test func anUnknownPaymentChannelIsAnErrorNotCounter() async throws {
        let store = try await twoAccounts()
        for (order, account) in [("ORD-1", "A1"), ("ORD-2", "A2")] {
            _ = try await store.recordPayment(PaymentRequest(orderNo: order, accountID: account, amount: yuan("10.00"),
                                                             channel: .onlineBank, paidAt: t0), receivedAt: t0)
        }
        try await corrupt(store, "UPDATE payment SET channel = 'carrier pigeon' WHERE order_no = 'ORD-2'")
        let problem = try #require(await undecodable { _ = try await store.payment(orderNo: "ORD-2") })
        #expect(problem.table == "payment" && problem.key == "ORD-2" && problem.problem.contains("channel"), "\(problem)")
        #expect(try await store.payment(orderNo: "ORD-1")?.channel == .onlineBank)
    }

    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func anUnreadableLedgerEntryNamesIt() async throws {
        let store = try await twoAccounts()
        let entry = try #require(try await store.writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM ledger WHERE account_id = 'A2'")
        })
        try await corrupt(store, "UPDATE ledger SET at = 'yesterday' WHERE id = ?", [entry])
        let problem = try #require(await undecodable { _ = try await store.ledger(account: "A2") })
        #expect(problem.table == "ledger" && problem.key == "\(entry)" && problem.problem.contains("\"at\""), "\(problem)")
        #expect(try await store.ledger(account: "A1").count == 1)
    }

    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func anUnreadableNotificationOrReviewItemNamesIt() async throws {
        let store = try await twoAccounts()
        let (outbox, review) = try await store.writer.write { db in
            _ = try Outbox.add(OutboxEntry(eventKey: "alarm:A2", event: "alarm", accountID: "A2", payload: "{}"), at: t0, in: db)
            return try (db.lastInsertedRowID,
                        ReviewQueue.open(kind: .reading, account: "A2", meter: "000000000002", commandID: nil, readingID: nil,
                                         reason: "test", at: t0, in: db))
        }
        try await corrupt(store, "UPDATE outbox SET attempts = \(Self.tooLarge) WHERE id = ?", [outbox])
        try await corrupt(store, "UPDATE review_item SET opened_at = 'soon' WHERE id = ?", [review])

        let notification = try #require(await undecodable { _ = try await store.notifications() })
        #expect(notification.table == "outbox" && notification.key == "\(outbox)" && notification.problem.contains("attempts"))
        #expect(await undecodable { _ = try await store.dueNotifications(at: t0) }?.key == "\(outbox)")
        let item = try #require(await undecodable { _ = try await store.reviewItem(review) })
        #expect(item.table == "review_item" && item.key == "\(review)" && item.problem.contains("opened_at"))
        #expect(await undecodable { _ = try await store.openReviewItems() }?.key == "\(review)")
    }

    /// The audit walk reads each row's fields to recompute its hash: a field of the wrong type
    /// breaks the chain at that row (the walk reports it) instead of stopping the walk.
    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func anAuditRowOfTheWrongTypeBreaksTheChainThere() async throws {
        let store = try await twoAccounts()
        #expect(try await store.verifyAudit().isIntact)
        // Appending is allowed (the triggers refuse UPDATE and DELETE only).
        let bad = try await store.writer.write { db in
            let prev = try String.fetchOne(db, sql: "SELECT hash FROM audit ORDER BY id DESC LIMIT 1") ?? AuditTrail.genesis
            try db.execute(sql: """
                INSERT INTO audit (at, event, command_id, detail, prev_hash, hash) VALUES (\(Self.tooLarge), 'x', 'seven', '', ?, 'h')
                """, arguments: [prev])
            return try db.lastInsertedRowID
        }
        #expect(try await store.verifyAudit().firstBrokenID == bad)
    }
}
