import Foundation
import Store

/// What the station's file must show whatever happened to the daemon (crash rounds, fault soak):
/// payments exactly once, balances equal to the ledger replay, an intact audit chain, and every
/// command in a known state with a consistent history.
public struct StationCheck: Sendable {
    /// Everything found wrong, one line each; empty when all holds.
    public var problems: [String] = []
    public var paymentsOnDisk = 0
    /// Commands by state (`pending`, `in_flight`, `acknowledged`, `superseded`, `cancelled`, `review`).
    public var commandsByState: [String: Int] = [:]
    /// Open job-review items by kind (`command`, `reading`).
    public var openReviewItems: [String: Int] = [:]
    /// Review items closed by an operator, by action (`retried`, `resolved`, `cancelled`).
    public var closedReviewItems: [String: Int] = [:]
    /// Retries scheduled after a failed attempt (audit rows "retry at").
    public var retries = 0
    /// Commands in flight right now (on a dead daemon's file: the ones a restart must recover).
    public var inFlight: [Int64] = []

    /// Commands not yet done: pending or in flight.
    public var unfinished: Int { commandsByState["pending", default: 0] + commandsByState["in_flight", default: 0] }
}

public enum StationInvariants {
    static let commandStates: Set<String> = ["pending", "in_flight", "acknowledged", "superseded", "cancelled", "review"]

    /// Checks the file behind `store`. `confirmed`: every payment a client saw answered 201/200,
    /// by order number, with that answer.
    public static func check(_ store: StationStore, confirmed: [String: HTTPAnswer]) async throws -> StationCheck {
        var check = StationCheck()
        let disk = try await store.paymentsOnDisk()
        check.paymentsOnDisk = disk.payments.count
        var missing: [String] = []
        for (order, answer) in confirmed.sorted(by: { $0.key < $1.key }) {
            guard let row = disk.payments[order] else {
                missing.append(order)
                continue
            }
            guard let body = answer.json else {
                check.problems.append("payment \(order): the answer was no JSON: \(answer)")
                continue
            }
            if row.accountID != body["account_id"]?.string || row.amount.microYuan != body["amount_micro_yuan"]?.int64
                || row.balanceAfter.microYuan != body["balance_micro_yuan"]?.int64 {
                check.problems.append("payment \(order): on disk (account: \(row.accountID), amount: \(row.amount.microYuan), "
                    + "balanceAfter: \(row.balanceAfter.microYuan)), answered \(answer.text)")
            }
        }
        if !missing.isEmpty {
            check.problems.append("\(missing.count) acknowledged payments lost: \(missing.prefix(20))")
        }
        if disk.paymentLedgerEntries != disk.payments.count || disk.distinctLedgerEntries != disk.payments.count {
            check.problems.append("\(disk.payments.count) payments but \(disk.paymentLedgerEntries) payment ledger rows, "
                + "\(disk.distinctLedgerEntries) distinct ledger ids")
        }

        try await checkCommands(store, into: &check)

        let mismatches = try await store.verifyBalances()
        if !mismatches.isEmpty {
            check.problems.append("stored balances differ from the ledger replay: \(mismatches.prefix(10))")
        }
        let audit = try await store.verifyAudit()
        if !audit.isIntact {
            check.problems.append("audit chain broken at \(audit.firstBrokenID.map(String.init) ?? "?") of \(audit.rows) rows")
        }
        return check
    }

    /// Every command was created once (its audit row), is in a known state, was acknowledged at
    /// most once and never touched after its acknowledgement; `review` exactly when an open
    /// review item names it. No audit row names a command that is gone.
    static func checkCommands(_ store: StationStore, into check: inout StationCheck) async throws {
        let history = try await store.commandHistory()
        struct History { var created = 0, acks = 0, afterAck = 0 }
        let kinds = Dictionary(history.commands.map { ($0.id, $0.kind) }, uniquingKeysWith: { first, _ in first })
        var histories: [Int64: History] = [:]
        var orphanAudit = 0
        for entry in history.audit {
            guard let id = entry.commandID else { continue }
            guard let kind = kinds[id] else {
                orphanAudit += 1
                continue
            }
            var h = histories[id] ?? History()
            if entry.event == kind { h.created += 1 }
            if entry.event.hasPrefix("command_") && h.acks > 0 { h.afterAck += 1 }
            if entry.event == "command_acknowledged" { h.acks += 1 }
            histories[id] = h
        }
        if orphanAudit != 0 { check.problems.append("\(orphanAudit) audit rows name commands that are gone") }
        var problems: [String] = [], counts: [String: Int] = [:], inFlight: [Int64] = []
        for command in history.commands {
            let (id, kind, state, open) = (command.id, command.kind, command.state, command.openReviewItems)
            let h = histories[id] ?? History()
            counts[state, default: 0] += 1
            if state == "in_flight" { inFlight.append(id) }
            var found: [String] = []
            if h.created != 1 { found.append("created \(h.created) times") }
            if state == "acknowledged" && h.acks != 1 { found.append("acknowledged \(h.acks) times") }
            if state != "acknowledged" && h.acks != 0 { found.append("\(state) after \(h.acks) acknowledgements") }
            if h.afterAck != 0 { found.append("\(h.afterAck) transitions after its acknowledgement") }
            if !StationInvariants.commandStates.contains(state) { found.append("unknown state") }
            if (state == "review") != (open == 1) || open > 1 { found.append("\(open) open review items") }
            if !found.isEmpty { problems.append("command \(id) \(kind) \(state): " + found.joined(separator: ", ")) }
        }
        var open: [String: Int] = [:], closed: [String: Int] = [:]
        for tally in history.reviewItems {
            if tally.state == "open" { open[tally.kind, default: 0] += tally.count } else { closed[tally.state, default: 0] += tally.count }
        }
        check.problems += problems.prefix(20)
        if problems.count > 20 { check.problems.append("… and \(problems.count - 20) more commands") }
        check.commandsByState = counts
        check.openReviewItems = open
        check.closedReviewItems = closed
        check.retries = history.retriesScheduled
        check.inFlight = inFlight
    }

    /// The commands a restart put back to pending ("recovered after restart" audit rows).
    public static func recoveredCommands(_ store: StationStore) async throws -> Set<Int64> {
        try await store.commandsRecoveredAfterRestart()
    }
}
