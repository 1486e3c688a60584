import ChargeControl
import Foundation
import Tariffs
import Testing
@testable import Store

/// The questions the harness and the bench ask the store (issue 12, point 5), and the bulk load.
@Suite("Store: queries for checks, bulk load")
struct InspectionTests {
    func reading(_ total: String, at: Date) throws -> MeterReading {
        MeterReading(collectedAt: at, meterTime: nil, total: try Energy(kWh: total), registers: .zero)
    }

    @Test func commandHistoryHoldsEachCommandWithItsAuditRowsAndReviewItems() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store)
        let deadline = t0.addingTimeInterval(3600)
        let (trip, alarm) = try await store.transaction { tx in
            (try tx.enqueue(planned(.trip), account: "A1", meter: "000000000001", deadline: deadline, at: t0),
             try tx.enqueue(planned(.alarm), account: "A1", meter: "000000000001", deadline: deadline, at: t0))
        }
        #expect(try await store.markInFlight(trip, at: t0))
        try await store.retryLater(trip, error: "no reply", next: t0.addingTimeInterval(5), at: t0)
        #expect(try await store.markInFlight(trip, at: t0.addingTimeInterval(5)))
        try await store.acknowledge(trip, at: t0.addingTimeInterval(6))
        try await store.moveToReview(alarm, reason: "refused", at: t0.addingTimeInterval(7))
        #expect(try await store.latestOpenCommandDeadline() == nil)

        let history = try await store.commandHistory()
        #expect(history.commands.map(\.id) == [trip, alarm])
        let first = try #require(history.commands.first)
        #expect(first.kind == "trip" && first.state == "acknowledged" && first.openReviewItems == 0)
        #expect(first.createdAtMillis == StoredInstant.millis(t0) && first.deadlineAtMillis == StoredInstant.millis(deadline))
        #expect(first.acknowledgedAtMillis == StoredInstant.millis(t0.addingTimeInterval(6)))
        #expect(history.commands.last?.state == "review" && history.commands.last?.openReviewItems == 1)
        #expect(history.audit.filter { $0.commandID == trip }.map(\.event)
                    == ["trip", "command_in_flight", "command_pending", "command_in_flight", "command_acknowledged"])
        #expect(history.audit.allSatisfy { $0.commandID != nil })
        #expect(history.reviewItems == [ReviewTally(kind: "command", state: "open", count: 1)])
        #expect(history.retriesScheduled == 1)
    }

    @Test func recoveredCommandsAndTheLatestOpenDeadline() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store)
        let deadline = t0.addingTimeInterval(3600)
        let trip = try await store.transaction { tx in
            try tx.enqueue(planned(.trip), account: "A1", meter: "000000000001", deadline: deadline, at: t0)
        }
        #expect(try await store.latestOpenCommandDeadline() == StoredInstant.date(StoredInstant.millis(deadline)))
        #expect(try await store.commandsRecoveredAfterRestart().isEmpty)
        #expect(try await store.markInFlight(trip, at: t0))
        #expect(try await store.recoverInFlight(at: t0) == 1)
        #expect(try await store.commandsRecoveredAfterRestart() == [trip])
    }

    @Test func paymentsOnDiskAndTheLowestBalanceAfterOne() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store)
        _ = try await store.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("10.00"), channel: .counter,
                                                         paidAt: t0), receivedAt: t0)
        let chargedAt = t0.addingTimeInterval(60)
        try await store.transaction { tx in
            let id = try tx.insertReading(try reading("1.00", at: chargedAt), account: "A1", abnormal: [])
            _ = try tx.postCharge(account: "A1", amount: yuan("4.00"), energy: try Energy(kWh: "1.00"), readingID: id,
                                  reference: "test", at: chargedAt)
        }
        let disk = try await store.paymentsOnDisk()
        let paid = try #require(disk.payments["P1"])
        #expect(paid.accountID == "A1" && paid.amount == yuan("10.00") && paid.balanceAfter == yuan("60.00"))
        #expect(disk.paymentLedgerEntries == 1 && disk.distinctLedgerEntries == 1)
        #expect(try await store.lowestBalance(afterPayment: "P1", throughMillis: StoredInstant.millis(t0)) == yuan("60.00"))
        #expect(try await store.lowestBalance(afterPayment: "P1", throughMillis: StoredInstant.millis(chargedAt)) == yuan("56.00"))
        #expect(try await store.lowestBalance(afterPayment: "P9", throughMillis: StoredInstant.millis(chargedAt)) == nil)
        let audit = try await store.auditTrail(event: "payment")
        #expect(audit.map(\.detail) == ["order P1: 10.00 yuan via counter"] && audit.first?.accountID == "A1")
        #expect(try await store.auditTrail().map(\.event) == ["account_created", "payment"])
    }

    @Test func readingTallyAndTheLatestReading() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store)
        try await provision(store, account: "A2", meter: "000000000002")
        #expect(try await store.latestReadingID() == nil)
        #expect(try await store.readingTally() == ReadingTally(readings: 0, accounts: 0, accepted: 0, abnormal: 0))
        let ids = try await store.transaction { tx in
            [try tx.insertReading(try reading("1.00", at: t0), account: "A1", abnormal: []),
             try tx.insertReading(try reading("2.00", at: t0), account: "A1", abnormal: [.duplicate]),
             try tx.insertReading(try reading("1.00", at: t0), account: "A2", abnormal: [])]
        }
        #expect(try await store.latestReadingID() == ids.last)
        #expect(try await store.readingTally() == ReadingTally(readings: 3, accounts: 2, accepted: 2, abnormal: 1))
        #expect(try await store.readingTally(account: "A1") == ReadingTally(readings: 2, accounts: 1, accepted: 1, abnormal: 1))
        #expect(try await store.readingTally(after: ids[0]) == ReadingTally(readings: 2, accounts: 2, accepted: 1, abnormal: 1))
    }

    @Test func aBulkLoadWritesWhatProvisioningWouldAndAReadOnlyStoreReadsIt() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("station.sqlite").path
        let bulk = try StationStore.openForBulkLoad(path: path)
        try await bulk.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100), at: t0)
        try await bulk.insertAccountsInBulk((1...3).map {
            NewAccount(id: "B\($0)", meterAddress: String(format: "%012d", $0), terminalID: "T1", tariff: "residential",
                       region: "north", openingBalance: yuan("\($0).00"))
        }, at: t0)
        await #expect(throws: AmountOutOfBounds.self) {
            try await bulk.insertAccountsInBulk([NewAccount(id: "B9", meterAddress: "000000000009", terminalID: "T1", tariff: "r",
                                                            region: "n", openingBalance: Money(microYuan: .max))], at: t0)
        }
        #expect(try await bulk.verifyBalances().isEmpty)
        #expect(try await bulk.verifyAudit().isIntact)
        try await bulk.checkpointAndClose()

        // What upsertAccount writes for a new account, to the detail of its audit row.
        let (reference, _) = try await temporaryStore()
        try await provision(reference, account: "B2", meter: "000000000002", opening: "2.00")
        let watcher = try await reopenReadOnly(path)
        defer { try? watcher.close() }
        #expect(try await watcher.accountCount() == 3)
        #expect(try await watcher.account("B2") == reference.account("B2"))
        #expect(try await watcher.ledger(account: "B2") == reference.ledger(account: "B2"))
        let detail = try #require(try await reference.auditTrail(event: "account_created").first?.detail)
        #expect(try await watcher.auditTrail(event: "account_created").map(\.detail) == Array(repeating: detail, count: 3))
        await #expect(throws: (any Error).self) { try await watcher.upsertTerminal(TerminalRecord(id: "T2", host: "h", port: 1), at: t0) }
    }
}
