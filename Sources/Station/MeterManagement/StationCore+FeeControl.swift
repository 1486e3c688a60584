import ChargeControl
import Foundation
import Logging
import Store

extension StationCore {
    /// Enrols an account in fee control or releases it (INTERFACES.md "Meter management"), in
    /// one transaction with its audit row and the account's re-evaluation:
    /// - enrol queues the writes of `EnrolmentWrites` (refused, with nothing written, when a
    ///   value cannot go into a meter); the account turns active once all are read back;
    /// - release turns it released at once, and the re-evaluation plans what lifts control.
    /// `actor` names the operator in the audit and the journal.
    @discardableResult
    public func changeFeeControl(_ event: FeeControlEvent, account id: String, reason: String, actor: String? = nil)
        async throws -> AccountRecord
    {
        let now = clock.now
        let evaluator = self.evaluator
        let rules = evaluator.rules
        let why = actor.map { "\(reason) (by \($0))" } ?? reason
        let (move, evaluation, writes) = try await store.transaction { tx in
            let account = try tx.account(id)
            let move = try tx.applyFeeControl(event, account: id, reason: why, at: now)
            var writes: [QueuedCommand] = []
            if move.effects.contains(.queueEnrolmentWrites) {
                for setting in try EnrolmentWrites.settings(for: account, rules: rules, at: now) {
                    let planned = PlannedCommand(kind: .write, reason: .feeControlEnrol, detail: "fee control enrolment: \(why)",
                                                 balance: account.balance, notBefore: now, isDeferred: false, parameter: setting)
                    let queued = try tx.queue(planned, account: id, meter: account.meterAddress, deadline: rules.deadline(from: now), at: now)
                    if queued.isNew { writes.append(QueuedCommand(id: queued.id, command: planned)) }
                }
            }
            return (move, try evaluator.reevaluate(account: id, at: now, in: tx), writes)
        }
        logger.notice("fee control \(move.to.rawValue): \(why)", metadata: [
            "event": "fee_control_\(move.to.rawValue)", "account": "\(id)", "meter": "\(evaluation.meterAddress)",
            "writes_queued": "\(writes.count)",
        ].merging(actor.map { ["operator": "\($0)"] } ?? [:]) { $1 })
        for queued in writes {
            logger.info("queued write \(queued.command.parameter?.identifier ?? "") = \(queued.command.parameter?.value ?? "")",
                        metadata: ["event": "write", "account": "\(id)", "meter": "\(evaluation.meterAddress)",
                                   "command_id": "\(queued.id)", "reason": "\(queued.command.reason.rawValue)"])
        }
        logDecisions(evaluation)
        announce(evaluation)
        if !writes.isEmpty { dispatcherSignal.bump() }
        guard let account = try await store.account(id) else { throw StoreError.unknownAccount(id) }
        return account
    }
}
