import ChargeControl
import Foundation
import GRDB
import Tariffs

/// What the station holds for one region (or for all of them): the figures of `GET /v1/stats`
/// that come from the store. Terminal health is not stored; the caller adds it.
public struct RegionStatistics: Sendable, Hashable {
    /// The region asked for; nil for the whole station.
    public let region: String?
    /// Cost-controlled accounts.
    public let accounts: Int
    /// Accounts per control state (`normal`, `alarm`, …); states without accounts are absent.
    public let accountsByState: [String: Int]
    /// Energy billed so far: the sum of the charged energy in the ledger.
    public let consumption: Energy
    /// The sum of the accounts' balances.
    public let totalBalance: Money
    /// The terminals serving these accounts (every terminal for the whole station).
    public let terminalIDs: [String]
}

extension StationStore {
    /// Counts, consumption, balances and terminals of `region`'s accounts, or of every account
    /// when `region` is nil; one read transaction, so the figures agree with each other.
    public func statistics(region: String?) async throws -> RegionStatistics {
        try await writer.read { db in
            let filter = "(?1 IS NULL OR region = ?1)"
            var byState: [String: Int] = [:]
            var accounts = 0
            // Summed as whole yuan and the micro-yuan left over, each of which fits 64 bits for
            // any number of accounts within AmountBounds, then added in 128 bits: a sum of
            // balances is the one figure that may leave Int64 (issue 17).
            var balance: Int128 = 0
            for row in try Row.fetchAll(db, sql: """
                SELECT state, COUNT(*) AS n, COALESCE(SUM(balance_micro_yuan / 1000000), 0) AS yuan,
                    COALESCE(SUM(balance_micro_yuan % 1000000), 0) AS micro
                FROM account WHERE \(filter) GROUP BY state
                """, arguments: [region]) {
                let n = try row.decode(Int.self, forColumn: "n")
                byState[try row.decode(String.self, forColumn: "state")] = n
                accounts += n
                balance += Int128(try row.decode(Int64.self, forColumn: "yuan")) * Int128(Money.microYuanPerYuan)
                    + Int128(try row.decode(Int64.self, forColumn: "micro"))
            }
            guard let total = Int64(exactly: balance) else {
                throw StoreError.totalOutOfRange("the total balance of \(region.map { "region \"\($0)\"" } ?? "the station")")
            }
            // Charges booked in the ledger, and those the readings carry (schema v15).
            let energy = try Int64.fetchOne(db, sql: """
                SELECT (SELECT COALESCE(SUM(ledger.energy_hundredths), 0) FROM ledger JOIN account ON account.id = ledger.account_id
                        WHERE ledger.kind = 'charge' AND (?1 IS NULL OR account.region = ?1))
                    + (SELECT COALESCE(SUM(reading.energy_hundredths), 0) FROM reading JOIN account ON account.id = reading.account_id
                        WHERE reading.balance_after_micro_yuan IS NOT NULL AND reading.charge_micro_yuan IS NOT NULL
                            AND (?1 IS NULL OR account.region = ?1))
                """, arguments: [region]) ?? 0
            let terminals = region == nil
                ? try String.fetchAll(db, sql: "SELECT id FROM terminal ORDER BY id")
                : try String.fetchAll(db, sql: "SELECT DISTINCT terminal_id FROM account WHERE \(filter) ORDER BY terminal_id",
                                      arguments: [region])
            return RegionStatistics(region: region, accounts: accounts, accountsByState: byState,
                                    consumption: Energy(hundredths: energy), totalBalance: Money(microYuan: total),
                                    terminalIDs: terminals)
        }
    }
}
