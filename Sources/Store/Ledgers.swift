import ChargeControl
import Foundation
import Tariffs

/// Ledger postings: each one inserts an entry and moves the cached balance in the same
/// transaction, so the cache can always be checked against a replay.
enum Ledgers {
    @discardableResult
    static func post(account: String, kind: LedgerEntryKind, amount: Money, at: Int64, reference: String,
                     readingID: Int64? = nil, energy: Energy? = nil, in db: SQLSession) throws -> (id: Int64, balance: Money) {
        // The new balance is computed and bounded here, in Swift: SQLite turns an integer sum
        // that overflows into a REAL, which no later read of the row could decode (issue 17).
        // The balance is the account book's (the row may not have its latest readings yet), and
        // the row moves by the entry's effect.
        let before = try StationStore.account(account, in: db).balance
        let effect = LedgerEntry(kind: kind, amount: amount, at: StoredInstant.date(at), reference: reference).effect
        guard let balance = before.adding(effect, within: AmountBounds.balance) else {
            throw BalanceOutOfBounds(account: account, balance: before, change: effect)
        }
        try insertEntry(account: account, kind: kind, amount: amount, at: at, reference: reference,
                        readingID: readingID, energy: energy, in: db)
        let id = try db.lastInsertedRowID
        try db.executeCached(sql: "UPDATE account SET balance_micro_yuan = balance_micro_yuan + ?, updated_at = ? WHERE id = ?",
                             arguments: [effect.microYuan, at, account])
        return (id, balance)
    }

    /// The entry alone, returning its effect on the balance; the caller moves the balance in
    /// the same transaction.
    @discardableResult
    static func insertEntry(account: String, kind: LedgerEntryKind, amount: Money, at: Int64, reference: String,
                            readingID: Int64? = nil, energy: Energy? = nil, in db: SQLSession) throws -> Money {
        try db.executeCached(sql: """
            INSERT INTO ledger (account_id, kind, amount_micro_yuan, at, reference, reading_id, energy_hundredths)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [account, kind.rawValue, amount.microYuan, at, reference, readingID, energy?.hundredths])
        if let energy, energy != .zero {
            // The account's energy billed in all moves with every charge booked.
            try db.executeCached(sql: "UPDATE account SET billed_hundredths = billed_hundredths + ? WHERE id = ?",
                                 arguments: [energy.hundredths, account])
        }
        return LedgerEntry(kind: kind, amount: amount, at: StoredInstant.date(at), reference: reference).effect
    }

    /// The account's ledger: its entries and its readings' charges (`ReadingCharges`), in time
    /// order (a charge at its reading's collection), the opening first.
    static func entries(account: String, in db: SQLSession) throws -> [LedgerEntry] {
        let booked = try SQLRow.fetchAll(db.cachedStatement(sql: """
            SELECT id, kind, amount_micro_yuan, at, reference FROM ledger WHERE account_id = ? ORDER BY id
            """), arguments: [account]).map { row in
            try row.decodeRecord(table: "ledger", key: .index(0)) {
                try LedgerEntry(kind: row.decode(atIndex: 1), amount: Money(microYuan: row.decode(atIndex: 2)),
                                at: StoredInstant.date(row.decode(atIndex: 3)), reference: row.decode(atIndex: 4))
            }
        }
        let charged = try ReadingCharges.all(account: account, in: db).map(\.entry)
        guard !charged.isEmpty else { return booked }
        // Stable: entries at the same instant keep their order, booked ones first.
        return (booked + charged).enumerated().sorted { a, b in
            let (ka, kb) = (a.element.kind == .opening ? 0 : 1, b.element.kind == .opening ? 0 : 1)
            if ka != kb { return ka < kb }
            if a.element.at != b.element.at { return a.element.at < b.element.at }
            return a.offset < b.offset
        }.map(\.element)
    }
}

/// A posting that would take a balance past ±`AmountBounds.balance`: refused, nothing written.
public struct BalanceOutOfBounds: Error, Sendable, Hashable, CustomStringConvertible {
    public let account: String
    /// The balance before the posting.
    public let balance: Money
    /// The posting's effect on the balance.
    public let change: Money

    public init(account: String, balance: Money, change: Money) {
        self.account = account
        self.balance = balance
        self.change = change
    }

    public var description: String {
        let after = balance.adding(change).map { "\($0.yuanString) yuan" } ?? "beyond 64 bits"
        return "account \(account): \(change.yuanString) yuan on a balance of \(balance.yuanString) would make it \(after); "
            + "a balance must stay between -\(AmountBounds.balance.yuanString) and \(AmountBounds.balance.yuanString) yuan"
    }
}

/// An account whose cached balance differs from the replay of its ledger.
public struct BalanceMismatch: Sendable, Hashable {
    public let accountID: String
    public let stored: Money
    public let replayed: Money?
}

extension StationStore {
    /// The account's ledger entries in posting order.
    public func ledger(account: String) async throws -> [LedgerEntry] {
        try await writer.read { db in try Ledgers.entries(account: account, in: db) }
    }

    /// Replays every account's ledger and lists those whose stored balance disagrees. The stored
    /// balance is the row's, less the charges of the readings the row has not received yet
    /// (`AccountBook`): what a restart would load.
    public func verifyBalances() async throws -> [BalanceMismatch] {
        try await writer.read { db in
            var mismatches: [BalanceMismatch] = []
            let accounts = try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT a.id, a.balance_micro_yuan - COALESCE(u.charged, 0) FROM account AS a
                LEFT JOIN (\(AccountBook.unfoldedCharges)) AS u ON u.account_id = a.id ORDER BY a.id
                """))
            for row in accounts {
                let (id, stored) = try row.decodeRecord(table: "account", key: .index(0)) {
                    try (row.decode(String.self, atIndex: 0), Money(microYuan: row.decode(atIndex: 1)))
                }
                // nil when the replay overflows or an entry cannot be read: listed as a mismatch either way.
                let replayed = try? Ledger.balance(replaying: try Ledgers.entries(account: id, in: db))
                if replayed != stored {
                    mismatches.append(BalanceMismatch(accountID: id, stored: stored, replayed: replayed))
                }
            }
            return mismatches
        }
    }
}
