import ChargeControl
import Foundation
import GRDB
import Tariffs
import Synchronization
import Testing
@testable import Store

/// The account book loaded behind the start (issue 15, p6: READY=1 does not wait for a million
/// accounts): while it loads, the writer reads each account it needs from its row with the
/// readings the row lacks, and what the writer did meanwhile survives the load. On real SQLite
/// files, stopped as kill -9 leaves them (no fold, no snapshot) or gracefully.
@Suite struct AccountBookBehindTests {
    /// Five accounts; A1 to A3 with readings their rows lack (nothing folded), then "killed".
    static func killedStation() async throws -> String {
        let (store, path) = try await temporaryStore()
        for n in 1...5 { try await provision(store, account: "A\(n)", meter: String(format: "%012d", n), opening: "50.00") }
        for n in 1...3 {
            try await AccountBookTests.bill(store, "A\(n)", minutes: 0, total: 100, charge: nil)
            try await AccountBookTests.bill(store, "A\(n)", minutes: 15, total: 130, charge: "1.75",
                                            position: TierYearPosition(yearStart: t0, used: Energy(hundredths: 30)))
        }
        #expect(store.unfoldedAccounts == 3)
        try store.close()
        return path
    }

    static func ids(_ store: StationStore) async throws -> [String] {
        try await store.writer.read { db in try String.fetchAll(db, sql: "SELECT id FROM account ORDER BY id") }
    }

    static func records(_ store: StationStore) async throws -> [AccountRecord] {
        var records: [AccountRecord] = []
        for id in try await ids(store) { records.append(try #require(try await store.account(id))) }
        return records
    }

    @Test func whatTheWriterDoesWhileTheBookLoadsStaysAndEveryOtherAccountIsLoaded() async throws {
        let path = try await Self.killedStation()
        let store = try await reopen(path, loadBookBehind: true)
        #expect(store.bookIsLoading)
        #expect(store.bookLoad == nil)
        // Totals come from the tables until the book holds every account.
        #expect(store.book?.totals(region: nil) == nil)

        // A payment on A1 before the book has it: its row with the readings the row lacks.
        _ = try await store.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("5.00"), channel: .counter,
                                                         paidAt: t0), receivedAt: t0)
        #expect(try await store.account("A1")?.balance == yuan("53.25"))
        // A reading of A2 evaluated on A2's row and its unfolded readings.
        try await AccountBookTests.bill(store, "A2", minutes: 30, total: 150, charge: "0.50")
        #expect(try await store.account("A2")?.balance == yuan("47.75"))
        // A new account; a folding pass over what the writer holds does not move the replay's start.
        try await provision(store, account: "A6", meter: "000000000006", opening: "12.00")
        let foldedBefore = try await store.writer.read { db in try Int64.fetchOne(db, sql: "SELECT folded_through FROM account_book") }
        try await store.foldWaitingAccountRows(batch: 10)
        let foldedAfter = try await store.writer.read { db in try Int64.fetchOne(db, sql: "SELECT folded_through FROM account_book") }
        #expect(foldedAfter == foldedBefore)
        // An account the book does not hold yet reads from its row, less what the row lacks.
        #expect(try await store.account("A3")?.balance == yuan("48.25"))
        // No snapshot of a book that does not hold every account.
        #expect(try await store.saveBookSnapshot()
                    == .refused(TestEngine.isPostgres ? "the store has no file beside it" : "the book is still loading"))

        let load = try await store.loadBook()
        #expect(!store.bookIsLoading)
        // Only A3's two readings replayed: A1's and A2's rows had them, folded while it loaded.
        #expect(!load.fromSnapshot && load.accounts == 6 && load.replayed == 2)
        // Once only: a second call says how it went.
        #expect(try await store.loadBook().accounts == 6)
        let live = try await Self.records(store)
        #expect(live.map(\.id) == ["A1", "A2", "A3", "A4", "A5", "A6"])
        #expect(live.map(\.balance) == ["53.25", "47.75", "48.25", "50.00", "50.00", "12.00"].map(yuan))
        // Only A3's readings are still unfolded: A1's and A2's were folded above.
        #expect(store.unfoldedAccounts == 1)
        let totals = try #require(store.book?.totals(region: nil))
        #expect(totals[.normal]?.accounts == 6)
        #expect(totals.values.reduce(Int128(0)) { $0 + $1.balance } == live.reduce(Int128(0)) { $0 + Int128($1.balance.microYuan) })
        #expect(try await store.verifyBalances().isEmpty)

        // A start that loads at once (from the rows: this stop was not graceful) sees the same.
        try store.close()
        let again = try await reopen(path)
        // Loaded at open: a later call says how, and loads nothing again.
        #expect(try await again.loadBook().seconds == again.bookLoad?.seconds)
        #expect(try await Self.records(again) == live)
        #expect(again.book?.totals(region: nil)?.mapValues(\.accounts) == totals.mapValues(\.accounts))
        #expect(try await again.verifyBalances().isEmpty)
        try again.close()
    }

    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly))
    func aGracefulStopsSnapshotLoadsBehindTooAndAPaymentMeanwhileStays() async throws {
        let (store, path) = try await AccountBookSnapshotTests.station()
        try await AccountBookSnapshotTests.save(store)
        let before = try await Self.records(store)
        try store.close()

        let behind = try await reopen(path, loadBookBehind: true)
        _ = try await behind.recordPayment(PaymentRequest(orderNo: "P2", accountID: "A3", amount: yuan("4.00"), channel: .counter,
                                                          paidAt: t0), receivedAt: t0)
        let load = try await behind.loadBook()
        #expect(load.fromSnapshot && load.snapshotRefused == nil && load.accounts == 3)
        // Read, then removed: the database no longer names it.
        #expect(!FileManager.default.fileExists(atPath: AccountBookSnapshot.path(forDatabase: path)))
        let after = try await Self.records(behind)
        #expect(after.map(\.id) == before.map(\.id))
        for (a, b) in zip(after, before) {
            if a.id == "A3" {
                #expect(a.balance == yuan("1.50"))
            } else {
                #expect(a == b)
            }
        }
        #expect(try await behind.verifyBalances().isEmpty)
        try behind.close()
    }

    /// The load ends while the writer reads an account the book did not hold yet (between its
    /// look at the book and its row read): the write still lays the readings the row lacks over
    /// the row, so the loaded entry it replaces loses nothing. Made deterministic by ending the
    /// load from the writer's statement trace, as the row's SELECT starts.
    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly))
    func aLoadEndingInTheMiddleOfARowReadLosesNoCharge() async throws {
        let path = try await Self.killedStation()
        let behind = try await reopen(path, loadBookBehind: true)
        let book = try #require(behind.book)
        let source = try #require(behind.bookLoading?.take())
        let loaded = try await behind.writer.read { db in try AccountBook.readAccounts(source, in: db) }
        let fired = Mutex(false)
        try await behind.write { db in
            db.sqlite?.trace(options: .statement) { event in
                guard case .statement(let statement) = event, statement.sql.contains("WHERE a.id = ?"),
                      fired.withLock({ f in defer { f = true }; return !f }) else { return }
                book.finishLoad(loaded)
            }
        }
        _ = try await behind.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("5.00"), channel: .counter,
                                                          paidAt: t0), receivedAt: t0)
        try await behind.write { db in db.sqlite?.trace(options: .statement, nil) }
        #expect(fired.withLock { $0 }, "the load ended during the payment's row read")
        // 50.00 − 1.75 + 5.00: the unfolded charge is still there.
        #expect(try await behind.account("A1")?.balance == yuan("53.25"))
        #expect(try await behind.verifyBalances().isEmpty)
        try behind.close()
    }

    /// Payments and readings race the load on 20,000 accounts (4,000 on PostgreSQL, whose every
    /// statement is a round trip; a twentieth with readings their rows lack): whichever way they
    /// interleave, every balance equals the ledger's replay and a start that loads at once sees the same.
    @Test func writesRacingTheLoadLoseNothing() async throws {
        let count = TestEngine.isPostgres ? 4_000 : 20_000
        let (first, path) = try await temporaryStore()
        try first.close()
        let bulk = TestEngine.isPostgres ? try await reopen(path) : try StationStore.openForBulkLoad(path: path)
        try await bulk.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100), at: t0)
        try await bulk.insertAccountsInBulk((1...count).map {
            NewAccount(id: String(format: "B%05d", $0), meterAddress: String(format: "%012d", $0), terminalID: "T1", tariff: "residential",
                       region: "north", openingBalance: yuan("20.00"))
        }, at: t0)
        try await bulk.checkpointAndClose()
        let store = try await reopen(path)
        for n in stride(from: 1, through: count, by: 20) {
            try await AccountBookTests.bill(store, String(format: "B%05d", n), minutes: 0, total: 100, charge: nil)
            try await AccountBookTests.bill(store, String(format: "B%05d", n), minutes: 15, total: 120, charge: "0.80")
        }
        try store.close()

        let behind = try await reopen(path, loadBookBehind: true)
        async let loaded = behind.loadBook()
        var duringLoad = 0
        // A fiftieth of the accounts, a payment and a reading each: some before the load ends, maybe some after.
        for n in stride(from: 1, through: count, by: 50) {
            let id = String(format: "B%05d", n)
            if behind.bookIsLoading { duringLoad += 1 }
            _ = try await behind.recordPayment(PaymentRequest(orderNo: "R\(n)", accountID: id, amount: yuan("1.00"), channel: .counter,
                                                              paidAt: t0), receivedAt: t0)
            try await AccountBookTests.bill(behind, id, minutes: 30, total: 130, charge: "0.10")
        }
        let load = try await loaded
        #expect(load.accounts == count)
        print("writesRacingTheLoadLoseNothing: \(duringLoad) of \(count / 50) payments went in while the book loaded (\(load.seconds) s)")
        #expect(try await behind.verifyBalances().isEmpty)
        let live = try await Self.records(behind)
        let totals = try #require(behind.book?.totals(region: nil))
        #expect(totals.values.reduce(Int128(0)) { $0 + $1.balance } == live.reduce(Int128(0)) { $0 + Int128($1.balance.microYuan) })
        try behind.close()
        let again = try await reopen(path)
        #expect(try await Self.records(again) == live)
        #expect(again.book?.totals(region: nil)?.mapValues(\.balance) == totals.mapValues(\.balance))
        try again.close()
    }
}
