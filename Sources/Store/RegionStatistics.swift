import ChargeControl
import Foundation
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
    /// Energy billed so far (each account's `billed_hundredths`, kept with every charge).
    public let consumption: Energy
    /// The sum of the accounts' balances.
    public let totalBalance: Money
    /// The terminals serving these accounts (every terminal for the whole station).
    public let terminalIDs: [String]
}

extension StationStore {
    /// Counts, consumption, balances and terminals of `region`'s accounts, or of every account
    /// when `region` is nil.
    public func statistics(region: String?) async throws -> RegionStatistics {
        // From the account book's totals: no pass over the accounts or the ledger per call.
        let totals = book?.totals(region: region)
        return try await writer.read { db in
            let filter = "(CAST(?1 AS TEXT) IS NULL OR region = ?1)"
            var byState: [String: Int] = [:]
            var accounts = 0
            // A sum of balances is the one figure that may leave Int64 (issue 17): added in 128 bits.
            var balance: Int128 = 0
            var billed: Int128 = 0
            if let totals {
                for (state, sums) in totals {
                    byState[state.rawValue] = sums.accounts
                    accounts += sums.accounts
                    balance += sums.balance
                    billed += sums.billedHundredths
                }
            } else {
                // A store without a book: the rows, less the charges they lack.
                for row in try SQLRow.fetchAll(db, sql: """
                    SELECT a.state, COUNT(*) AS n,
                        COALESCE(SUM((a.balance_micro_yuan - COALESCE(u.charged, 0)) / 1000000), 0) AS yuan,
                        COALESCE(SUM((a.balance_micro_yuan - COALESCE(u.charged, 0)) % 1000000), 0) AS micro,
                        COALESCE(SUM(a.billed_hundredths + COALESCE(u.energy, 0)), 0) AS billed
                    FROM account AS a LEFT JOIN (\(AccountBook.unfoldedCharges)) AS u ON u.account_id = a.id
                    WHERE (CAST(?1 AS TEXT) IS NULL OR a.region = ?1) GROUP BY a.state
                    """, arguments: [region]) {
                    let n = try row.decode(Int.self, forColumn: "n")
                    byState[try row.decode(String.self, forColumn: "state")] = n
                    accounts += n
                    // Whole yuan and the micro-yuan left over each fit 64 bits for any number of accounts.
                    balance += Int128(try row.decode(Int64.self, forColumn: "yuan")) * Int128(Money.microYuanPerYuan)
                        + Int128(try row.decode(Int64.self, forColumn: "micro"))
                    billed += Int128(try row.decode(Int64.self, forColumn: "billed"))
                }
            }
            guard let total = Int64(exactly: balance), let energy = Int64(exactly: billed) else {
                throw StoreError.totalOutOfRange("the total balance of \(region.map { "region \"\($0)\"" } ?? "the station")")
            }
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
