import Foundation
import GRDB

/// What one compaction batch did, and where the next one starts.
public struct CompactionBatch: Sendable, Hashable {
    /// Charge entries folded into another (deleted).
    public let merged: Int
    /// The next batch starts after this account id; nil: every account has been looked at.
    public let resumeAfter: String?
}

/// Retention's third step: once a reading is gone, the charge it carried in the ledger is no more
/// than an amount and an energy at an instant. Such charges (`reading_id` NULL, older than the
/// readings' cutoff) are folded, per account, into one entry per station day: consecutive ones —
/// never across a payment, an adjustment or the opening — of the same local day become their last
/// entry, carrying their summed amount and energy. Sums, so every balance, the ledger replay and
/// every statement month (which start at local midnights) are exactly what they were; the ledger
/// then grows by one row per account and day instead of one per reading, and the database stays
/// bounded while meters are read flat out. The audit trail is not touched.
enum ChargeCompaction {
    struct Entry {
        let id: Int64
        let isLooseCharge: Bool
        let amount: Int64
        let energy: Int64?
        let at: Int64
    }

    /// Groups of consecutive loose charges on one local day, each at least two entries long.
    static func groups(_ entries: [Entry], zone: TimeZone) -> [[Entry]] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        func day(_ e: Entry) -> DateComponents {
            calendar.dateComponents([.year, .month, .day], from: StoredInstant.date(e.at))
        }
        var groups: [[Entry]] = []
        var current: [Entry] = []
        for entry in entries {
            if entry.isLooseCharge, let last = current.last, day(last) == day(entry) {
                current.append(entry)
                continue
            }
            if current.count > 1 { groups.append(current) }
            current = entry.isLooseCharge ? [entry] : []
        }
        if current.count > 1 { groups.append(current) }
        return groups
    }

    /// Folds the loose charges of `accounts` before `cutoff`; returns how many entries went.
    static func compact(accounts: [String], before cutoff: Int64, zone: TimeZone, in db: Database) throws -> Int {
        var merged = 0
        for account in accounts {
            let entries = try Row.fetchAll(db, sql: """
                SELECT id, kind, amount_micro_yuan, energy_hundredths, at, reading_id FROM ledger
                WHERE account_id = ? AND at < ? ORDER BY id
                """, arguments: [account, cutoff]).map { row in
                try row.decodeRecord(table: "ledger", key: .index(0)) {
                    try Entry(id: row.decode(atIndex: 0),
                              isLooseCharge: row.decode(String.self, atIndex: 1) == "charge" && row.hasNull(atIndex: 5),
                              amount: row.decode(atIndex: 2), energy: row.decode(Int64?.self, atIndex: 3), at: row.decode(atIndex: 4))
                }
            }
            for group in groups(entries, zone: zone) {
                guard let last = group.last else { continue }
                let amount = group.reduce(Int64(0)) { $0 + $1.amount }
                let energies = group.compactMap(\.energy)
                let day = StoredInstant.date(last.at).formatted(Date.ISO8601FormatStyle(timeZone: zone).year().month().day())
                try db.execute(sql: """
                    UPDATE ledger SET amount_micro_yuan = ?, energy_hundredths = ?, reference = ? WHERE id = ?
                    """, arguments: [amount, energies.isEmpty ? nil : energies.reduce(0, +),
                                     "\(group.count) charges of \(day), readings past retention", last.id])
                for entry in group.dropLast() {
                    try db.execute(sql: "DELETE FROM ledger WHERE id = ?", arguments: [entry.id])
                }
                merged += group.count - 1
            }
        }
        return merged
    }
}

extension StationStore {
    /// One batch of charge compaction (`ChargeCompaction`): up to `accounts` accounts after
    /// `cursor` (nil: from the first), in one bulk-lane transaction. Call again with
    /// `resumeAfter` until it is nil.
    public func compactCharges(before cutoff: Date, zone: TimeZone, after cursor: String? = nil,
                               accounts limit: Int = 50) async throws -> CompactionBatch {
        let cutoffMillis = StoredInstant.millis(cutoff)
        let limit = max(1, limit)
        let accounts = try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM account WHERE id > ? ORDER BY id LIMIT ?", arguments: [cursor ?? "", limit])
        }
        guard !accounts.isEmpty else { return CompactionBatch(merged: 0, resumeAfter: nil) }
        let merged = try await write(.bulk) { db in
            try ChargeCompaction.compact(accounts: accounts, before: cutoffMillis, zone: zone, in: db)
        }
        return CompactionBatch(merged: merged, resumeAfter: accounts.count < limit ? nil : accounts.last)
    }
}
