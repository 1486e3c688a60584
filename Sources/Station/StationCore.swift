import ChargeControl
import Foundation
import Logging
import Store
import Synchronization
import Tariffs
import Wakeup

/// The station's operations as the HTTP API and the services use them: provisioning, payments,
/// account views, commands, job review and statistics. Every write that changes a balance
/// re-evaluates the account in the same transaction and wakes the dispatcher.
public final class StationCore: Sendable {
    public let store: StationStore
    public let clock: any StationClock
    /// Bumped whenever commands may have been queued, so the dispatcher looks at once.
    public let dispatcherSignal = WakeSignal()
    /// Bumped when commands went back to pending other than by the dispatcher (a review retry):
    /// the dispatcher reads its whole queue again (it follows new commands and its own retries).
    public let dispatcherRescan = WakeSignal()
    /// Bumped whenever notifications were written to the outbox, so the notifier looks at once.
    public let outboxSignal = WakeSignal()
    private let evaluatorBox: EvaluatorBox
    private let provisioningHooks = Mutex<[@Sendable () async -> Void]>([])
    let logger: Logger

    public init(store: StationStore, evaluator: Evaluator, clock: any StationClock, logger: Logger) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.evaluatorBox = EvaluatorBox(evaluator)
    }

    /// The rules in force (replaced on a configuration reload).
    public var evaluator: Evaluator { evaluatorBox.value }
    public func replaceEvaluator(_ evaluator: Evaluator) { evaluatorBox.value = evaluator }

    // MARK: Provisioning

    /// Runs `hook` after every change of terminals or accounts (the lines and the collector
    /// follow the tables this way).
    public func whenProvisioningChanges(_ hook: @escaping @Sendable () async -> Void) {
        provisioningHooks.withLock { $0.append(hook) }
    }

    private func provisioningChanged() async {
        for hook in provisioningHooks.withLock({ $0 }) { await hook() }
    }

    public func upsertTerminal(_ terminal: TerminalRecord) async throws {
        try await store.upsertTerminal(terminal, at: clock.now)
        await provisioningChanged()
    }

    /// Adds or updates an account, then decides for it at once (a new account may need an alarm
    /// or keep-power straight away).
    public func upsertAccount(_ a: AccountProvisioning) async throws -> AccountRecord {
        guard evaluator.rules.tariffs[a.tariff] != nil else {
            throw StationError.unknownTariff(a.tariff)
        }
        if let customerClass = a.customerClass, !evaluator.rules.customerClasses.contains(customerClass) {
            throw StationError.unknownCustomerClass(customerClass, known: evaluator.rules.customerClasses.sorted())
        }
        let now = clock.now
        let record = try await store.upsertAccount(
            id: a.accountID, meterAddress: a.meterAddress, terminalID: a.terminalID, tariff: a.tariff, region: a.region, customerClass: a.customerClass,
            alarmThreshold: a.alarm, tripThreshold: a.trip, isProtected: a.isProtected, openingBalance: a.openingBalance,
            feeControl: a.enrolAtOnce ? .pending : .active, at: now)
        let evaluation = try await reevaluate(account: record.id)
        if a.enrolAtOnce && record.feeControl == .pending {
            // New and pending: its parameter writes go out now (an existing account keeps its state).
            try await changeFeeControl(.enrol, account: record.id, reason: "provisioned with fee control pending")
        }
        await provisioningChanged()
        return try await store.account(evaluation.accountID) ?? record
    }

    // MARK: Payments

    /// Records a payment and re-evaluates the account in the same transaction; on `.created`
    /// the dispatcher is woken so an allow-close goes out at once. A new order above
    /// `[payments] max_yuan`, or one that would take the balance past `AmountBounds.balance`, is
    /// refused with nothing written.
    public func pay(_ payment: PaymentRequest) async throws -> PaymentOutcome {
        try await post(account: payment.accountID, event: "payment", message: "payment received",
                       metadata: ["order_no": "\(payment.orderNo)"]) { tx, now, max in
            try tx.recordPayment(payment, receivedAt: now, maxAmount: max)
        }
    }

    /// Records an operator's adjustment exactly once and re-evaluates the account with it, like
    /// a payment (an adjustment up may reconnect; one down may alarm or trip).
    public func adjust(_ adjustment: AdjustmentRequest) async throws -> AdjustmentOutcome {
        try await post(account: adjustment.accountID, event: "adjustment", message: "adjustment recorded",
                       metadata: ["adjustment_no": "\(adjustment.adjustmentNo)", "amount": "\(adjustment.amount.yuanString)"]) {
            tx, now, max in try tx.recordAdjustment(adjustment, receivedAt: now, maxAmount: max)
        }
    }

    /// Records an idempotent posting with `record` and, when it is new, re-evaluates the account
    /// in the same transaction (the reconnection lane: a customer may be waiting for power).
    private func post<Receipt: Sendable & Hashable>(
        account: String, event: String, message: Logger.Message, metadata: Logger.Metadata,
        _ record: @escaping @Sendable (StoreTransaction, Date, Money) throws -> PostingOutcome<Receipt>
    ) async throws -> PostingOutcome<Receipt> {
        let now = clock.now
        let evaluator = self.evaluator
        let (outcome, evaluation) = try await store.transaction(reconnection: true) { tx -> (PostingOutcome<Receipt>, Evaluation?) in
            let outcome = try record(tx, now, evaluator.rules.maxPayment)
            guard case .created = outcome else { return (outcome, nil) }
            return (outcome, try evaluator.reevaluate(account: account, at: now, in: tx))
        }
        if let evaluation {
            logger.notice(message, metadata: metadata.merging([
                "event": "\(event)", "account": "\(account)", "meter": "\(evaluation.meterAddress)",
                "balance": "\(evaluation.balance.yuanString)",
            ]) { $1 }.merging(Self.actorMetadata) { $1 })
            logDecisions(evaluation)
            announce(evaluation)
        }
        return outcome
    }

    /// One journal line per newly queued command: `EVENT=` is its kind, so
    /// `journalctl EVENT=trip METER=…` answers when and why a meter was cut off.
    public func logDecisions(_ evaluation: Evaluation, terminal: String? = nil) {
        if evaluation.secondAlarmRaised {
            var metadata: Logger.Metadata = ["event": "alarm2", "account": "\(evaluation.accountID)", "meter": "\(evaluation.meterAddress)",
                                             "balance": "\(evaluation.balance.yuanString)"]
            if let terminal { metadata["terminal"] = "\(terminal)" }
            logger.notice("balance at or below alarm limit 2", metadata: metadata)
        }
        for queued in evaluation.newCommands {
            let (id, command) = (queued.id, queued.command)
            var metadata: Logger.Metadata = [
                "event": "\(command.kind.rawValue)", "account": "\(evaluation.accountID)", "meter": "\(evaluation.meterAddress)",
                "command_id": "\(id)", "balance": "\(command.balance.yuanString)", "reason": "\(command.reason.rawValue)",
            ]
            if let terminal { metadata["terminal"] = "\(terminal)" }
            metadata.merge(Self.actorMetadata) { $1 }
            let when = command.isDeferred ? ", deferred to \(command.notBefore)" : ""
            logger.notice("decided \(command.kind.rawValue): \(command.detail)\(when)", metadata: metadata)
        }
    }

    /// `operator=NAME` (journal `OPERATOR=`) while the current task acts for an API caller
    /// (`AuditActor`), so the journal names who did what the audit trail records.
    static var actorMetadata: Logger.Metadata {
        AuditActor.current.map { ["operator": "\($0)"] } ?? [:]
    }

    /// Wakes the loops that have work after committed evaluations: the dispatcher when commands
    /// were queued, the notifier when notifications were written.
    public func announce(_ evaluations: Evaluation...) {
        announce(evaluations)
    }

    /// `announce` for a batch.
    public func announce(_ evaluations: some Sequence<Evaluation>) {
        var commands = false, notifications = false
        for evaluation in evaluations {
            commands = commands || !evaluation.commandIDs.isEmpty
            notifications = notifications || evaluation.notifications > 0
        }
        if commands { dispatcherSignal.bump() }
        if notifications { outboxSignal.bump() }
    }

    /// Re-decides one account from its stored balance and wakes the dispatcher if needed.
    @discardableResult
    public func reevaluate(account: String) async throws -> Evaluation {
        let now = clock.now
        let evaluator = self.evaluator
        let evaluation = try await store.transaction { tx in try evaluator.reevaluate(account: account, at: now, in: tx) }
        logDecisions(evaluation)
        announce(evaluation)
        return evaluation
    }
}

/// What the API accepts to provision an account.
public struct AccountProvisioning: Sendable, Hashable {
    public var accountID: String
    public var meterAddress: String
    public var terminalID: String
    public var tariff: String
    public var region: String
    /// Picks the collection strategy and default thresholds; nil: the station defaults.
    public var customerClass: String?
    public var alarm: Money?
    public var trip: Money?
    public var isProtected: Bool
    public var openingBalance: Money?
    /// A new account starts pending and is enrolled at once (its parameter writes queued);
    /// false: active, as in v1. An existing account keeps its fee-control state.
    public var enrolAtOnce: Bool

    public init(accountID: String, meterAddress: String, terminalID: String, tariff: String, region: String,
                customerClass: String? = nil,
                alarm: Money? = nil, trip: Money? = nil, isProtected: Bool = false, openingBalance: Money? = nil,
                enrolAtOnce: Bool = false) {
        self.enrolAtOnce = enrolAtOnce
        self.accountID = accountID
        self.meterAddress = meterAddress
        self.terminalID = terminalID
        self.tariff = tariff
        self.region = region
        self.customerClass = customerClass
        self.alarm = alarm
        self.trip = trip
        self.isProtected = isProtected
        self.openingBalance = openingBalance
    }
}

/// Station-level refusals, each naming the problem.
public enum StationError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownTariff(String)
    case unknownCustomerClass(String, known: [String])

    public var description: String {
        switch self {
        case .unknownTariff(let t): "unknown tariff \"\(t)\" (not in the tariffs folder)"
        case .unknownCustomerClass(let c, let known):
            "unknown customer class \"\(c)\" (the configuration names: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        }
    }
}

/// The evaluator in force, swapped atomically on reload.
final class EvaluatorBox: Sendable {
    private let lock: Mutex<Evaluator>
    init(_ e: Evaluator) { lock = Mutex(e) }
    var value: Evaluator {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }
}
