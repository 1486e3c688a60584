import ChargeControl
import Foundation
import Tariffs

/// The charges readings carry (issue 15: the reading row is the ledger of its charge), found
/// per account through `reading_account_billed`. An account's ledger is its ledger entries
/// (opening, payments, adjustments, charges booked on review, charges of readings retention
/// deleted) and these.
enum ReadingCharges {
    /// A reading's charge as a ledger line.
    struct Charge {
        let readingID: Int64
        let reading: MeterReading
        /// The ledger's amount (subtracted from the balance).
        let amount: Money
        let energy: Energy?

        /// At the reading's collection: the end of the interval it bills.
        var entry: LedgerEntry {
            LedgerEntry(kind: .charge, amount: amount, at: reading.collectedAt,
                        reference: "reading \(readingID): \(energy.map(\.kWhString) ?? "0.00") kWh")
        }
    }

    private static let columns = """
        id, charge_micro_yuan, energy_hundredths,
        collected_at, meter_time_at, total_hundredths, sharp_hundredths, peak_hundredths, flat_hundredths, valley_hundredths
        """

    static func charge(_ row: SQLRow) throws -> Charge {
        try row.decodeRecord(table: "reading", key: .index(0)) {
            try Charge(readingID: row.decode(atIndex: 0), reading: StoreTransaction.reading(row, from: 3),
                       amount: Money(microYuan: row.decode(atIndex: 1)), energy: row.decode(Int64?.self, atIndex: 2).map(Energy.init(hundredths:)))
        }
    }

    /// The account's reading charges, oldest first.
    static func all(account: String, in db: SQLSession) throws -> [Charge] {
        try SQLRow.fetchAll(db.cachedStatement(sql: """
            SELECT \(columns) FROM reading
            WHERE account_id = ? AND balance_after_micro_yuan IS NOT NULL AND charge_micro_yuan IS NOT NULL ORDER BY id
            """), arguments: [account]).map(charge)
    }

    /// The account's reading charges collected at or after `since`, newest first, at most `limit`.
    static func since(_ since: Int64, account: String, limit: Int = .max, in db: SQLSession) throws -> [Charge] {
        var charges: [Charge] = []
        // Newest first through the index: collection instants grow with ids, so the walk stops
        // at the first one before `since`.
        var rows = try SQLRow.fetchCursor(db.cachedStatement(sql: """
            SELECT \(columns) FROM reading
            WHERE account_id = ? AND balance_after_micro_yuan IS NOT NULL AND charge_micro_yuan IS NOT NULL ORDER BY id DESC
            """), arguments: [account])
        while charges.count < limit, let row = try rows.next() {
            // A cursor's row reads numbers unchecked: copied, they are checked as they decode.
            let charge = try charge(row)
            guard StoredInstant.millis(charge.reading.collectedAt) >= since else { break }
            charges.append(charge)
        }
        return charges
    }

    /// The account's last reading charge collected before `instant`, if any.
    static func last(before instant: Int64, account: String, in db: SQLSession) throws -> Charge? {
        try SQLRow.fetchOne(db.cachedStatement(sql: """
            SELECT \(columns) FROM reading
            WHERE account_id = ? AND balance_after_micro_yuan IS NOT NULL AND charge_micro_yuan IS NOT NULL AND collected_at < ?
            ORDER BY id DESC LIMIT 1
            """), arguments: [account, instant]).map(charge)
    }
}
