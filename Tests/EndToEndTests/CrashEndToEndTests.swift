import SeededRandom
import Foundation
import GRDB
import Store
import Testing

/// Scenario 6: kill -9 in the middle of everything, and restart on the same database.
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct CrashEndToEndTests {
    struct PlannedPayment: Sendable {
        let order: String
        let account: String
        let amount: String
    }

    /// What a client saw for one payment: an answer, or a transport error (the daemon died).
    struct Posted: Sendable {
        let payment: PlannedPayment
        let answer: HTTPAnswer?
        let error: String?
    }

    static let accounts = (1...10).map { "K\($0)" }

    /// Payments are posted by two concurrent clients while the meters are read and commands go
    /// out (slow meters, so some are on the wire); the daemon is SIGKILLed at a seeded random
    /// moment and restarted on the same file. Three rounds. After each kill and restart:
    /// - every payment answered 201/200 is on disk exactly once, with the answered balance, and
    ///   posting it again answers 200 with the identical body;
    /// - stored balances equal a replay of the ledger; the audit chain verifies;
    /// - every command was created once (its audit row), is in a known state, was acknowledged
    ///   at most once and never touched after its acknowledgement; commands in flight at the
    ///   kill are recovered (back to pending) by the restart.
    @Test func killNineMidFlightAndRestartLosesNothing() async throws {
        var options = StationOptions()
        // Fast consumption against small, throttled payments: balances swing around the
        // thresholds, so alarms, trips and reconnections keep coming while the daemon is killed.
        options.loadKW = "60"
        options.simExtra = ["--delay-ms", "20-60", "--auto-close"]
        options.requestTimeout = "1s"
        try await E2EStation.with("kill9", options) { s in
            try await s.provisionTerminals()
            for (index, id) in Self.accounts.enumerated() {
                try await s.addAccount(id, meter: index + 1, opening: "\(10 + 3 * index).00")
            }
            // Let collection and dispatch get going.
            try await s.eventually("every account read at least once") { () async throws -> Bool? in
                for id in Self.accounts {
                    if try await s.account(id)["last_reading_at"]?.string == nil { return nil }
                }
                return true
            }
            var random = SplitMix64(seed: 0x6B69_6C6C_2D39)
            var confirmed: [String: HTTPAnswer] = [:]
            var inFlightSeen = 0
            for round in 1...3 {
                let plans = (0..<2).map { client in
                    (0..<3000).map { n in
                        PlannedPayment(order: "R\(round)-C\(client)-\(n)",
                                       account: Self.accounts[Int(random.next() % UInt64(Self.accounts.count))],
                                       amount: Self.yuan(cents: 50 + Int(random.next() % 250)))
                    }
                }
                let killAfter = Duration.milliseconds(800 + Int(random.next() % 2000))
                let posted = await withTaskGroup(of: [Posted].self) { group in
                    for plan in plans { group.addTask { await Self.post(plan, to: s) } }
                    group.addTask {
                        try? await Task.sleep(for: killAfter)
                        await s.killDaemon()
                        return []
                    }
                    var all: [Posted] = []
                    for await part in group { all += part }
                    return all
                }
                var uncertain: [PlannedPayment] = []
                var roundConfirmed: [String: HTTPAnswer] = [:]
                for p in posted {
                    if let answer = p.answer {
                        if answer.status == 201 || answer.status == 200 {
                            roundConfirmed[p.payment.order] = answer
                        } else {
                            Issue.record("round \(round): \(p.payment.order) answered \(answer)")
                        }
                    } else {
                        uncertain.append(p.payment)
                    }
                }
                confirmed.merge(roundConfirmed) { a, _ in a }
                print("[kill9] round \(round): killed after \(killAfter), \(roundConfirmed.count) payments answered, "
                      + "\(uncertain.count) cut off")
                #expect(!roundConfirmed.isEmpty, "round \(round): some payments went through before the kill")

                // The daemon is dead: look at the file it left.
                let inFlight: [Int64]
                do {
                    let store = try s.openStore()
                    try await Self.checkInvariants(store, confirmed: confirmed, label: "round \(round) after kill -9")
                    inFlight = try await store.writer.read { db in
                        try Int64.fetchAll(db, sql: "SELECT id FROM command WHERE state = 'in_flight'")
                    }
                }
                inFlightSeen += inFlight.count

                try await s.restartDaemon()
                if !inFlight.isEmpty {
                    let store = try s.openStore()
                    let recovered = try await store.writer.read { db in
                        try Int64.fetchAll(db, sql: """
                            SELECT DISTINCT command_id FROM audit WHERE event = 'command_pending' AND detail LIKE '%recovered after restart%'
                            """)
                    }
                    #expect(Set(inFlight).isSubset(of: Set(recovered)), "round \(round): in flight \(inFlight), recovered \(recovered)")
                }

                // Posting again: the same answer for every order that was answered, and the cut-off
                // ones are recorded now (or were, before the kill) — once.
                for (order, answer) in roundConfirmed.sorted(by: { $0.key < $1.key }) {
                    let p = try #require(plans.joined().first { $0.order == order })
                    let again = try await s.pay(p.order, account: p.account, amount: p.amount)
                    #expect(again.status == 200 && again.body == answer.body,
                            "round \(round): \(order) again: \(again) (first: \(answer))")
                }
                for p in uncertain {
                    let again = try await s.pay(p.order, account: p.account, amount: p.amount)
                    #expect(again.status == 201 || again.status == 200, "round \(round): \(p.order) after restart: \(again)")
                    if again.status == 201 || again.status == 200 { confirmed[p.order] = again }
                }
            }
            print("[kill9] \(confirmed.count) payments confirmed over 3 rounds; \(inFlightSeen) commands were in flight at a kill")

            // Running again: the same invariants on the live file (WAL: a second reader is fine),
            // and the queue moves on.
            let store = try s.openStore()
            try await Self.checkInvariants(store, confirmed: confirmed, label: "after the last restart")
        }
    }

    static func yuan(cents: Int) -> String {
        "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
    }

    /// Posts the payments one after another until the daemon stops answering.
    static func post(_ plan: [PlannedPayment], to s: E2EStation) async -> [Posted] {
        var out: [Posted] = []
        for p in plan {
            do {
                let answer = try await s.pay(p.order, account: p.account, amount: p.amount)
                out.append(Posted(payment: p, answer: answer, error: nil))
                try? await Task.sleep(for: .milliseconds(10))
            } catch {
                out.append(Posted(payment: p, answer: nil, error: "\(error)"))
                break
            }
        }
        return out
    }

    /// Payments, balances, audit chain and command history as they must be whatever happened.
    static func checkInvariants(_ store: StationStore, confirmed: [String: HTTPAnswer], label: String) async throws {
        struct Snapshot: Sendable {
            var payments: [String: (account: String, amount: Int64, balanceAfter: Int64)] = [:]
            var paymentLedgerRows = 0
            var distinctLedgerIDs = 0
            var badCommands: [String] = []
            var orphanAudit = 0
            var counts: [String: Int] = [:]
        }
        let snapshot = try await store.writer.read { db -> Snapshot in
            var s = Snapshot()
            for row in try Row.fetchAll(db, sql: "SELECT order_no, account_id, amount_micro_yuan, balance_after_micro_yuan FROM payment") {
                s.payments[row["order_no"]] = (row["account_id"], row["amount_micro_yuan"], row["balance_after_micro_yuan"])
            }
            s.paymentLedgerRows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger WHERE kind = 'payment'") ?? -1
            s.distinctLedgerIDs = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT ledger_id) FROM payment") ?? -1
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.id, c.kind, c.state,
                    (SELECT COUNT(*) FROM audit a WHERE a.command_id = c.id AND a.event = c.kind) AS created,
                    (SELECT COUNT(*) FROM audit a WHERE a.command_id = c.id AND a.event = 'command_acknowledged') AS acks,
                    (SELECT COUNT(*) FROM audit a WHERE a.command_id = c.id AND a.event LIKE 'command_%' AND a.id >
                        (SELECT MAX(b.id) FROM audit b WHERE b.command_id = c.id AND b.event = 'command_acknowledged')) AS after_ack
                FROM command c
                """)
            for row in rows {
                let id: Int64 = row["id"], kind: String = row["kind"], state: String = row["state"]
                let created: Int = row["created"], acks: Int = row["acks"], afterAck: Int = row["after_ack"]
                s.counts[state, default: 0] += 1
                var problems: [String] = []
                if created != 1 { problems.append("created \(created) times") }
                if state == "acknowledged" && acks != 1 { problems.append("acknowledged \(acks) times") }
                if state != "acknowledged" && acks != 0 { problems.append("\(state) after \(acks) acknowledgements") }
                if afterAck != 0 { problems.append("\(afterAck) transitions after its acknowledgement") }
                if !["pending", "in_flight", "acknowledged", "superseded", "cancelled", "review"].contains(state) {
                    problems.append("unknown state")
                }
                if !problems.isEmpty { s.badCommands.append("command \(id) \(kind) \(state): " + problems.joined(separator: ", ")) }
            }
            s.orphanAudit = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM audit WHERE command_id IS NOT NULL AND command_id NOT IN (SELECT id FROM command)
                """) ?? -1
            return s
        }
        print("[kill9] \(label): \(snapshot.payments.count) payments on disk; commands by state \(snapshot.counts)")

        var missing: [String] = []
        for (order, answer) in confirmed {
            guard let row = snapshot.payments[order] else {
                missing.append(order)
                continue
            }
            let body = try #require(answer.json, "\(label): \(order) answered \(answer)")
            #expect(row.account == body["account_id"]?.string, "\(label): \(order)")
            #expect(row.amount == body["amount_micro_yuan"]?.int64, "\(label): \(order)")
            #expect(row.balanceAfter == body["balance_micro_yuan"]?.int64, "\(label): \(order) balance after")
        }
        #expect(missing.isEmpty, "\(label): acknowledged payments lost: \(missing.sorted().prefix(20))")
        #expect(snapshot.paymentLedgerRows == snapshot.payments.count, "\(label): one ledger row per payment")
        #expect(snapshot.distinctLedgerIDs == snapshot.payments.count, "\(label): one ledger row per payment")
        #expect(snapshot.badCommands.isEmpty, "\(label): \(snapshot.badCommands.prefix(20))")
        #expect(snapshot.orphanAudit == 0, "\(label): audit rows name commands that are gone")
        let mismatches = try await store.verifyBalances()
        #expect(mismatches.isEmpty, "\(label): stored balances differ from the ledger replay: \(mismatches.prefix(10))")
        let audit = try await store.verifyAudit()
        #expect(audit.isIntact, "\(label): audit chain broken at \(String(describing: audit.firstBrokenID)) of \(audit.rows)")
    }
}

