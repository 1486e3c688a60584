import Foundation

/// Retention's fold of old charges: once a reading is deleted, the charge it carried in the
/// ledger is no more than an amount and an energy at an instant. In the batch that deletes the
/// readings, such charges (`reading_id` just cleared) are folded, per account, into one entry
/// per station day: consecutive loose charges — never across a payment, an adjustment or the
/// opening — of the same local day become their last entry, carrying their summed amount and
/// energy. Sums, so every balance, the ledger replay and every statement month (which start at
/// local midnights) are exactly what they were; the ledger grows by one row per account and day
/// instead of one per reading, and the database stays bounded while meters are read flat out.
/// The audit trail is not touched.
///
/// The work is the batch's: each account's newly loose charges, plus the entries back to the
/// start of their day — usually one, the entry the previous batch folded that day into.
enum ChargeCompaction {
    struct Entry {
        let id: Int64
        let isLooseCharge: Bool
        let amount: Int64
        let energy: Int64?
        let at: Int64
        let reference: String
    }

    /// Groups of consecutive loose charges on one local day, each at least two entries long.
    static func groups(_ entries: [Entry], calendar: Calendar) -> [[Entry]] {
        var groups: [[Entry]] = []
        var current: [Entry] = []
        for entry in entries {
            if entry.isLooseCharge, let last = current.last, sameDay(last, entry, calendar) {
                current.append(entry)
                continue
            }
            if current.count > 1 { groups.append(current) }
            current = entry.isLooseCharge ? [entry] : []
        }
        if current.count > 1 { groups.append(current) }
        return groups
    }

    static func sameDay(_ a: Entry, _ b: Entry, _ calendar: Calendar) -> Bool {
        calendar.isDate(StoredInstant.date(a.at), inSameDayAs: StoredInstant.date(b.at))
    }

    private static let columns = "id, kind, amount_micro_yuan, energy_hundredths, at, reading_id, reference"

    static func entry(_ row: SQLRow) throws -> Entry {
        try row.decodeRecord(table: "ledger", key: .index(0)) {
            try Entry(id: row.decode(atIndex: 0), isLooseCharge: row.decode(String.self, atIndex: 1) == "charge" && row.hasNull(atIndex: 5),
                      amount: row.decode(atIndex: 2), energy: row.decode(Int64?.self, atIndex: 3), at: row.decode(atIndex: 4),
                      reference: row.decode(atIndex: 6))
        }
    }

    /// Folds each account's loose charges among `loose` (ledger ids whose reading was just
    /// deleted, by account) with the loose charges of the same day before them.
    static func fold(loose: [String: [Int64]], zone: TimeZone, in db: SQLSession) throws -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var merged = 0
        for (account, ids) in loose {
            guard let first = ids.min(), let last = ids.max() else { continue }
            // The batch's range of the account's ledger (separators included), in id order …
            var entries = try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT \(columns) FROM ledger WHERE account_id = ? AND id BETWEEN ? AND ? ORDER BY id
                """), arguments: [account, first, last]).map(entry)
            // … and back while the entries before it are loose charges of the first one's day.
            var before = first
            while let anchor = entries.first,
                  let row = try SQLRow.fetchOne(db.cachedStatement(sql: """
                      SELECT \(columns) FROM ledger WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT 1
                      """), arguments: [account, before]) {
                let previous = try entry(row)
                guard previous.isLooseCharge, sameDay(previous, anchor, calendar) else { break }
                entries.insert(previous, at: 0)
                before = previous.id
            }
            for group in groups(entries, calendar: calendar) { merged += try write(group, zone: zone, in: db) }
        }
        return merged
    }

    /// The group's last entry takes the sums; the others go. Returns how many went.
    private static func write(_ group: [Entry], zone: TimeZone, in db: SQLSession) throws -> Int {
        guard let last = group.last else { return 0 }
        let amount = group.reduce(Int64(0)) { $0 + $1.amount }
        let energies = group.compactMap(\.energy)
        // A folded entry counts the charges inside the entries it folds (its own reference says how many).
        let count = group.reduce(0) { $0 + (foldedCount($1.reference) ?? 1) }
        try db.execute(sql: "UPDATE ledger SET amount_micro_yuan = ?, energy_hundredths = ?, reference = ? WHERE id = ?",
                       arguments: [amount, energies.isEmpty ? nil : energies.reduce(0, +),
                                   foldedReference(count: count, at: last.at, zone: zone), last.id])
        for entry in group.dropLast() {
            try db.execute(sql: "DELETE FROM ledger WHERE id = ?", arguments: [entry.id])
        }
        return group.count - 1
    }

    /// Books the charges of readings about to be deleted (rows of `id, account_id,
    /// charge_micro_yuan, energy_hundredths, collected_at`): per account and station day, into
    /// that day's folded entry when it has one, else into a new one at the day's last charge.
    /// Returns how many charges it booked.
    static func book(_ rows: [SQLRow], zone: TimeZone, in db: SQLSession) throws -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        struct Day: Hashable { let account: String; let start: Int64 }
        var days: [Day: (amount: Int64, energy: Int64, count: Int, last: Int64)] = [:]
        for row in rows {
            let (account, amount, energy, at) = try row.decodeRecord(table: "reading", key: .index(0)) {
                try (row.decode(String.self, atIndex: 1), row.decode(Int64.self, atIndex: 2), row.decode(Int64?.self, atIndex: 3) ?? 0,
                     row.decode(Int64.self, atIndex: 4))
            }
            let day = Day(account: account, start: StoredInstant.millis(calendar.startOfDay(for: StoredInstant.date(at))))
            let sum = days[day] ?? (0, 0, 0, at)
            days[day] = (sum.amount + amount, sum.energy + energy, sum.count + 1, max(sum.last, at))
        }
        for (day, sum) in days {
            let end = StoredInstant.millis(calendar.date(byAdding: .day, value: 1, to: StoredInstant.date(day.start)) ?? .distantFuture)
            let existing = try SQLRow.fetchOne(db.cachedStatement(sql: """
                SELECT \(columns) FROM ledger
                WHERE account_id = ? AND kind = 'charge' AND reading_id IS NULL AND at >= ? AND at < ? ORDER BY id DESC LIMIT 1
                """), arguments: [day.account, day.start, end]).map(entry)
            if let existing, let held = foldedCount(existing.reference) {
                try db.execute(sql: "UPDATE ledger SET amount_micro_yuan = ?, energy_hundredths = ?, reference = ?, at = ? WHERE id = ?",
                               arguments: [existing.amount + sum.amount, (existing.energy ?? 0) + sum.energy,
                                           foldedReference(count: held + sum.count, at: sum.last, zone: zone), max(existing.at, sum.last),
                                           existing.id])
            } else {
                try db.execute(sql: """
                    INSERT INTO ledger (account_id, kind, amount_micro_yuan, at, reference, energy_hundredths)
                    VALUES (?, 'charge', ?, ?, ?, ?)
                    """, arguments: [day.account, sum.amount, sum.last, foldedReference(count: sum.count, at: sum.last, zone: zone),
                                     sum.energy])
            }
        }
        return rows.count
    }

    /// A folded entry's reference: how many charges it holds and of which station day (the day of
    /// `at`, in `zone`); `foldedCount` reads the number back.
    static func foldedReference(count: Int, at: Int64, zone: TimeZone) -> String {
        let day = StoredInstant.date(at).formatted(Date.ISO8601FormatStyle(timeZone: zone).year().month().day())
        return "\(count) charges of \(day), readings past retention"
    }

    /// How many charges a folded entry's reference says it holds, or nil for an unfolded one.
    static func foldedCount(_ reference: String) -> Int? {
        guard reference.hasSuffix(", readings past retention"), let n = reference.split(separator: " ").first else { return nil }
        return Int(n)
    }
}
