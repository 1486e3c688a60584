import ChargeControl
import Foundation
import Tariffs

/// How command rows are read: by position, through statements that list the columns.
extension CommandRecord {
    /// The columns `init(row:from:)` decodes, in its order. Decoding by position: by name, GRDB
    /// lower-cases each column name on every lookup, 5 % of the daemon's samples in the p3
    /// profile (claims and acknowledgements read the command twice each). The SQL texts below
    /// list them (`SELECT *` would also bring `updated_at` and `batch`, out of this order);
    /// `CommandRowTests` checks each text's select list against this.
    static let columns = ["id", "account_id", "meter_address", "kind", "reason", "detail", "balance_micro_yuan",
                          "created_at", "not_before", "deadline_at", "attempts", "next_attempt_at", "state", "last_error",
                          "acknowledged_at", "identifier", "value"]

    /// One command by id.
    static let selectByID = """
        SELECT id, account_id, meter_address, kind, reason, detail, balance_micro_yuan, created_at, not_before, deadline_at,
            attempts, next_attempt_at, state, last_error, acknowledged_at, identifier, value
        FROM command WHERE id = ?
        """

    /// An account's commands, newest first.
    static let selectOfAccount = """
        SELECT id, account_id, meter_address, kind, reason, detail, balance_micro_yuan, created_at, not_before, deadline_at,
            attempts, next_attempt_at, state, last_error, acknowledged_at, identifier, value
        FROM command WHERE account_id = ? ORDER BY id DESC LIMIT ?
        """

    /// Pending commands due at ?1 (and ?2), reconnections first, then oldest due first.
    static let selectDue = """
        SELECT id, account_id, meter_address, kind, reason, detail, balance_micro_yuan, created_at, not_before, deadline_at,
            attempts, next_attempt_at, state, last_error, acknowledged_at, identifier, value
        FROM command WHERE state = 'pending' AND next_attempt_at <= ? AND not_before <= ?
        ORDER BY CASE WHEN kind IN ('allow_close', 'direct_close') THEN 0 ELSE 1 END, next_attempt_at, id
        LIMIT ?
        """

    /// Decodes `columns` from the row, starting at position `first`.
    init(row: SQLRow, from i: Int = 0) throws {
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
