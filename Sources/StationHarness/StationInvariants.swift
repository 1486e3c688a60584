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
                d.payments[row["order_no"]] = (row["account_id"], row["amount_micro_yuan"], row["balance_after_micro_yuan"])
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
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.id, c.kind, c.state,
                    (SELECT COUNT(*) FROM audit a WHERE a.command_id = c.id AND a.event = c.kind) AS created,
                    (SELECT COUNT(*) FROM audit a WHERE a.command_id = c.id AND a.event = 'command_acknowledged') AS acks,
                    (SELECT COUNT(*) FROM audit a WHERE a.command_id = c.id AND a.event LIKE 'command_%' AND a.id >
                        (SELECT MAX(b.id) FROM audit b WHERE b.command_id = c.id AND b.event = 'command_acknowledged')) AS after_ack,
                    (SELECT COUNT(*) FROM review_item r WHERE r.command_id = c.id AND r.state = 'open') AS open_items
                FROM command c ORDER BY c.id
                """)
            for row in rows {
                let id: Int64 = row["id"], kind: String = row["kind"], state: String = row["state"]
                let created: Int = row["created"], acks: Int = row["acks"], afterAck: Int = row["after_ack"]
                let openItems: Int = row["open_items"]
                c.counts[state, default: 0] += 1
                if state == "in_flight" { c.inFlight.append(id) }
                var problems: [String] = []
                if created != 1 { problems.append("created \(created) times") }
                if state == "acknowledged" && acks != 1 { problems.append("acknowledged \(acks) times") }
                if state != "acknowledged" && acks != 0 { problems.append("\(state) after \(acks) acknowledgements") }
                if afterAck != 0 { problems.append("\(afterAck) transitions after its acknowledgement") }
                if !StationInvariants.commandStates.contains(state) { problems.append("unknown state") }
                if (state == "review") != (openItems == 1) || openItems > 1 {
                    problems.append("\(openItems) open review items")
                }
                if !problems.isEmpty { c.problems.append("command \(id) \(kind) \(state): " + problems.joined(separator: ", ")) }
            }
            for row in try Row.fetchAll(db, sql: "SELECT kind, state, COUNT(*) AS n FROM review_item GROUP BY kind, state") {
                let kind: String = row["kind"], state: String = row["state"], n: Int = row["n"]
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
