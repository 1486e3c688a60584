import ChargeControl
import Foundation
import GRDB
import Tariffs

/// What a statement is folded from (`StatementFold`), read in one transaction: the account's
/// ledger since an instant, the balance before it, and the billed readings.
public struct StatementLedger: Sendable, Hashable {
    /// The balance after the last entry before `entries` (zero when the account began later).
    public let balanceBefore: Money
    /// The entries from the first one at or after `since`, in posting order.
    public let entries: [StatementEntry]
    /// The readings the entries' charges rest on, and the last billed reading before `since`,
    /// by collection instant.
    public let readings: [MeterReading]
    /// The last charge before `since` lost its reading to retention.
    public let readingBeforeGone: Bool
}

extension StationStore {
    /// The account's ledger from `since` on. Walks the account's ledger newest first through its
    /// index (`ledger_account`) and stops at the first entry before `since` (then at the first
    /// charge before it, for its reading): the cost is the window's entries, not the account's
    /// history. The balance before is the account's balance, which always equals the ledger's
    /// replay, less the entries read.
    public func statementLedger(account: String, since: Date) async throws -> StatementLedger {
        let sinceMillis = StoredInstant.millis(since)
        return try await writer.read { db in
            let balance = try Self.account(account, in: db).balance
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT l.id, l.kind, l.amount_micro_yuan, l.at, l.reading_id,
                    r.collected_at, r.meter_time_at, r.total_hundredths, r.sharp_hundredths, r.peak_hundredths,
                    r.flat_hundredths, r.valley_hundredths
                FROM ledger AS l LEFT JOIN reading AS r ON r.id = l.reading_id
                WHERE l.account_id = ? ORDER BY l.id DESC
                """), arguments: [account])
            var entries: [StatementEntry] = []
            var readings: [MeterReading] = []
            var before = balance
            var inWindow = true
            var foundBefore = false
            var readingBeforeGone = false
            var firstBilled: Int64?
            while let row = try rows.next() {
                let (entry, reading) = try row.decodeRecord(table: "ledger", key: .index(0)) {
                    let kind: LedgerEntryKind = try row.decode(atIndex: 1)
                    let reading = try row.hasNull(atIndex: 5) ? nil : (id: row.decode(Int64.self, atIndex: 4),
                                                                       reading: StoreTransaction.reading(row, from: 5))
                    let entry = try StatementEntry(kind: kind, amount: Money(microYuan: row.decode(atIndex: 2)),
                                                   at: StoredInstant.date(row.decode(atIndex: 3)),
                                                   readingGone: kind == .charge && reading == nil)
                    return (entry, reading)
                }
                inWindow = inWindow && StoredInstant.millis(entry.at) >= sinceMillis
                if inWindow {
                    entries.append(entry)
                    if let reading {
                        readings.append(reading.reading)
                        firstBilled = reading.id
                    }
                    let effect = LedgerEntry(kind: entry.kind, amount: entry.amount, at: entry.at).effect
                    guard let earlier = before.subtracting(effect) else { throw StoreError.totalOutOfRange("account \(account)'s ledger") }
                    before = earlier
                } else if entry.kind == .charge {
                    // The last billed reading before the window: where its first month starts
                    // (unknown when retention deleted it; the walk stops there either way).
                    if let reading { readings.append(reading.reading) } else { readingBeforeGone = true }
                    foundBefore = true
                    break
                }
            }
            if !foundBefore, let firstBilled, let baseline = try Self.baseline(before: firstBilled, account: account, in: db) {
                readings.append(baseline)
            }
            return StatementLedger(balanceBefore: before, entries: entries.reversed(),
                                   readings: readings.sorted { $0.collectedAt < $1.collectedAt }, readingBeforeGone: readingBeforeGone)
        }
    }

    /// The accepted reading the account's first charge was measured from: its readings began in
    /// the window, and no charge before the window holds a reading. Readings have no index by
    /// account (v4), so this walks back from that charge's reading by id: about one collection
    /// round of the station's meters, and only for an account in its first months.
    private static func baseline(before readingID: Int64, account: String, in db: Database) throws -> MeterReading? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT collected_at, meter_time_at, total_hundredths, sharp_hundredths, peak_hundredths, flat_hundredths, valley_hundredths
            FROM reading WHERE id < ?1 AND account_id = ?2 AND status = 'accepted' ORDER BY id DESC LIMIT 1
            """), arguments: [readingID, account]) else { return nil }
        return try row.decodeRecord(table: "reading", key: .index(0)) { try StoreTransaction.reading(row, from: 0) }
    }
}
