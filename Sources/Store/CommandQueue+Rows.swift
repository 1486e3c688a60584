import ChargeControl
import Foundation
import GRDB
import Tariffs

/// How command rows are read: by position, through statements that list the columns.
extension CommandRecord {
    /// The columns `init(row:from:)` decodes, in its order. Decoding by position: by name, GRDB
    /// lower-cases each column name on every lookup, 5 % of the daemon's samples in the p3
    /// profile (claims and acknowledgements read the command twice each). The SQL texts below
    /// list them (`SELECT *` would also bring `updated_at` and `batch`, out of this order).
    static let columns = ["id", "account_id", "meter_address", "kind", "reason", "detail", "balance_micro_yuan",
                          "created_at", "not_before", "deadline_at", "attempts", "next_attempt_at", "state", "last_error",
                          "acknowledged_at", "identifier", "value"]

    /// `columns` for a select list, each prefixed with `alias.` when given.
    static func selectList(alias: String? = nil) -> String {
        columns.map { column in alias.map { "\($0).\(column)" } ?? column }.joined(separator: ", ")
    }

    /// One command by id.
    static let selectByID = "SELECT \(selectList()) FROM command WHERE id = ?"

    /// An account's commands, newest first.
    static let selectOfAccount = "SELECT \(selectList()) FROM command WHERE account_id = ? ORDER BY id DESC LIMIT ?"

    /// Decodes `columns` from the row, starting at position `first`.
    init(row: Row, from i: Int = 0) throws {
        self = try row.decodeRecord(table: "command", key: .index(i)) {
            try CommandRecord(
                id: row.decode(atIndex: i), accountID: row.decode(atIndex: i + 1),
                meterAddress: row.decode(atIndex: i + 2), kind: row.decode(atIndex: i + 3),
                reason: row.decode(atIndex: i + 4), detail: row.decode(atIndex: i + 5),
                balanceSeen: Money(microYuan: row.decode(atIndex: i + 6)),
                createdAt: StoredInstant.date(row.decode(atIndex: i + 7)),
                notBefore: StoredInstant.date(row.decode(atIndex: i + 8)),
                deadline: StoredInstant.date(row.decode(atIndex: i + 9)),
                attempts: row.decode(atIndex: i + 10),
                nextAttemptAt: StoredInstant.date(row.decode(atIndex: i + 11)),
                state: row.decode(atIndex: i + 12), lastError: row.decode(atIndex: i + 13),
                acknowledgedAt: row.decode(Int64?.self, atIndex: i + 14).map(StoredInstant.date),
                parameter: row.decode(String?.self, atIndex: i + 15).map { identifier in
                    ParameterSetting(identifier: identifier, value: try row.decode(String?.self, atIndex: i + 16) ?? "")
                })
        }
    }
}
