import ChargeControl
import Foundation
import StationConfig
import StationHarness
import Station
import Store
import StorePostgres
import Tariffs

/// The fast way to a station of a million accounts: the rows go into the database file before
/// the daemon opens it, instead of one HTTP request (one transaction, one fsync) per account.
/// The Store's bulk load writes them (`StationStore.openForBulkLoad`, `insertAccountsInBulk`):
/// each account gets the rows `StationStore.upsertAccount` writes (the account, its opening
/// ledger entry with the cached balance, an `account_created` audit record), 20,000 accounts a
/// transaction with `synchronous = OFF` (a bench that crashes mid-seed just starts again).
/// Unlike the API, no decision is taken at provisioning: the first reading's evaluation queues
/// the alarms and trips. Optionally every account gets a baseline reading through
/// `StoreTransaction`, so the daemon's first reading is billed.
struct StationSeed {
    /// How the accounts are spread and funded.
    struct Plan {
        var accounts: Int
        /// Terminal i is "T\(i)" at 127.0.0.1:ports[i].
        var terminalPorts: [Int]
        var tariff: Tariff
        var region = "bench"
        /// The opening balance of account n (1-based).
        var balance: @Sendable (Int) -> Money
        /// When each account's baseline reading (all registers 0) was taken; nil: no baseline,
        /// the daemon's first reading is the baseline.
        var baselineAt: Date?
        /// The meters meter-sim spreads over the terminals (when it simulates more than `accounts`).
        var simulatedMeters: Int?

        /// Meter n's terminal, as meter-sim lays them out.
        func terminal(ofMeter n: Int) -> Int {
            HarnessStation.terminal(ofMeter: n, meters: max(accounts, simulatedMeters ?? 0), terminals: terminalPorts.count)
        }
    }

    /// Where the time went.
    struct Timing {
        var accountsSeconds = 0.0
        var baselinesSeconds = 0.0
        var totalSeconds: Double { accountsSeconds + baselinesSeconds }
    }

    /// Writes `plan` into a new database at `path` (migrated by the Store), checkpoints the WAL
    /// and closes the file, so the next opener starts from a plain database file.
    static func write(_ plan: Plan, to path: String, progress: (String) -> Void) async throws -> Timing {
        // PostgreSQL: the same rows through a store of its own (a statement a row, no file to checkpoint).
        let store = PostgresLocation.isURL(path)
            ? try await StationStore.open(postgres: PostgresLocation(url: path)) : try StationStore.openForBulkLoad(path: path)
        let clock = ContinuousClock()
        var timing = Timing()
        let now = Date()

        let accountsStart = clock.now
        for (index, port) in plan.terminalPorts.enumerated() {
            try await store.upsertTerminal(TerminalRecord(id: "T\(index)", host: "127.0.0.1", port: port), at: now)
        }
        let chunk = 20_000
        for first in stride(from: 1, through: plan.accounts, by: chunk) {
            let last = min(plan.accounts, first + chunk - 1)
            try await store.insertAccountsInBulk((first...last).map { n in
                NewAccount(id: "A\(n)", meterAddress: HarnessStation.address(n), terminalID: "T\(plan.terminal(ofMeter: n))",
                           tariff: plan.tariff.name, region: plan.region, openingBalance: plan.balance(n))
            }, at: now)
            if last % 200_000 == 0 || last == plan.accounts { progress("seeded \(last) of \(plan.accounts) accounts") }
        }
        timing.accountsSeconds = (clock.now - accountsStart).seconds

        if let at = plan.baselineAt, plan.accounts > 0 {
            let baselinesStart = clock.now
            let position = plan.tariff.position(yearToDate: .zero, at: at)
            let zero = MeterReading(collectedAt: at, meterTime: nil, total: .zero, registers: .zero)
            let chunk = 20_000
            for first in stride(from: 1, through: plan.accounts, by: chunk) {
                let last = min(plan.accounts, first + chunk - 1)
                try await store.transaction { tx in
                    for n in first...last {
                        let id = try tx.insertReading(zero, account: "A\(n)", abnormal: [])
                        try tx.updateAccount("A\(n)", state: .normal, meter: nil,
                                             accepted: .init(id: id, at: at, position: position), at: now)
                    }
                }
            }
            timing.baselinesSeconds = (clock.now - baselinesStart).seconds
        }
        if plan.accounts <= 200_000 {
            // The fast path must leave what the Store would: balances that replay, an intact chain.
            let mismatches = try await store.verifyBalances()
            guard mismatches.isEmpty else { throw BenchFailure("seed: \(mismatches.count) balances do not replay their ledgers") }
            let audit = try await store.verifyAudit()
            guard audit.firstBrokenID == nil else { throw BenchFailure("seed: the audit chain breaks at row \(audit.firstBrokenID ?? 0)") }
        }
        try await store.checkpointAndClose()
        return timing
    }
}

extension Duration {
    /// The duration in seconds, as a Double (for printing rates).
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension HarnessStation {
    /// The station's tariff (`tariff`), loaded from its copy of the tariffs folder.
    func benchTariff() throws -> Tariff {
        try TariffFolder.load(folder.appendingPathComponent("tariffs").path)[tariff]
            .orThrow("no tariff \(tariff) in \(folder.path)/tariffs")
    }
}
