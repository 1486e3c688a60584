import ChargeControl
import Foundation
import GRDB
import Testing
import Tariffs
@testable import Store

/// Issue 17: no posting takes a balance past ±`AmountBounds.balance`, no amount above
/// `[payments] max_yuan` is recorded, and the database itself refuses a balance that is a REAL
/// or out of bounds. Each refusal writes nothing.
@Suite("Store: balance bounds")
struct BalanceBoundsTests {
    let bound = AmountBounds.balance

    func payment(_ order: String, _ amount: Money, account: String = "A1") -> PaymentRequest {
        PaymentRequest(orderNo: order, accountID: account, amount: amount, channel: .thirdParty, paidAt: t0)
    }

    /// What a refused posting must leave untouched (A1 is the only account).
    func ledgerRows(_ store: StationStore) async throws -> Int {
        try await store.ledger(account: "A1").count
    }

    @Test func paymentsStopAtTheMaximumAndAtTheBalanceBound() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store, opening: "0.00")
        let max = AmountBounds.defaultPayment
        // The maximum itself is accepted; one fen more is refused, naming field and bound.
        guard case .created = try await store.recordPayment(payment("P0", max), receivedAt: t0) else {
            Issue.record("a payment of exactly max_yuan is accepted")
            return
        }
        let above = try #require(max.adding(yuan("0.01")))
        await #expect(throws: AmountOutOfBounds(field: "amount_yuan", value: above.yuanString,
                                                bound: "above 0.00 and at most 10000000.00 yuan ([payments] max_yuan)")) {
            _ = try await store.recordPayment(payment("P-above", above), receivedAt: t0)
        }
        // Up to the balance bound exactly (99 more payments of the maximum), then not one fen more.
        for i in 1..<100 { _ = try await store.recordPayment(payment("P\(i)", max), receivedAt: t0) }
        #expect(try await store.account("A1")?.balance == bound)
        let rows = try await ledgerRows(store)
        await #expect(throws: BalanceOutOfBounds(account: "A1", balance: bound, change: yuan("0.01"))) {
            _ = try await store.recordPayment(payment("P-over", yuan("0.01")), receivedAt: t0)
        }
        #expect(try await ledgerRows(store) == rows, "nothing written")
        #expect(try await store.payment(orderNo: "P-over") == nil)
        #expect(try await store.verifyBalances().isEmpty)
    }

    @Test func aRecordedOrderIsAnsweredWhateverTheMaximumIsNow() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store)
        let first = try await store.recordPayment(payment("P1", yuan("500.00")), receivedAt: t0)
        guard case .created(let receipt) = first else { Issue.record("recorded: \(first)"); return }
        // The operator lowers max_yuan below it: a retry of the same order is still the same payment.
        let again = try await store.recordPayment(payment("P1", yuan("500.00")), receivedAt: t0, maxAmount: yuan("100.00"))
        #expect(again == .duplicate(receipt))
        await #expect(throws: AmountOutOfBounds.self) {
            _ = try await store.recordPayment(payment("P2", yuan("500.00")), receivedAt: t0, maxAmount: yuan("100.00"))
        }
    }

    @Test func adjustmentsAreIdempotentAndBoundedBothWays() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store, opening: "-999999999.00")
        let down = AdjustmentRequest(adjustmentNo: "ADJ1", accountID: "A1", amount: yuan("-1.00"), reason: "meter swap")
        guard case .created(let receipt) = try await store.recordAdjustment(down, receivedAt: t0) else {
            Issue.record("first adjustment recorded")
            return
        }
        #expect(receipt.balanceAfter == Money(microYuan: -bound.microYuan))
        #expect(try await store.recordAdjustment(down, receivedAt: t0) == .duplicate(receipt))
        var other = down
        other.amount = yuan("-2.00")
        #expect(try await store.recordAdjustment(other, receivedAt: t0) == .conflict(existing: receipt))
        let rows = try await ledgerRows(store)
        await #expect(throws: BalanceOutOfBounds.self) {
            _ = try await store.recordAdjustment(AdjustmentRequest(adjustmentNo: "ADJ2", accountID: "A1", amount: yuan("-0.01"),
                                                                   reason: "one fen too far"), receivedAt: t0)
        }
        await #expect(throws: AmountOutOfBounds.self) {
            _ = try await store.recordAdjustment(AdjustmentRequest(adjustmentNo: "ADJ3", accountID: "A1", amount: yuan("10000000.01"),
                                                                   reason: "above max_yuan"), receivedAt: t0)
        }
        #expect(try await ledgerRows(store) == rows)
        #expect(try await store.verifyBalances().isEmpty)
    }

    @Test func openingBalancesAndThresholdsOutOfBoundsAreNotWritten() async throws {
        let (store, _) = try await temporaryStore()
        try await store.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100), at: t0)
        func open(_ opening: Money?, alarm: Money? = nil, trip: Money? = nil) async throws {
            _ = try await store.upsertAccount(id: "A1", meterAddress: "000000000001", terminalID: "T1", tariff: "residential",
                                              region: "north", alarmThreshold: alarm, tripThreshold: trip, isProtected: false,
                                              openingBalance: opening, at: t0)
        }
        for bad in [Money(microYuan: bound.microYuan + 1), Money(microYuan: -bound.microYuan - 10_000), Money(microYuan: .max),
                    Money(microYuan: .min)] {
            await #expect(throws: AmountOutOfBounds.self) { try await open(bad) }
        }
        await #expect(throws: AmountOutOfBounds.self) { try await open(.zero, alarm: yuan("10000000.01")) }
        await #expect(throws: AmountOutOfBounds.self) { try await open(.zero, trip: yuan("-10000000.01")) }
        #expect(try await store.account("A1") == nil)
        try await open(bound)
        #expect(try await store.account("A1")?.balance == bound)
    }

    /// The trigger behind the Swift checks: a REAL, or an integer past the bound, is refused by
    /// SQLite itself; its literal bound is `AmountBounds.balance`.
    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func theDatabaseRefusesARealOrAnOutOfBoundsBalance() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store)
        for value in ["9.3e18", "balance_micro_yuan + 9223372036854775807", "1000000000000001", "-1000000000000001", "'fifty'", "NULL"] {
            await #expect(throws: DatabaseError.self, "\(value)") {
                try await store.writer.write { db in
                    try db.execute(sql: "UPDATE account SET balance_micro_yuan = \(value) WHERE id = 'A1'")
                }
            }
        }
        #expect(try await store.account("A1")?.balance == yuan("50.00"))
        let triggers = try await store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'account_balance_bounds%'")
        }
        #expect(triggers.count == 2)
        for sql in triggers {
            #expect(sql.contains("BETWEEN -\(bound.microYuan) AND \(bound.microYuan)"), "\(sql)")
        }
    }

    /// A sum of balances is the one figure that may leave Int64 (9,224 accounts at the bound):
    /// exact while it fits, a clear error after, never a trap.
    @Test func aTotalBalancePastInt64IsAnErrorNotATrap() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store, opening: "-0.50")
        try await store.writer.write { db in
            // 300 rows a statement (one round trip each on PostgreSQL).
            for chunk in stride(from: 0, to: 9_300, by: 300) {
                let rows = chunk..<(chunk + 300)
                try db.execute(sql: """
                    INSERT INTO account (id, meter_address, terminal_id, tariff, region, balance_micro_yuan, created_at, updated_at)
                    VALUES \(rows.map { _ in "(?, ?, 'T1', 'residential', ?, 999999999999999, 0, 0)" }.joined(separator: ", "))
                    """, arguments: SQLArguments(rows.flatMap { i -> [(any SQLStorable)?] in
                        ["B\(i)", String(format: "%012d", 100 + i), i < 9_000 ? "east" : "west"]
                    }))
            }
        }
        let east = try await store.statistics(region: "east")
        #expect(east.totalBalance == Money(microYuan: 9_000 * 999_999_999_999_999))
        let north = try await store.statistics(region: "north")
        #expect(north.totalBalance == yuan("-0.50"))
        await #expect(throws: StoreError.totalOutOfRange("the total balance of the station")) {
            _ = try await store.statistics(region: nil)
        }
    }
}
