import ChargeControl
import Foundation
import GRDB
import Tariffs
import Testing
@testable import Store

@Suite("Store: schema, ledger, payments, audit")
struct StoreTests {
    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func migratesAnEmptyFileAndReopens() async throws {
        let (store, path) = try await temporaryStore()
        #expect(try store.appliedMigrations() == ["v1: station", "v2: customer class", "v3: meter state instant, command lookups",
                                                    "v4: no reading index by account", "v5: dispatch order index",
                                                    "v6: balance bounds", "v7: adjustments", "v8: parameter writes, fee control, price pushes",
                                                    "v9: reading resolution", "v10: audit actor",
                                                    "v11: second alarm level", "v12: list pages", "v13: review work orders",
                                                    "v14: retention lookups", "v15: account book", "v16: account book snapshot",
                                                    "v17: terminal leases"])
        try await provision(store)
        let reopened = try await reopen(path)
        #expect(try await reopened.account("A1")?.balance == yuan("50.00"))
        let mode = try await reopened.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let sync = try await reopened.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(sync == 2)  // FULL
    }

    @Test func accountNeedsAKnownTerminalAndAFreeMeter() async throws {
        let store = try await testStore()
        await #expect(throws: StoreError.unknownTerminal("T9")) {
            _ = try await store.upsertAccount(id: "A1", meterAddress: "000000000001", terminalID: "T9", tariff: "r", region: "n",
                                              alarmThreshold: nil, tripThreshold: nil, isProtected: false, openingBalance: nil, at: t0)
        }
        try await provision(store)
        await #expect(throws: StoreError.meterTakenByAnotherAccount(meter: "000000000001", account: "A1")) {
            _ = try await store.upsertAccount(id: "A2", meterAddress: "000000000001", terminalID: "T1", tariff: "r", region: "n",
                                              alarmThreshold: nil, tripThreshold: nil, isProtected: false, openingBalance: nil, at: t0)
        }
    }

    @Test func updatingAnAccountKeepsItsBalance() async throws {
        let store = try await testStore()
        try await provision(store)
        _ = try await store.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("10.00"), channel: .counter, paidAt: t0),
                                          receivedAt: t0)
        let updated = try await store.upsertAccount(id: "A1", meterAddress: "000000000001", terminalID: "T1", tariff: "r", region: "south",
                                                    alarmThreshold: yuan("30.00"), tripThreshold: yuan("-5.00"), isProtected: true,
                                                    openingBalance: nil, at: t0)
        #expect(updated.balance == yuan("60.00"))
        #expect(updated.customerClass == nil)
        let classed = try await store.upsertAccount(id: "A1", meterAddress: "000000000001", terminalID: "T1", tariff: "r", region: "south",
                                                    customerClass: "hospital", alarmThreshold: nil, tripThreshold: nil,
                                                    isProtected: false, openingBalance: nil, at: t0)
        #expect(classed.customerClass == "hospital")
        #expect(try await store.meterAssignments().first?.customerClass == "hospital")
        #expect(updated.region == "south" && updated.isProtected && updated.tripThreshold == yuan("-5.00"))
        await #expect(throws: StoreError.openingBalanceAfterActivity(account: "A1")) {
            _ = try await store.upsertAccount(id: "A1", meterAddress: "000000000001", terminalID: "T1", tariff: "r", region: "n",
                                              alarmThreshold: nil, tripThreshold: nil, isProtected: false, openingBalance: yuan("1.00"), at: t0)
        }
    }

    @Test func paymentsAreRecordedExactlyOnce() async throws {
        let store = try await testStore()
        try await provision(store)
        let p = PaymentRequest(orderNo: "PO-1", accountID: "A1", amount: yuan("100.00"), channel: .onlineBank, paidAt: t0)
        guard case .created(let first) = try await store.recordPayment(p, receivedAt: t0) else {
            Issue.record("first post not created"); return
        }
        #expect(first.balanceAfter == yuan("150.00"))
        guard case .duplicate(let again) = try await store.recordPayment(p, receivedAt: t0.addingTimeInterval(5)) else {
            Issue.record("repeat not a duplicate"); return
        }
        #expect(again == first)
        var other = p
        other.amount = yuan("99.00")
        guard case .conflict(let existing) = try await store.recordPayment(other, receivedAt: t0) else {
            Issue.record("different content not a conflict"); return
        }
        #expect(existing == first)
        #expect(try await store.account("A1")?.balance == yuan("150.00"))
        #expect(try await store.ledger(account: "A1").count == 2)
        await #expect(throws: StoreError.unknownAccount("nobody")) {
            _ = try await store.recordPayment(PaymentRequest(orderNo: "PO-2", accountID: "nobody", amount: yuan("1.00"),
                                                             channel: .counter, paidAt: t0), receivedAt: t0)
        }
    }

    @Test func balancesEqualALedgerReplay() async throws {
        let store = try await testStore()
        try await provision(store, opening: "-3.50")
        for i in 0..<20 {
            _ = try await store.recordPayment(PaymentRequest(orderNo: "O\(i)", accountID: "A1", amount: yuan("1.25"),
                                                             channel: .thirdParty, paidAt: t0), receivedAt: t0)
        }
        _ = try await store.recordAdjustment(AdjustmentRequest(adjustmentNo: "ADJ1", accountID: "A1", amount: yuan("-0.75"),
                                                               reason: "meter swap correction"), receivedAt: t0)
        #expect(try await store.account("A1")?.balance == yuan("20.75"))
        #expect(try await store.verifyBalances().isEmpty)
        // A cache that drifts from the ledger is caught.
        try await store.writer.write { db in try db.execute(sql: "UPDATE account SET balance_micro_yuan = 1 WHERE id = 'A1'") }
        let mismatches = try await store.verifyBalances()
        #expect(mismatches == [BalanceMismatch(accountID: "A1", stored: Money(microYuan: 1), replayed: yuan("20.75"))])
    }

    @Test func auditChainVerifiesAndCatchesTampering() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store)
        for i in 0..<5 {
            _ = try await store.recordPayment(PaymentRequest(orderNo: "X\(i)", accountID: "A1", amount: yuan("2.00"),
                                                             channel: .counter, paidAt: t0), receivedAt: t0)
        }
        let ok = try await store.verifyAudit()
        #expect(ok.isIntact && ok.rows == 6)
        // Append-only: the database itself refuses edits.
        await #expect(throws: (any Error).self) {
            try await store.writer.write { db in try db.execute(sql: "UPDATE audit SET detail = 'x' WHERE id = 3") }
        }
        // An edit made around the triggers breaks the chain at that row.
        try await store.writer.write { db in
            try db.execute(sql: db.engine == .postgres ? "DROP TRIGGER audit_no_update ON audit" : "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit SET detail = 'order X1: 2000.00 yuan' WHERE id = 3")
        }
        let broken = try await store.verifyAudit()
        #expect(broken.firstBrokenID == 3)
    }
}
