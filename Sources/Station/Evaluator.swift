import ChargeControl
import Foundation
import Store
import Tariffs

/// What one evaluation did.
public struct Evaluation: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// The meter's first reading: nothing to bill.
        case baseline
        /// An interval billed.
        case billed(charge: Money, energy: Energy)
        /// An abnormal reading: not billed, listed for review, no adverse decision.
        case abnormal([AbnormalReason])
        /// A reading while the account's review item `reviewItem` is open: stored with its own
        /// verdict (these reasons; empty when it looked normal), not billed, no adverse decision
        /// (`AbnormalDataHold`).
        case held([AbnormalReason], reviewItem: Int64)
        /// No reading: a re-decision from the stored balance (payment, adjustment, window).
        case reevaluated
    }

    public let accountID: String
    public let meterAddress: String
    public let readingID: Int64?
    public let outcome: Outcome
    public let balance: Money
    public let plan: ControlPlan
    /// Commands queued (or already queued and kept) for this plan.
    public let commandIDs: [Int64]
    /// The commands this evaluation newly queued: the decisions to log.
    public let newCommands: [QueuedCommand]
    /// Notifications it wrote to the outbox.
    public let notifications: Int
    /// It raised the second alarm level (alarm limit 2): journaled `EVENT=alarm2`.
    public var secondAlarmRaised = false
}

extension Evaluation {
    /// The evaluation with one more command it queued besides the plan's (a clock correction).
    func adding(_ queued: QueuedCommand) -> Evaluation {
        var more = Evaluation(accountID: accountID, meterAddress: meterAddress, readingID: readingID, outcome: outcome, balance: balance,
                              plan: plan, commandIDs: commandIDs + [queued.id], newCommands: newCommands + [queued],
                              notifications: notifications)
        more.secondAlarmRaised = secondAlarmRaised
        return more
    }
}

extension Evaluator {
    /// The second alarm level (`SecondAlarm`): raised or cleared with its audit row; true when it
    /// was raised now (the low-balance notice of level 2 goes out).
    func decideSecondAlarm(_ account: AccountRecord, balance: Money, settings: ControlSettings, data: DataStatus,
                           at now: Date, in tx: StoreTransaction) throws -> Bool {
        let limit = rules.alarm2(for: account, settings: settings)
        switch SecondAlarm.change(isRaised: account.alarm2At != nil, balance: balance, limit: limit, settings: settings, data: data) {
        case .raise?:
            try tx.setSecondAlarm(account: account, raisedAt: now,
                                  detail: "balance \(balance.yuanString) at or below alarm limit 2 \(limit.yuanString)", now: now)
            return true
        case .clear?:
            try tx.setSecondAlarm(account: account, raisedAt: nil,
                                  detail: "balance \(balance.yuanString), fee control \(settings.feeControl.rawValue): alarm limit 2 cleared",
                                  now: now)
            return false
        case nil:
            return false
        }
    }
}

/// A command the evaluation put in the queue, with its queue id.
public struct QueuedCommand: Sendable, Hashable {
    public let id: Int64
    public let command: PlannedCommand
}

/// Reading → validation → rating → balance → policy → commands, inside one store transaction.
/// Pure rules (Tariffs, ChargeControl) decide; this type only wires them to the store.
public struct Evaluator: Sendable {
    public var rules: EvaluationRules

    public init(rules: EvaluationRules) { self.rules = rules }

    /// Applies a new reading of the account's meter; `meter` is its state when status word 3 was
    /// read along with the energy. That state is ignored when the stored one was seen later (a
    /// command acknowledged while the reading waited for its group commit): stale, it would
    /// undo the acknowledgement and queue the same command again.
    public func apply(reading: MeterReading, meter: MeterState?, account id: String, at now: Date,
                      in tx: StoreTransaction) throws -> Evaluation {
        let (account, baseline) = try tx.accountForReading(id)
        return try apply(reading: reading, meter: meter, to: account, baseline: baseline, at: now, in: tx)
    }

    /// `apply` with the account and its baseline as read in this transaction
    /// (`StoreTransaction.accountForReading`). Writes the reading with its charge, and stages the
    /// account's new state in the account book (plus commands, audit, notifications and the
    /// account row's control state when the decision changes).
    public func apply(reading: MeterReading, meter: MeterState?, to account: AccountRecord, baseline previous: MeterReading?,
                      at now: Date, in tx: StoreTransaction) throws -> Evaluation {
        let id = account.id
        let fresh = account.meterStateAt.map { reading.collectedAt >= $0 } ?? true
        let meter = fresh ? meter : nil
        let tariff = try rules.tariff(for: account)
        // An open reading item always leaves the account in state `abnormal` (the policy's state
        // while it is held), so the item is looked up only then: one index probe for the few
        // accounts in doubt, none for the rest.
        let heldBy = account.state == .abnormal ? try tx.readingReviewHolding(account: id) : nil
        let verdict = rules.limits.validate(reading, after: previous)
        var disposition = AbnormalDataHold.disposition(of: verdict, openReviewItem: heldBy)
        var rated: RatedInterval?
        if case .bill(let interval) = disposition {
            switch Self.rate(interval, tariff: tariff, account: account) {
            case .billable(let interval): rated = interval
            case .unbillable(let reason): disposition = .openReview([reason])
            }
        }
        let reasons: [AbnormalReason] = switch disposition {
        case .baseline, .bill: []
        case .openReview(let reasons), .held(let reasons, _): reasons
        }
        // What the reading does to the account when it becomes the baseline: carried on its row
        // (the ledger of its charge: no ledger entry), so that a restart can replay it before the
        // account row has it (`AccountBook`).
        var balance = account.balance
        var effect: StoreTransaction.ReadingEffect?
        let outcome: Evaluation.Outcome
        switch disposition {
        case .baseline:
            effect = .init(charge: nil, energy: nil, balanceAfter: balance,
                           position: account.tierYearStart == nil ? tariff.position(yearToDate: .zero, at: reading.collectedAt) : nil)
            outcome = .baseline
        case .bill(let interval):
            guard let rated else { throw EvaluationError.rating(account: id, problem: "interval accepted but not rated") }
            // Checked by `rate` already: the charged balance is within bounds.
            balance = balance.adding(Money(microYuan: 0 &- rated.charge.microYuan)) ?? balance
            effect = .init(charge: rated.charge, energy: interval.consumption.total, balanceAfter: balance, position: rated.position)
            outcome = .billed(charge: rated.charge, energy: interval.consumption.total)
        case .openReview(let reasons):
            outcome = .abnormal(reasons)
        case .held(let reasons, let item):
            outcome = .held(reasons, reviewItem: item)
        }
        let readingID = try tx.insertReading(reading, account: id, abnormal: reasons, baseline: effect)
        if let effect {
            try tx.takeBaseline(readingID, reading: reading, of: id, effect: effect, at: now)
        }
        let clockSetting = try correctClock(reading, of: account, at: now, in: tx)
        switch disposition {
        case .baseline, .bill:
            break
        case .openReview(let reasons):
            let text = reasons.map(\.description).joined(separator: "; ")
            try tx.openReadingReview(account: id, meter: account.meterAddress, readingID: readingID, reason: text, at: now)
            try tx.audit(AuditEvent(at: now, event: "abnormal", accountID: id, meterAddress: account.meterAddress,
                                    balanceMicroYuan: balance.microYuan, detail: text))
        case .held(let reasons, let item):
            // One item per account: a later abnormal reading is audited, not listed again, so
            // the operator resolves the first one and billing goes on from what they decide.
            if !reasons.isEmpty {
                try tx.audit(AuditEvent(at: now, event: "abnormal", accountID: id, meterAddress: account.meterAddress,
                                        balanceMicroYuan: balance.microYuan,
                                        detail: reasons.map(\.description).joined(separator: "; ") + "; held by review item \(item)"))
            }
        }
        let evaluation = try decide(account: account, balance: balance, meter: meter ?? account.meter, meterSeenAt: reading.collectedAt,
                                    data: disposition.dataStatus, readingID: readingID, outcome: outcome, at: now, in: tx)
        return clockSetting.map(evaluation.adding) ?? evaluation
    }

    /// A reading whose meter clock is off by more than `[meters] clock_tolerance` queues the
    /// correction (`ClockCorrection`): broadcast time within ±5 minutes, a date and time write
    /// beyond. Nil when the clock was not read, is right, or its correction is already queued.
    private func correctClock(_ reading: MeterReading, of account: AccountRecord, at now: Date,
                              in tx: StoreTransaction) throws -> QueuedCommand? {
        guard let meterTime = reading.meterTime else { return nil }
        let offset = meterTime.unixSeconds - reading.collectedAt.unixSeconds
        guard let kind = ClockCorrection.command(offsetSeconds: offset, toleranceSeconds: rules.clockToleranceSeconds) else {
            return nil
        }
        let planned = PlannedCommand(kind: kind, reason: .clockCorrection,
                                     detail: "meter clock \(offset) s off the station's (tolerance \(rules.clockToleranceSeconds) s)",
                                     balance: account.balance, notBefore: now, isDeferred: false)
        let queued = try tx.queue(planned, account: account.id, meter: account.meterAddress, deadline: rules.deadline(from: now), at: now)
        return queued.isNew ? QueuedCommand(id: queued.id, command: planned) : nil
    }

    /// The interval's charge, or why it cannot be billed: a charge that does not fit, or one that
    /// would take the balance past `AmountBounds.balance`. Such a reading is abnormal (reviewed,
    /// not billed, no adverse decision) instead of an error that stops its batch (issue 17).
    static func rate(_ interval: MeterInterval, tariff: Tariff, account: AccountRecord) -> Billing {
        let position = account.tierYearStart.map { TierYearPosition(yearStart: $0, used: account.tierYearUsed) }
            ?? tariff.position(yearToDate: .zero, at: interval.from)
        let rated: RatedInterval
        do {
            rated = try tariff.rate(interval.consumption, from: interval.from, to: interval.to, position: position)
        } catch {
            return .unbillable(.unbillable(error.description))
        }
        let charge = Money(microYuan: 0 &- rated.charge.microYuan)
        guard account.balance.adding(charge, within: AmountBounds.balance) != nil else {
            return .unbillable(.unbillable(BalanceOutOfBounds(account: account.id, balance: account.balance, change: charge).description))
        }
        return .billable(rated)
    }

    /// An interval's charge, or why it has none.
    enum Billing {
        case billable(RatedInterval)
        case unbillable(AbnormalReason)
    }

    /// Re-decides from the stored balance: after a payment or adjustment, when a deferred trip's
    /// window opens, or after a configuration reload.
    public func reevaluate(account id: String, at now: Date, in tx: StoreTransaction) throws -> Evaluation {
        let account = try tx.account(id)
        // On hold while an abnormal-reading item is open, whatever readings came since; looked
        // up whatever the account's state, as the dispatcher's re-check before a send relies on it.
        let data: DataStatus = try tx.readingReviewHolding(account: id) == nil ? .normal : .abnormal([])
        return try decide(account: account, balance: account.balance, meter: account.meter, data: data,
                          readingID: nil, outcome: .reevaluated, at: now, in: tx)
    }

    /// What a reading changes on the account besides the decision: written with it in one update.
    struct ReadingUpdate {
        var balanceDelta = Money.zero
        var accepted: StoreTransaction.AcceptedReading?
    }

    func decide(account: AccountRecord, balance: Money, meter: MeterState, meterSeenAt: Date? = nil, data: DataStatus,
                        readingID: Int64?, outcome: Evaluation.Outcome, update: ReadingUpdate = .init(),
                        at now: Date, in tx: StoreTransaction) throws -> Evaluation {
        let settings = try rules.settings(for: account)
        let plan = rules.policy.evaluate(balance: balance, settings: settings, meter: meter, data: data, at: now)
        var ids: [Int64] = []
        var new: [QueuedCommand] = []
        for command in plan.commands {
            let queued = try tx.queue(command, account: account.id, meter: account.meterAddress,
                                      deadline: rules.deadline(from: max(now, command.notBefore)), at: now)
            ids.append(queued.id)
            if queued.isNew { new.append(QueuedCommand(id: queued.id, command: command)) }
        }
        if plan.state != account.state {
            let held = plan.held.map { "\($0.reason.rawValue): \($0.detail)" }.joined(separator: "; ")
            try tx.audit(AuditEvent(at: now, event: "state_change", accountID: account.id, meterAddress: account.meterAddress,
                                    balanceMicroYuan: balance.microYuan,
                                    detail: "\(account.state.rawValue) → \(plan.state.rawValue)" + (held.isEmpty ? "" : " (held: \(held))")))
        }
        var decision = Notifications.Decision(accountID: account.id, meterAddress: account.meterAddress, previousState: account.state,
                                              plan: plan, newCommands: new, balance: balance, readingID: readingID, at: now,
                                              timeZone: rules.policy.calendar.timeZone)
        let secondAlarm = try decideSecondAlarm(account, balance: balance, settings: settings, data: data, at: now, in: tx)
        decision.secondAlarm = secondAlarm
        if (plan.state == .alarm && account.state != .alarm) || secondAlarm {
            // Entering an alarm level is rare: the low-balance notice says how long the money lasts.
            let spend = try tx.recentSpend(account: account.id, since: now.adding(.seconds(-DaysLeftForecast.window)))
            decision.daysLeft = DaysLeftForecast(balance: balance, trip: settings.trip, samples: spend.map { [$0] } ?? [], at: now).daysLeft
        }
        let notifications = try Notifications.record(decision, in: tx)
        // The row is written only for what changed on it: a reading's own effect is in the
        // account book already (written behind), and most readings change nothing else.
        if plan.state != account.state || meter != account.meter || update.balanceDelta != .zero || update.accepted != nil {
            try tx.updateAccount(account.id, state: plan.state, meter: meter == account.meter ? nil : meter, meterSeenAt: meterSeenAt,
                                 balanceDelta: update.balanceDelta, accepted: update.accepted, at: now)
        }
        var evaluation = Evaluation(accountID: account.id, meterAddress: account.meterAddress, readingID: readingID, outcome: outcome,
                                    balance: balance, plan: plan, commandIDs: ids, newCommands: new, notifications: notifications)
        evaluation.secondAlarmRaised = secondAlarm
        return evaluation
    }
}
