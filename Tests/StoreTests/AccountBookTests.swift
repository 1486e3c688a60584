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
    /// effect, the charge's ledger entry, and the book's staging.
    @discardableResult
    static func bill(_ store: StationStore, _ account: String, minutes: Int, total: Int64, charge: String?,
                     position: TierYearPosition? = nil) async throws -> Int64 {
        try await store.bulkTransaction { tx in
            let before = try tx.account(account).balance
            let amount = charge.map(yuan)
            let after = amount.flatMap { before.subtracting($0) } ?? before
            let r = reading(minutes, total: total)
            let id = try tx.insertReading(r, account: account, abnormal: [],
                                          baseline: .init(charge: amount, energy: amount.map { _ in Energy(hundredths: 10) },
                                                          balanceAfter: after, position: position))
            var effect = Money.zero
            if let amount {
                effect = try tx.insertChargeEntry(account: account, amount: amount, energy: Energy(hundredths: 10), readingID: id,
                                                  reference: "reading \(id)", at: r.collectedAt)
            }
            try tx.takeBaseline(id, reading: r, of: account, effect: effect, position: position, at: r.collectedAt)
            return id
        }
    }

    static func rowBalance(_ store: StationStore, _ account: String) async throws -> Money? {
        try await store.writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT balance_micro_yuan FROM account WHERE id = ?", arguments: [account]).map(Money.init(microYuan:))
        }
    }

    @Test func readingsLeaveTheRowBehindAndARestartReplaysThem() async throws {
        let (store, path) = try temporaryStore()
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
        let again = try StationStore.open(path: path)
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
        let third = try StationStore.open(path: path)
        #expect(third.unfoldedAccounts == 0)
        #expect(try await third.account("A1") == live)
        #expect(try await third.verifyBalances().isEmpty)
    }

    @Test func rowsAreWrittenInKeyOrderAndTheWatermarkStopsAtTheFirstUnfolded() async throws {
        let (store, _) = try temporaryStore()
        for n in 1...5 { try await provision(store, account: "A\(n)", meter: String(format: "%012d", n)) }
        var first: [String: Int64] = [:]
        for n in [3, 1, 5, 2, 4] { first["A\(n)"] = try await Self.bill(store, "A\(n)", minutes: 0, total: 100, charge: nil) }
        #expect(store.unfoldedAccounts == 5)
        // Two rows a write: A1 and A2 first, whatever order their readings came in.
        #expect(try await store.foldAccountRows(limit: 2) == 2)
        let rows = try await store.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, charged_through FROM account ORDER BY id").map { ($0[0] as String, $0[1] as Int64) }
        }
        #expect(rows.filter { $0.1 > 0 }.map(\.0) == ["A1", "A2"])
        // The first reading still unfolded is A3's, the first one taken: nothing before it.
        let foldedThrough = try await store.writer.read { db in try Int64.fetchOne(db, sql: "SELECT folded_through FROM account_book") }
        #expect(foldedThrough == (first["A3"] ?? 0) - 1)
        #expect(store.unfoldedAccounts == 3)
    }

    @Test func aRolledBackSavepointLeavesTheBookAsItWas() async throws {
        let (store, _) = try temporaryStore()
        try await provision(store, opening: "50.00")
        try await Self.bill(store, "A1", minutes: 0, total: 100, charge: nil)
        struct Refused: Error {}
        let balance = try await store.bulkTransaction { tx -> Money in
            _ = try? tx.savepoint {
                let r = Self.reading(15, total: 120)
                let id = try tx.insertReading(r, account: "A1", abnormal: [])
                try tx.takeBaseline(id, reading: r, of: "A1", effect: yuan("-3.00"), position: nil, at: r.collectedAt)
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
        let (store, _) = try temporaryStore()
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
}
