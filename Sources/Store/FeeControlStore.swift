import ChargeControl
import Foundation

extension StoreTransaction {
    /// Moves the account's fee control by `event` (the pure `FeeControlLifecycle` decides), with
    /// one audit row `fee_control_<state>` naming the reason. Returns the move, whose effects the
    /// caller carries out in this transaction.
    @discardableResult
    public func applyFeeControl(_ event: FeeControlEvent, account id: String, reason: String, at now: Date) throws
        -> FeeControlTransition
    {
        let account = try account(id)
        let move = FeeControlLifecycle.transition(from: account.feeControl, on: event)
        try db.executeCached(sql: "UPDATE account SET fee_control = ?, updated_at = ? WHERE id = ?",
                             arguments: [move.to.rawValue, StoredInstant.millis(now), id])
        try audit(AuditEvent(at: now, event: "fee_control_\(move.to.rawValue)", accountID: id, meterAddress: account.meterAddress,
                             balanceMicroYuan: account.balance.microYuan,
                             detail: "\(event.rawValue): \(account.feeControl.rawValue) → \(move.to.rawValue): \(reason)"))
        return move
    }
}

enum FeeControlProgress {
    /// After a write was acknowledged: a pending account whose writes are all confirmed (none
    /// pending, in flight or in review) turns active. Any live write counts, not only the
    /// enrolment's own: a newer value that superseded one of them must be confirmed too.
    static func writeConfirmed(_ command: CommandRecord, at now: Date, in db: SQLSession) throws {
        guard command.kind == .write else { return }
        let tx = StoreTransaction(db: db)
        guard try tx.account(command.accountID).feeControl == .pending else { return }
        let outstanding = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(*) FROM command WHERE account_id = ? AND kind = 'write' AND state IN ('pending', 'in_flight', 'review')
            """), arguments: [command.accountID]) ?? 0
        guard outstanding == 0 else { return }
        try tx.applyFeeControl(.writesConfirmed, account: command.accountID,
                               reason: "every parameter written was confirmed by reading it back", at: now)
    }
}
