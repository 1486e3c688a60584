import ChargeControl
import Foundation
import Logging
import ServiceLifecycle
import Station
import Store
import Testing

/// The account rows written behind (issue 15): the service folds the book's readings into the
/// rows once enough accounts wait, and everything at a graceful stop, then writes the book.
@Suite struct AccountRowsServiceTests {
    /// On a real file, so that the stop's account book has somewhere to go.
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("account-rows-\(UUID().uuidString).sqlite").path

    func station() async throws -> (StationCore, Evaluator) {
        let store = try StationStore.open(path: path)
        let evaluator = Evaluator(rules: try rules())
        let core = StationCore(store: store, evaluator: evaluator, clock: ManualStationClock(collectStart), logger: collectLogger())
        try await core.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 1))
        for n in 1...3 {
            _ = try await core.upsertAccount(AccountProvisioning(accountID: "A\(n)", meterAddress: String(format: "%012d", n),
                                                                 terminalID: "T1", tariff: "flat-test", region: "north",
                                                                 openingBalance: yuan("50.00")))
        }
        return (core, evaluator)
    }

    func read(_ core: StationCore, _ evaluator: Evaluator, accounts: ClosedRange<Int>, at: String, total: String) async throws {
        _ = try await core.store.bulkTransaction { tx in
            for n in accounts {
                _ = try evaluator.apply(reading: reading(at, total: total), meter: nil, account: "A\(n)", at: instant(at), in: tx)
            }
        }
    }

    @Test func foldsWhenEnoughAccountsWaitAndEverythingAtAStop() async throws {
        let (core, evaluator) = try await station()
        let service = AccountRowsService(store: core.store, settings: .init(interval: .seconds(3600), threshold: 2, batch: 1),
                                         logger: collectLogger(), look: .milliseconds(10))
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: collectLogger()))
        let running = Task { try await group.run() }
        // One account waiting: under the threshold, not folded.
        try await read(core, evaluator, accounts: 1...1, at: "2026-11-23T09:15:00+08:00", total: "100.00")
        try await Task.sleep(for: .milliseconds(100))
        #expect(core.store.unfoldedAccounts == 1)
        // Three: past it, all folded, one row a write.
        try await read(core, evaluator, accounts: 2...3, at: "2026-11-23T09:15:00+08:00", total: "100.00")
        try await eventually("rows written behind") { core.store.unfoldedAccounts == 0 }
        // One more waits; a graceful stop writes it.
        try await read(core, evaluator, accounts: 1...1, at: "2026-11-23T09:30:00+08:00", total: "101.00")
        #expect(core.store.unfoldedAccounts == 1)
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(core.store.unfoldedAccounts == 0)
        #expect(try await core.store.verifyBalances().isEmpty)
        let balance = try #require(try await core.store.account("A1")?.balance)
        #expect(balance < yuan("50.00"))
        // Then the book, beside the database: the next start reads it instead of the rows.
        try core.store.close()
        let again = try StationStore.open(path: path)
        #expect(again.bookLoad?.fromSnapshot == true)
        #expect(again.bookLoad?.accounts == 3)
        #expect(try await again.account("A1")?.balance == balance)
    }
}
