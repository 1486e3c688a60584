import Foundation
import GRDB
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
        struct Disk: Sendable {
            var payments: [String: (account: String, amount: Int64, balanceAfter: Int64)] = [:]
            var paymentLedgerRows = 0
            var distinctLedgerIDs = 0
            var orphanAudit = 0
        }
        var check = StationCheck()
        let disk = try await store.writer.read { db -> Disk in
            var d = Disk()
            for row in try Row.fetchAll(db, sql: "SELECT order_no, account_id, amount_micro_yuan, balance_after_micro_yuan FROM payment") {
                d.payments[try row.decode(forColumn: "order_no")] = try (
                    row.decode(forColumn: "account_id"), row.decode(forColumn: "amount_micro_yuan"),
                    row.decode(forColumn: "balance_after_micro_yuan"))
            }
            d.paymentLedgerRows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger WHERE kind = 'payment'") ?? -1
            d.distinctLedgerIDs = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT ledger_id) FROM payment") ?? -1
            d.orphanAudit = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM audit WHERE command_id IS NOT NULL AND command_id NOT IN (SELECT id FROM command)
                """) ?? -1
            return d
        }
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
            if row.account != body["account_id"]?.string || row.amount != body["amount_micro_yuan"]?.int64
                || row.balanceAfter != body["balance_micro_yuan"]?.int64 {
                check.problems.append("payment \(order): on disk \(row), answered \(answer.text)")
            }
        }
        if !missing.isEmpty {
            check.problems.append("\(missing.count) acknowledged payments lost: \(missing.prefix(20))")
        }
        if disk.paymentLedgerRows != disk.payments.count || disk.distinctLedgerIDs != disk.payments.count {
            check.problems.append("\(disk.payments.count) payments but \(disk.paymentLedgerRows) payment ledger rows, "
                + "\(disk.distinctLedgerIDs) distinct ledger ids")
        }
        if disk.orphanAudit != 0 { check.problems.append("\(disk.orphanAudit) audit rows name commands that are gone") }

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
    /// review item names it.
    static func checkCommands(_ store: StationStore, into check: inout StationCheck) async throws {
        struct Commands: Sendable {
            var problems: [String] = []
            var counts: [String: Int] = [:]
            var open: [String: Int] = [:]
            var closed: [String: Int] = [:]
            var retries = 0
            var inFlight: [Int64] = []
        }
        let found = try await store.writer.read { db -> Commands in
            var c = Commands()
            // One pass over the commands' audit rows (the audit table has no index on command_id).
            struct History { var created = 0, acks = 0, afterAck = 0 }
            var kinds: [Int64: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, kind FROM command") {
                kinds[try row.decode(forColumn: "id")] = try row.decode(String.self, forColumn: "kind")
            }
            var histories: [Int64: History] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT command_id, event FROM audit WHERE command_id IS NOT NULL ORDER BY id") {
                let id: Int64 = try row.decode(forColumn: "command_id"), event: String = try row.decode(forColumn: "event")
                var h = histories[id] ?? History()
                if event == kinds[id] { h.created += 1 }
                if event.hasPrefix("command_") && h.acks > 0 { h.afterAck += 1 }
                if event == "command_acknowledged" { h.acks += 1 }
                histories[id] = h
            }
            var openItems: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT command_id FROM review_item WHERE state = 'open' AND command_id IS NOT NULL") {
                openItems[try row.decode(forColumn: "command_id"), default: 0] += 1
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, kind, state FROM command ORDER BY id") {
                let id: Int64 = try row.decode(forColumn: "id"), kind: String = try row.decode(forColumn: "kind")
                let state: String = try row.decode(forColumn: "state")
                let h = histories[id] ?? History()
                let open = openItems[id] ?? 0
                c.counts[state, default: 0] += 1
                if state == "in_flight" { c.inFlight.append(id) }
                var problems: [String] = []
                if h.created != 1 { problems.append("created \(h.created) times") }
                if state == "acknowledged" && h.acks != 1 { problems.append("acknowledged \(h.acks) times") }
                if state != "acknowledged" && h.acks != 0 { problems.append("\(state) after \(h.acks) acknowledgements") }
                if h.afterAck != 0 { problems.append("\(h.afterAck) transitions after its acknowledgement") }
                if !StationInvariants.commandStates.contains(state) { problems.append("unknown state") }
                if (state == "review") != (open == 1) || open > 1 { problems.append("\(open) open review items") }
                if !problems.isEmpty { c.problems.append("command \(id) \(kind) \(state): " + problems.joined(separator: ", ")) }
            }
            for row in try Row.fetchAll(db, sql: "SELECT kind, state, COUNT(*) AS n FROM review_item GROUP BY kind, state") {
                let kind: String = try row.decode(forColumn: "kind"), state: String = try row.decode(forColumn: "state")
                let n: Int = try row.decode(forColumn: "n")
                if state == "open" { c.open[kind, default: 0] += n } else { c.closed[state, default: 0] += n }
            }
            c.retries = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM audit WHERE event = 'command_pending' AND detail LIKE '%retry at%'
                """) ?? 0
            return c
        }
        check.problems += found.problems.prefix(20)
        if found.problems.count > 20 { check.problems.append("… and \(found.problems.count - 20) more commands") }
        check.commandsByState = found.counts
        check.openReviewItems = found.open
        check.closedReviewItems = found.closed
        check.retries = found.retries
        check.inFlight = found.inFlight
    }

    /// The commands a restart put back to pending ("recovered after restart" audit rows).
    public static func recoveredCommands(_ store: StationStore) async throws -> Set<Int64> {
        Set(try await store.writer.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT DISTINCT command_id FROM audit WHERE event = 'command_pending' AND detail LIKE '%recovered after restart%'
                """)
        })
    }
}
