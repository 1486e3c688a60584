import ChargeControl
import Foundation
import Tariffs

extension StoreTransaction {
    /// The account's recent spending for the days-left forecast: its reading charges since
    /// `since` (at most the latest 2,000, a week of 5-minute reads), as one sample from the first
    /// charge to the last. The first charge's own interval began before it, so it is left out.
    /// Nil without two charges.
    public func recentSpend(account: String, since: Date) throws -> SpendSample? {
        let sinceMillis = StoredInstant.millis(since)
        // Charges booked in the ledger (on review, or folded by retention) and charges carried by
        // readings (`ReadingCharges`): newest first, the latest 2,000.
        var charges = try SQLRow.fetchAll(db.cachedStatement(sql: """
            SELECT at, amount_micro_yuan FROM ledger WHERE account_id = ? AND kind = 'charge' AND at >= ?
            ORDER BY id DESC LIMIT 2000
            """), arguments: [account, sinceMillis]).map { row in
            try row.decodeRecord(table: "ledger", key: .name("at")) {
                (at: try row.decode(Int64.self, atIndex: 0), amount: try row.decode(Int64.self, atIndex: 1))
            }
        }
        charges += try ReadingCharges.since(sinceMillis, account: account, limit: 2000, in: db).map {
            (at: StoredInstant.millis($0.reading.collectedAt), amount: $0.amount.microYuan)
        }
        charges = Array(charges.sorted { $0.at > $1.at }.prefix(2000).reversed())
        guard let first = charges.first, let last = charges.last, charges.count > 1 else { return nil }
        var spent: Int64 = 0
        for charge in charges.dropFirst() {
            // Charges are stored positive (the ledger's amount); a refund-like negative one lowers the spend.
            let (next, overflow) = spent.addingReportingOverflow(charge.amount)
            if overflow { return nil }
            spent = next
        }
        return SpendSample(from: StoredInstant.date(first.at), to: StoredInstant.date(last.at), charge: Money(microYuan: spent))
    }
}

extension StationStore {
    /// `StoreTransaction.recentSpend` on its own.
    public func recentSpend(account: String, since: Date) async throws -> SpendSample? {
        try await writer.read { db in try StoreTransaction(db: db).recentSpend(account: account, since: since) }
    }
}
