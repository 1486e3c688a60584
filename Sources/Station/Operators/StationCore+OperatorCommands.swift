import ChargeControl
import Foundation
import Logging
import Store

/// An operator's remote-control command as the station queued it.
public struct OperatorCommand: Sendable, Hashable {
    /// The command in the queue: new, or an equal one already waiting (`isNew` false).
    public let command: CommandRecord
    public let isNew: Bool
    /// What the policy makes of it: whether its next evaluation will undo it.
    public let note: String
}

/// Why an operator's command was refused; nothing was queued.
public enum OperatorCommandRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not one of the 1CH kinds.
    case notRemoteControl(String)
    /// No account owns the meter.
    case unknownMeter(String)
    /// A trip for an account that is protected (itself or by its customer class).
    case protectedTrip(account: String, meter: String)

    public var description: String {
        switch self {
        case .notRemoteControl(let kind):
            let kinds = CommandKind.allCases.filter(\.isRemoteControl).map(\.rawValue).joined(separator: ", ")
            return "kind must be one of \(kinds), not \"\(kind)\""
        case .unknownMeter(let meter): return "no account owns meter \(meter)"
        case .protectedTrip(let account, let meter):
            return "account \(account) (meter \(meter)) is protected: the station does not trip it, not even for an operator"
        }
    }
}

extension StationCore {
    /// Queues an operator's 1CH command for `meter` in the durable queue, like the policy's
    /// commands (same retries, deadline, supersession and review), with reason `operator_request`,
    /// audited and journaled with the operator's name (`actor`, else the request's `AuditActor`).
    ///
    /// The dispatcher sends it even when the policy does not plan it, except a trip whose account
    /// became protected meanwhile (`ControlEffects.recheck`). The policy is not told to keep it:
    /// when its next evaluation of the account plans the opposite (a trip of an account with
    /// money is followed by an allow-close), it does so; the returned `note` says whether that
    /// will happen. Releasing fee control (or protecting the account) keeps the policy out.
    public func queueOperatorCommand(_ kind: CommandKind, meter: String, reason: String, actor: String? = nil) async throws
        -> OperatorCommand
    {
        guard kind.isRemoteControl else { throw OperatorCommandRefusal.notRemoteControl(kind.rawValue) }
        let actor = actor ?? AuditActor.current
        let now = clock.now
        let rules = evaluator.rules
        let by = actor ?? "an operator"
        let (accountID, queued, note) = try await AuditActor.$current.withValue(actor) {
            try await store.transaction { tx -> (String, (id: Int64, isNew: Bool), String) in
                guard let id = try tx.accountID(meter: meter) else { throw OperatorCommandRefusal.unknownMeter(meter) }
                let account = try tx.account(id)
                let settings = try rules.settings(for: account)
                if kind == .trip && settings.isProtected { throw OperatorCommandRefusal.protectedTrip(account: id, meter: meter) }
                let note = Self.policyNote(kind, account: account, settings: settings, rules: rules, at: now)
                let planned = PlannedCommand(kind: kind, reason: .operatorRequest, detail: "\(by): \(reason)",
                                             balance: account.balance, notBefore: now, isDeferred: false)
                let queued = try tx.queue(planned, account: id, meter: meter, deadline: rules.deadline(from: now), at: now)
                if !queued.isNew {
                    // The request left no command of its own: its row says who asked, and for what.
                    try tx.audit(AuditEvent(at: now, event: "operator_request", accountID: id, meterAddress: meter, commandID: queued.id,
                                            detail: "\(by) asked for \(kind.rawValue): \(reason); command \(queued.id) was already waiting, kept"))
                }
                return (id, queued, note)
            }
        }
        let command = try await store.command(queued.id)
        var metadata: Logger.Metadata = [
            "event": "\(kind.rawValue)", "account": "\(accountID)", "meter": "\(meter)", "command_id": "\(queued.id)",
            "reason": "\(DecisionReason.operatorRequest.rawValue)",
        ]
        if let actor { metadata["operator"] = "\(actor)" }
        let kept = queued.isNew ? "" : " (an equal command was already waiting: kept it)"
        logger.notice("operator queued \(kind.rawValue): \(reason)\(kept)", metadata: metadata)
        dispatcherSignal.bump()
        return OperatorCommand(command: command, isNew: queued.isNew, note: note)
    }

    /// Whether the policy, seeing the meter as `kind` leaves it, plans something of the same group
    /// (its next evaluation would undo the operator's command).
    static func policyNote(_ kind: CommandKind, account: AccountRecord, settings: ControlSettings, rules: EvaluationRules,
                           at now: Date) -> String {
        let data: DataStatus = account.state == .abnormal ? .abnormal([]) : .normal
        let plan = rules.policy.evaluate(balance: account.balance, settings: settings, meter: account.meter.after(kind), data: data, at: now)
        guard let undo = plan.commands.first(where: { $0.kind.group == kind.group }) else {
            return "sent as asked; the policy plans nothing against it at balance \(account.balance.yuanString) yuan"
        }
        return """
            sent as asked, but the policy will undo it at the account's next evaluation: it plans \(undo.kind.rawValue) \
            (\(undo.detail)); release fee control to keep it
            """
    }
}
