import ChargeControl
import Foundation
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
    /// The account's ledger from `since` on: its ledger entries and its readings' charges
    /// (`ReadingCharges`) at or after `since`, in time order. Ledger entries are few per account
    /// (payments, adjustments, one entry per day for charges whose readings retention deleted),
    /// read through `ledger_account`; reading charges newest first through
    /// `reading_account_billed`, down to the window's start. The balance before is the
    /// account's balance (its row less the charges the row has not received, in the same read),
    /// which always equals the ledger's replay, less the entries read.
    public func statementLedger(account: String, since: Date) async throws -> StatementLedger {
        let sinceMillis = StoredInstant.millis(since)
        return try await writer.read { db in
            let balance = try Self.account(account, in: db).balance
            var window: [(entry: StatementEntry, reading: (id: Int64, reading: MeterReading)?)] = []
            for row in try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT l.id, l.kind, l.amount_micro_yuan, l.at, l.reading_id, \(Self.readingColumns)
                FROM ledger AS l LEFT JOIN reading AS r ON r.id = l.reading_id
                WHERE l.account_id = ? AND l.at >= ? ORDER BY l.id
                """), arguments: [account, sinceMillis]) {
                window.append(try Self.ledgerLine(row))
            }
            for charge in try ReadingCharges.since(sinceMillis, account: account, in: db).reversed() {
                window.append((StatementEntry(kind: .charge, amount: charge.amount, at: charge.reading.collectedAt),
                               (charge.readingID, charge.reading)))
            }
            window = window.enumerated().sorted { a, b in
                a.element.entry.at != b.element.entry.at ? a.element.entry.at < b.element.entry.at : a.offset < b.offset
            }.map(\.element)
            var before = balance
            for line in window {
                let effect = LedgerEntry(kind: line.entry.kind, amount: line.entry.amount, at: line.entry.at).effect
                guard let earlier = before.subtracting(effect) else { throw StoreError.totalOutOfRange("account \(account)'s ledger") }
                before = earlier
            }
            var readings = window.compactMap { $0.reading?.reading }
            var readingBeforeGone = false
            // Where the first month starts: the last charge before the window, booked or carried
            // by its reading (unknown when retention deleted its reading).
            let booked = try SQLRow.fetchOne(db.cachedStatement(sql: """
                SELECT l.id, l.kind, l.amount_micro_yuan, l.at, l.reading_id, \(Self.readingColumns)
                FROM ledger AS l LEFT JOIN reading AS r ON r.id = l.reading_id
                WHERE l.account_id = ? AND l.kind = 'charge' AND l.at < ? ORDER BY l.at DESC, l.id DESC LIMIT 1
                """), arguments: [account, sinceMillis]).map(Self.ledgerLine)
            let carried = try ReadingCharges.last(before: sinceMillis, account: account, in: db)
            if let carried, booked.map({ carried.reading.collectedAt >= $0.entry.at }) ?? true {
                readings.append(carried.reading)
            } else if let booked {
                if let reading = booked.reading { readings.append(reading.reading) } else { readingBeforeGone = true }
            } else if let firstBilled = window.compactMap({ $0.reading?.id }).min(),
                      let baseline = try Self.baseline(before: firstBilled, account: account, in: db) {
                // The account's readings began in the window: its first month starts at its first baseline.
                readings.append(baseline)
            }
            return StatementLedger(balanceBefore: before, entries: window.map(\.entry),
                                   readings: readings.sorted { $0.collectedAt < $1.collectedAt }, readingBeforeGone: readingBeforeGone)
        }
    }

    /// The columns of a charge's reading, as `StoreTransaction.reading(_:from:)` decodes them.
    private static let readingColumns = """
        r.collected_at, r.meter_time_at, r.total_hundredths, r.sharp_hundredths, r.peak_hundredths, r.flat_hundredths, r.valley_hundredths
        """

    /// A ledger row (id, kind, amount, at, reading_id, then `readingColumns`) as a statement line.
    private static func ledgerLine(_ row: SQLRow) throws -> (entry: StatementEntry, reading: (id: Int64, reading: MeterReading)?) {
        try row.decodeRecord(table: "ledger", key: .index(0)) {
            let kind: LedgerEntryKind = try row.decode(atIndex: 1)
            let reading = try row.hasNull(atIndex: 5) ? nil : (id: row.decode(Int64.self, atIndex: 4),
                                                               reading: StoreTransaction.reading(row, from: 5))
            let entry = try StatementEntry(kind: kind, amount: Money(microYuan: row.decode(atIndex: 2)),
                                           at: StoredInstant.date(row.decode(atIndex: 3)),
                                           readingGone: kind == .charge && reading == nil)
            return (entry, reading)
        }
    }

    /// The accepted reading the account's first charge was measured from: its readings began in
    /// the window, and no charge before the window holds a reading. A baseline the station took
    /// carries its effect and is found through `reading_account_billed`; one stored before
    /// readings did (schema v15) is looked for by walking back from that charge's reading by id:
    /// about one collection round of the station's meters, and only for an account in its first months.
    private static func baseline(before readingID: Int64, account: String, in db: SQLSession) throws -> MeterReading? {
        let row = try SQLRow.fetchOne(db.cachedStatement(sql: """
            SELECT collected_at, meter_time_at, total_hundredths, sharp_hundredths, peak_hundredths, flat_hundredths, valley_hundredths
            FROM reading WHERE account_id = ?2 AND balance_after_micro_yuan IS NOT NULL AND id < ?1 ORDER BY id DESC LIMIT 1
            """), arguments: [readingID, account]) ?? SQLRow.fetchOne(db.cachedStatement(sql: """
            SELECT collected_at, meter_time_at, total_hundredths, sharp_hundredths, peak_hundredths, flat_hundredths, valley_hundredths
            FROM reading WHERE id < ?1 AND account_id = ?2 AND status = 'accepted' ORDER BY id DESC LIMIT 1
            """), arguments: [readingID, account])
        guard let row else { return nil }
        return try row.decodeRecord(table: "reading", key: .index(0)) { try StoreTransaction.reading(row, from: 0) }
    }
}
