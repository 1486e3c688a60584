import ChargeControl
import Foundation
import GRDB
import Tariffs
import Testing
@testable import Store

/// The account book written beside the database at a graceful stop and read at the next start
/// instead of every account row (issue 15, p6), and refused whenever it may not be the rows.
@Suite(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) struct AccountBookSnapshotTests {
    /// Accounts unlike each other in every field the book keeps, with readings folded into their rows.
    static func station() async throws -> (StationStore, String) {
        let (store, path) = try await temporaryStore()
        try await provision(store, account: "A1", meter: "000000000001", opening: "50.00")
        try await provision(store, account: "A2", meter: "000000000002", opening: "3.00", protected: true)
        _ = try await store.upsertAccount(id: "A3", meterAddress: "000000000003", terminalID: "T1", tariff: "business",
                                          region: "south", customerClass: "commercial", alarmThreshold: yuan("30.00"),
                                          tripThreshold: yuan("1.00"), isProtected: false, openingBalance: yuan("-2.50"),
                                          feeControl: .released, at: t0)
        try await AccountBookTests.bill(store, "A1", minutes: 0, total: 100, charge: nil)
        try await AccountBookTests.bill(store, "A1", minutes: 15, total: 130, charge: "1.75",
                                        position: TierYearPosition(yearStart: t0, used: Energy(hundredths: 30)))
        try await AccountBookTests.bill(store, "A3", minutes: 0, total: 7, charge: nil)
        _ = try await store.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A2", amount: yuan("5.00"), channel: .counter,
                                                         paidAt: t0), receivedAt: t0)
        try await store.foldWaitingAccountRows(batch: 10)
        return (store, path)
    }

    /// A graceful stop's last write: the book beside the database.
    static func save(_ store: StationStore) async throws {
        let outcome = try await store.saveBookSnapshot()
        guard case .written = outcome else { throw SnapshotRefused(outcome: outcome) }
    }

    struct SnapshotRefused: Error { let outcome: BookSnapshotOutcome }

    /// Every account the book holds, as the writer would use it, by id.
    static func book(_ store: StationStore) throws -> [String: AccountBook.Entry] {
        let entries = try #require(store.book).state.withLock { $0.published.entries }
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.record.id, $0) })
    }

    static func same(_ a: [String: AccountBook.Entry], _ b: [String: AccountBook.Entry]) -> Bool {
        a.count == b.count && a.allSatisfy { id, e in
            guard let f = b[id] else { return false }
            return e.record == f.record && e.baseline == f.baseline && e.rowChargedThrough == f.rowChargedThrough
                && e.billed == f.billed && e.unfoldedReadings == nil && f.unfoldedReadings == nil
        }
    }

    @Test func aGracefulStopsBookIsReadAtTheNextStartAndEqualsTheRows() async throws {
        let (store, path) = try await Self.station()
        let before = try Self.book(store)
        guard case let .written(accounts, bytes, _) = try await store.saveBookSnapshot() else {
            Issue.record("the snapshot was refused")
            return
        }
        #expect(accounts == 3 && bytes > 0)
        try store.close()
        #expect(FileManager.default.fileExists(atPath: AccountBookSnapshot.path(forDatabase: path)))

        let fromSnapshot = try await reopen(path)
        let load = try #require(fromSnapshot.bookLoad)
        #expect(load.fromSnapshot && load.snapshotRefused == nil && load.accounts == 3)
        #expect(Self.same(try Self.book(fromSnapshot), before))
        // Read once: the database no longer names it, and the file is gone.
        #expect(!FileManager.default.fileExists(atPath: AccountBookSnapshot.path(forDatabase: path)))
        try fromSnapshot.close()

        // The rows give the same book.
        let fromRows = try await reopen(path)
        #expect(fromRows.bookLoad?.fromSnapshot == false && fromRows.bookLoad?.snapshotRefused == nil)
        #expect(Self.same(try Self.book(fromRows), before))
        #expect(fromRows.book?.totals(region: nil)?.mapValues(\.accounts) == fromSnapshot.book?.totals(region: nil)?.mapValues(\.accounts))
        #expect(try await fromRows.verifyBalances().isEmpty)
    }

    @Test func aRowChangedAfterTheStopMakesTheStartReadTheRows() async throws {
        let (store, path) = try await Self.station()
        try await Self.save(store)
        try store.close()
        // An operator's fix by hand while the daemon is stopped.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "UPDATE account SET balance_micro_yuan = 99000000 WHERE id = 'A3'") }
        try queue.close()

        let again = try await reopen(path)
        let load = try #require(again.bookLoad)
        #expect(!load.fromSnapshot)
        #expect(load.snapshotRefused?.contains("names no snapshot") == true)
        #expect(try await again.account("A3")?.balance == yuan("99.00"))
    }

    @Test func aDamagedOrForeignSnapshotIsRefusedAndTheRowsAreRead() async throws {
        let (store, path) = try await Self.station()
        let before = try Self.book(store)
        try await Self.save(store)
        try store.close()
        let file = AccountBookSnapshot.path(forDatabase: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: file))

        let cut = try await reopen(path)
        #expect(cut.bookLoad?.fromSnapshot == false)
        #expect(cut.bookLoad?.snapshotRefused?.contains("cut short") == true || cut.bookLoad?.snapshotRefused?.contains("ends early") == true)
        #expect(Self.same(try Self.book(cut), before))
        try await Self.save(cut)
        try cut.close()

        // A database that names another snapshot than the file beside it (a copy put back).
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "UPDATE account_book SET snapshot_token = 'another' WHERE id = 1") }
        try queue.close()
        let foreign = try await reopen(path)
        #expect(foreign.bookLoad?.fromSnapshot == false)
        #expect(foreign.bookLoad?.snapshotRefused?.contains("not the snapshot the database names") == true)
        #expect(Self.same(try Self.book(foreign), before))
    }

    @Test func noSnapshotWhileRowsLackReadings() async throws {
        let (store, _) = try await Self.station()
        try await AccountBookTests.bill(store, "A3", minutes: 15, total: 9, charge: "0.40")
        guard case let .refused(reason) = try await store.saveBookSnapshot() else {
            Issue.record("a snapshot was written while a row lacked a reading")
            return
        }
        #expect(reason.contains("lack readings"))
        // Once the row has it, the book is written.
        try await store.foldWaitingAccountRows(batch: 10)
        try await Self.save(store)
    }
}
