import Tariffs

/// A payment row as stored, for checks from outside (the reliability harness).
public struct StoredPayment: Sendable, Hashable {
    public let orderNo: String
    public let accountID: String
    public let amount: Money
    public let balanceAfter: Money
    /// Its ledger entry.
    public let ledgerID: Int64
}

/// The payments on disk and the ledger entries that book them, read in one transaction: each
/// payment must have one ledger entry of its own, and no payment entry may lack its payment.
public struct PaymentsOnDisk: Sendable {
    /// By order number.
    public var payments: [String: StoredPayment]
    /// Ledger entries of kind `payment`.
    public var paymentLedgerEntries: Int
    /// Distinct ledger entries the payments name.
    public var distinctLedgerEntries: Int
}

extension StationStore {
    /// Every payment and the counts of their ledger entries (see `PaymentsOnDisk`). Loads every
    /// payment: for checks, not for the running station.
    public func paymentsOnDisk() async throws -> PaymentsOnDisk {
        try await writer.read { db in
            var payments: [String: StoredPayment] = [:]
            for row in try SQLRow.fetchAll(db, sql: """
                SELECT order_no, account_id, amount_micro_yuan, balance_after_micro_yuan, ledger_id FROM payment
                """) {
                let payment = try row.decodeRecord(table: "payment", key: .index(0)) {
                    try StoredPayment(orderNo: row.decode(atIndex: 0), accountID: row.decode(atIndex: 1),
                                      amount: Money(microYuan: row.decode(atIndex: 2)),
                                      balanceAfter: Money(microYuan: row.decode(atIndex: 3)), ledgerID: row.decode(atIndex: 4))
                }
                payments[payment.orderNo] = payment
            }
            // -1 when a count cannot be had: it then differs from any number of payments.
            let entries = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger WHERE kind = 'payment'") ?? -1
            let distinct = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT ledger_id) FROM payment") ?? -1
            return PaymentsOnDisk(payments: payments, paymentLedgerEntries: entries, distinctLedgerEntries: distinct)
        }
    }

    /// The lowest balance the payment's account can have had from payment `orderNo` up to
    /// `throughMillis` (unix ms): the balance the payment left, less every charge and negative
    /// adjustment booked after it at or before that instant (committed by then or not). nil
    /// when there is no such payment.
    public func lowestBalance(afterPayment orderNo: String, throughMillis: Int64) async throws -> Money? {
        try await writer.read { db in
            guard let paid = try SQLRow.fetchOne(db, sql: """
                SELECT account_id, ledger_id, balance_after_micro_yuan, readings_through FROM payment WHERE order_no = ?
                """, arguments: [orderNo]) else { return nil }
            let (account, ledgerID, balance, readingsThrough) = try paid.decodeRecord(table: "payment", key: .name("account_id")) {
                try (paid.decode(String.self, atIndex: 0), paid.decode(Int64.self, atIndex: 1), paid.decode(Int64.self, atIndex: 2),
                     paid.decode(Int64?.self, atIndex: 3))
            }
            let booked = try Int64.fetchOne(db, sql: """
                SELECT COALESCE(SUM(CASE WHEN kind = 'charge' THEN amount_micro_yuan ELSE -amount_micro_yuan END), 0)
                FROM ledger WHERE account_id = ? AND id > ? AND at <= ?
                    AND (kind = 'charge' OR (kind = 'adjustment' AND amount_micro_yuan < 0))
                """, arguments: [account, ledgerID, throughMillis]) ?? 0
            // Readings charged after the payment: those after the newest reading when it was booked
            // (all of the account's, for a payment booked before readings carried their charges),
            // collected by then.
            let carried = try Int64.fetchOne(db, sql: """
                SELECT COALESCE(SUM(charge_micro_yuan), 0) FROM reading
                WHERE account_id = ? AND balance_after_micro_yuan IS NOT NULL AND id > ? AND collected_at <= ?
                """, arguments: [account, readingsThrough ?? 0, throughMillis]) ?? 0
            let (charges, overflowing) = booked.addingReportingOverflow(carried)
            if overflowing { return Money(microYuan: .min) }
            // The sum only lowers the balance; past Int64 it is lower than any threshold still.
            let (lowest, overflow) = balance.subtractingReportingOverflow(charges)
            return Money(microYuan: overflow ? .min : lowest)
        }
    }
}
