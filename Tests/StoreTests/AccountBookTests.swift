import ChargeControl
import Foundation
import GRDB
import Tariffs
import Testing
@testable import Store

/// The account book (issue 15): readings leave the account row behind, a restart replays what
/// the rows lack, the rows are written behind in key order, and rows other writes change are
/// read again. On real SQLite files.
@Suite struct AccountBookTests {
    static func reading(_ minutes: Int, total: Int64) -> MeterReading {
        MeterReading(collectedAt: t0.addingTimeInterval(Double(minutes) * 60), meterTime: nil, total: Energy(hundredths: total),
                     registers: PerRegister(sharp: .zero, peak: .zero, flat: Energy(hundredths: total), valley: .zero))
    }

    /// What the evaluator does with a reading that becomes the baseline: the reading row with its
    /// effect (the ledger of its charge), and the book's staging.
    @discardableResult
    static func bill(_ store: StationStore, _ account: String, minutes: Int, total: Int64, charge: String?,
                     position: TierYearPosition? = nil) async throws -> Int64 {
        try await store.bulkTransaction { tx in
            let before = try tx.account(account).balance
            let amount = charge.map(yuan)
            let after = amount.flatMap { before.subtracting($0) } ?? before
            let r = reading(minutes, total: total)
            let effect = StoreTransaction.ReadingEffect(charge: amount, energy: amount.map { _ in Energy(hundredths: 10) },
                                                        balanceAfter: after, position: position)
            let id = try tx.insertReading(r, account: account, abnormal: [], baseline: effect)
            try tx.takeBaseline(id, reading: r, of: account, effect: effect, at: r.collectedAt)
            return id
        }
    }

    static func rowBalance(_ store: StationStore, _ account: String) async throws -> Money? {
        try await store.writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT balance_micro_yuan FROM account WHERE id = ?", arguments: [account]).map(Money.init(microYuan:))
        }
    }

    @Test func readingsLeaveTheRowBehindAndARestartReplaysThem() async throws {
        let (store, path) = try await temporaryStore()
        try await provision(store, opening: "50.00")
        let position = TierYearPosition(yearStart: t0, used: Energy(hundredths: 30))
        try await Self.bill(store, "A1", minutes: 0, total: 100, charge: nil)
        let billed = try await Self.bill(store, "A1", minutes: 15, total: 110, charge: "1.25", position: position)
        // A payment between readings moves the row at once.
        _ = try await store.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("5.00"), channel: .counter,
                                                         paidAt: t0), receivedAt: t0)

        let live = try #require(try await store.account("A1"))
        #expect(live.balance == yuan("53.75") && live.lastReadingID == billed && live.tierYearUsed == Energy(hundredths: 30))
        // The row has the payment, not the charge; a reader outside the writer subtracts it.
        #expect(try await Self.rowBalance(store, "A1") == yuan("55.00"))
        #expect(store.unfoldedAccounts == 1)
        #expect(try await store.verifyBalances().isEmpty)

        // kill -9 now: the next start replays the readings the row lacks.
        try store.close()
        let again = try await reopen(path)
        let replayed = try #require(try await again.account("A1"))
        #expect(replayed == live)
        let (_, baseline) = try await again.transaction { tx in try tx.accountForReading("A1") }
        #expect(baseline == Self.reading(15, total: 110))
        #expect(again.unfoldedAccounts == 1)

        // Written behind: the row receives the readings, and the next start replays nothing.
        #expect(try await again.foldWaitingAccountRows(batch: 10) == 1)
        #expect(again.unfoldedAccounts == 0)
        #expect(try await Self.rowBalance(again, "A1") == yuan("53.75"))
        let foldedThrough = try await again.writer.read { db in try Int64.fetchOne(db, sql: "SELECT folded_through FROM account_book") }
        #expect(foldedThrough == billed)
        try again.close()
        let third = try await reopen(path)
        #expect(third.unfoldedAccounts == 0)
        #expect(try await third.account("A1") == live)
        #expect(try await third.verifyBalances().isEmpty)
    }

    @Test func rowsAreWrittenInKeyOrderAndTheWatermarkStopsAtTheFirstUnfolded() async throws {
        let (store, _) = try await temporaryStore()
        for n in 1...5 { try await provision(store, account: "A\(n)", meter: String(format: "%012d", n)) }
        var first: [String: Int64] = [:]
        for n in [3, 1, 5, 2, 4] { first["A\(n)"] = try await Self.bill(store, "A\(n)", minutes: 0, total: 100, charge: nil) }
        #expect(store.unfoldedAccounts == 5)
        // Two rows a write: A1 and A2 first, whatever order their readings came in.
        #expect(try await store.foldAccountRows(limit: 2) == 2)
        let rows = try await store.writer.read { db in
            try SQLRow.fetchAll(db, sql: "SELECT id, charged_through FROM account ORDER BY id").map { ($0[0] as String, $0[1] as Int64) }
        }
        #expect(rows.filter { $0.1 > 0 }.map(\.0) == ["A1", "A2"])
        // The first reading still unfolded is A3's, the first one taken: nothing before it.
        let foldedThrough = try await store.writer.read { db in try Int64.fetchOne(db, sql: "SELECT folded_through FROM account_book") }
        #expect(foldedThrough == (first["A3"] ?? 0) - 1)
        #expect(store.unfoldedAccounts == 3)
    }

    @Test func aRolledBackSavepointLeavesTheBookAsItWas() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store, opening: "50.00")
        try await Self.bill(store, "A1", minutes: 0, total: 100, charge: nil)
        struct Refused: Error {}
        let balance = try await store.bulkTransaction { tx -> Money in
            _ = try? tx.savepoint {
                let r = Self.reading(15, total: 120)
                let id = try tx.insertReading(r, account: "A1", abnormal: [])
                try tx.takeBaseline(id, reading: r, of: "A1",
                                    effect: .init(charge: yuan("3.00"), energy: nil, balanceAfter: yuan("47.00"), position: nil),
                                    at: r.collectedAt)
                #expect(try tx.account("A1").balance == yuan("47.00"))
                throw Refused()
            }
            return try tx.account("A1").balance
        }
        #expect(balance == yuan("50.00"))
        #expect(try await store.account("A1")?.balance == yuan("50.00"))
        #expect(try await store.verifyBalances().isEmpty)
    }

    @Test func aRowChangedByAnotherWriteIsReadAgainWithItsUnfoldedReadings() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store, opening: "50.00")
        try await Self.bill(store, "A1", minutes: 0, total: 100, charge: nil)
        try await Self.bill(store, "A1", minutes: 15, total: 110, charge: "2.00")
        // Written around the store's API (a bulk load, a hand edit): the trigger tells the book.
        try await store.writer.write { db in
            try db.execute(sql: "UPDATE account SET trip_micro_yuan = 1000000, region = 'south' WHERE id = 'A1'")
        }
        #expect(try await store.account("A1")?.region == "south")
        let inWrite = try await store.transaction { tx in try tx.account("A1") }
        #expect(inWrite.region == "south" && inWrite.tripThreshold == yuan("1.00") && inWrite.balance == yuan("48.00"))
        #expect(try await store.account("A1") == inWrite)
    }

    /// The reading row is the ledger of its charge: the account's ledger, its spend, the lowest
    /// balance after a payment and retention all read it there.
    @Test func readingChargesAreTheLedgersCharges() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store, opening: "50.00")
        try await Self.bill(store, "A1", minutes: 0, total: 100, charge: nil)
        let first = try await Self.bill(store, "A1", minutes: 15, total: 110, charge: "1.25")
        _ = try await store.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("5.00"), channel: .counter,
                                                         paidAt: t0), receivedAt: t0.addingTimeInterval(20 * 60))
        try await Self.bill(store, "A1", minutes: 30, total: 120, charge: "0.75")
        try await Self.bill(store, "A1", minutes: 45, total: 130, charge: "2.00")

        let ledger = try await store.ledger(account: "A1")
        #expect(ledger.map(\.kind) == [.opening, .charge, .payment, .charge, .charge])
        #expect(ledger[1].amount == yuan("1.25") && ledger[1].reference == "reading \(first): 0.10 kWh")
        #expect(try Ledger.balance(replaying: ledger) == yuan("51.00"))
        #expect(try await store.account("A1")?.balance == yuan("51.00"))
        #expect(try await store.verifyBalances().isEmpty)
        // Spend over the last three charges, the first one's interval left out: 0.75 + 2.00.
        let spend = try #require(try await store.recentSpend(account: "A1", since: t0))
        #expect(spend.charge == yuan("2.75") && spend.from == t0.addingTimeInterval(15 * 60) && spend.to == t0.addingTimeInterval(45 * 60))
        // After the payment (55.75 - the charges booked after it, collected by 30 minutes).
        #expect(try await store.lowestBalance(afterPayment: "P1", throughMillis: StoredInstant.millis(t0.addingTimeInterval(30 * 60)))
                == yuan("53.00"))

        // Retention deletes the billed readings (the newest stays): their charges go into one
        // ledger entry for the day, and every sum stays.
        try await store.foldWaitingAccountRows(batch: 10)
        let pruned = try await store.pruneReadings(before: t0.addingTimeInterval(40 * 60), limit: 100, zone: TimeZone(identifier: "UTC") ?? .current)
        #expect(pruned.deleted == 3)
        let after = try await store.ledger(account: "A1")
        // At the day's last folded charge (30 minutes), after the payment (20).
        #expect(after.map(\.kind) == [.opening, .payment, .charge, .charge])
        #expect(after[2].amount == yuan("2.00") && after[2].reference.hasPrefix("2 charges of "))
        #expect(try Ledger.balance(replaying: after) == yuan("51.00"))
        #expect(try await store.verifyBalances().isEmpty)
    }

    /// `/metrics` and `/v1/stats` read the book's totals (no pass over the table per scrape):
    /// they equal what the rows, with the charges they lack, give.
    @Test func totalsFollowEveryChangeAndEqualTheRows() async throws {
        let (store, path) = try await temporaryStore()
        try await provision(store, account: "A1", meter: "000000000001", opening: "50.00")
        try await provision(store, account: "A2", meter: "000000000002", opening: "3.00")
        try await Self.bill(store, "A1", minutes: 0, total: 100, charge: nil)
        try await Self.bill(store, "A1", minutes: 15, total: 110, charge: "1.25")
        try await Self.bill(store, "A2", minutes: 0, total: 100, charge: nil)
        try await Self.bill(store, "A2", minutes: 15, total: 150, charge: "2.50")
        _ = try await store.transaction { tx in
            try tx.setControlState(account: "A2", state: .alarm, meter: nil, at: t0)
        }
        // A row changed around the store's API is counted once the book reads it again.
        try await store.transaction { tx in _ = try tx.account("A1") }
        let live = try await store.statistics(region: "north")
        #expect(live.accounts == 2 && live.accountsByState == ["normal": 1, "alarm": 1])
        #expect(live.totalBalance == yuan("49.25") && live.consumption == Energy(hundredths: 20))
        let figures = try await store.metricsFigures(defaultAlarm: yuan("1.00"), defaultTrip: .zero, at: t0)
        #expect(figures.accountsAtOrBelowAlarm == 1 && figures.accountsAtOrBelowTrip == 0)
        // Other defaults (a reload) are counted anew.
        #expect(try await store.metricsFigures(defaultAlarm: yuan("60.00"), defaultTrip: yuan("1.00"), at: t0).accountsAtOrBelowAlarm == 2)

        // The same figures from the rows (a store opened read-only has no book).
        try store.close()
        let rows = try await reopenReadOnly(path)
        let fromRows = try await rows.statistics(region: "north")
        #expect(fromRows.accounts == live.accounts && fromRows.accountsByState == live.accountsByState)
        #expect(fromRows.totalBalance == live.totalBalance && fromRows.consumption == live.consumption)
        let rowFigures = try await rows.metricsFigures(defaultAlarm: yuan("1.00"), defaultTrip: .zero, at: t0)
        #expect(rowFigures.accountsAtOrBelowAlarm == 1 && rowFigures.accountsAtOrBelowTrip == 0)
    }

    @Test func manyRowsAreFoldedAFewStatementsAWriteAndAWaitingPaymentCutsTheWriteShort() async throws {
        let (store, path) = try await temporaryStore()
        let count = AccountBook.foldedPerStatement * 2 + 50
        for n in 1...count { try await provision(store, account: "A\(n)", meter: String(format: "%012d", n)) }
        for n in 1...count { try await Self.bill(store, "A\(n)", minutes: 0, total: 100, charge: "0.0\(n % 10)") }
        let live = try await store.allAccounts()
        #expect(store.unfoldedAccounts == count)

        // A write told to yield stops after its first statement.
        let book = try #require(store.book)
        let ids = book.unfoldedIDs()
        let cut = try await store.write(.bulk) { db in try book.foldIntoRows(ids, in: db, yield: { true }) }
        #expect(cut.written == AccountBook.foldedPerStatement && cut.consumed < ids.count)
        #expect(store.unfoldedAccounts == count - AccountBook.foldedPerStatement)

        // The rest in one write of three statements; every row then equals the book.
        #expect(try await store.foldWaitingAccountRows(batch: 10_000) == count - AccountBook.foldedPerStatement)
        #expect(store.unfoldedAccounts == 0)
        for account in live { #expect(try await Self.rowBalance(store, account.id) == account.balance) }
        #expect(try await store.verifyBalances().isEmpty)
        try store.close()
        let again = try await reopen(path)
        #expect(try await again.allAccounts() == live)
    }
}
