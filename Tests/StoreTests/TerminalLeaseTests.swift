import ChargeControl
import Foundation
import Testing
@testable import Store

/// Two nodes on one station (issue 16): the lease rounds' conditional writes, the fence on
/// command claims and outcomes, a takeover's recovery of in-flight commands, and the account
/// book across nodes. Two stores opened on one database stand for two daemons (on SQLite two
/// connections to one file, on PostgreSQL two sets of connections to one database).
@Suite("Store: terminal leases across nodes")
struct TerminalLeaseTests {
    let queue = CommandQueueTests()

    /// Two nodes, "a" and "b", on a fresh station with terminal T1 (account A1) and T2 (A2).
    func twoNodes() async throws -> (a: StationStore, b: StationStore) {
        let (a, path) = try await temporaryStore()
        try await provision(a)
        try await a.upsertTerminal(TerminalRecord(id: "T2", host: "127.0.0.1", port: 9101), at: t0)
        _ = try await a.upsertAccount(id: "A2", meterAddress: "000000000002", terminalID: "T2", tariff: "residential", region: "north",
                                      alarmThreshold: nil, tripThreshold: nil, isProtected: false, openingBalance: yuan("50.00"), at: t0)
        let b = try await reopen(path)
        a.cluster.join(node: "a", margin: .seconds(2))
        b.cluster.join(node: "b", margin: .seconds(2))
        return (a, b)
    }

    @Test func aLeaseIsHeldByOneNodeUntilItLapsesThenTakenOverOneGenerationOn() async throws {
        let (a, b) = try await twoNodes()
        let now = Date()
        let first = try await a.applyLeaseRound(startedAt: now, renew: [], acquire: ["T1", "T2"], release: [], at: now,
                                                expiresAt: now.addingTimeInterval(60))
        #expect(first.acquired == ["T1", "T2"] && first.held.map(\.generation) == [1, 1])
        #expect(a.cluster.holds(terminal: "T1") && !b.cluster.holds(terminal: "T1"))

        // Held and unexpired: b cannot take it.
        let refused = try await b.applyLeaseRound(startedAt: now, renew: [], acquire: ["T1"], release: [], at: now.addingTimeInterval(1),
                                                  expiresAt: now.addingTimeInterval(61))
        #expect(refused.acquired.isEmpty && refused.held.isEmpty)

        // a gives T2 back: b takes it at once, one generation on.
        _ = try await a.applyLeaseRound(startedAt: now, renew: ["T1"], acquire: [], release: ["T2"], at: now.addingTimeInterval(2),
                                        expiresAt: now.addingTimeInterval(62))
        let given = try await b.applyLeaseRound(startedAt: now, renew: [], acquire: ["T2"], release: [], at: now.addingTimeInterval(2),
                                                expiresAt: now.addingTimeInterval(62))
        #expect(given.acquired == ["T2"] && given.held.first?.generation == 2)

        // a stops renewing (killed): once its lease has lapsed, b takes T1; a's renew then finds it lost.
        let later = now.addingTimeInterval(63)
        let taken = try await b.applyLeaseRound(startedAt: now, renew: ["T2"], acquire: ["T1"], release: [], at: later,
                                                expiresAt: later.addingTimeInterval(10))
        #expect(taken.acquired == ["T1"] && Set(taken.held.map(\.terminalID)) == ["T1", "T2"])
        let lost = try await a.applyLeaseRound(startedAt: now, renew: ["T1"], acquire: [], release: [], at: later,
                                               expiresAt: later.addingTimeInterval(10))
        #expect(lost.lost == ["T1"] && lost.held.isEmpty)

        let state = try await a.clusterState()
        #expect(state.leases.map(\.node) == ["b", "b"] && state.leases.map(\.generation) == [2, 2])
        #expect(state.liveNodes(at: later, within: 10) == ["a", "b"])
        try await b.leaveCluster(at: later.addingTimeInterval(1))
        let after = try await a.clusterState()
        #expect(after.liveNodes(at: later.addingTimeInterval(1), within: 10) == ["a"])
        #expect(after.leases.allSatisfy { $0.expiresAt <= later.addingTimeInterval(1) })
    }

    func claim(_ store: StationStore, _ id: Int64, at now: Date) async throws -> CommandClaim<Void>? {
        try await store.claim([id], at: now, recheck: { _, _ in () }).first
    }

    @Test func aClaimIsFencedByTheLeaseAndATakeoverPutsTheLostNodesCommandBack() async throws {
        let (a, b) = try await twoNodes()
        let now = Date()
        // Long enough that a slow machine still claims within it (the membership stops acting 2 s before).
        _ = try await a.applyLeaseRound(startedAt: now, renew: [], acquire: ["T1"], release: [], at: now, expiresAt: now.addingTimeInterval(60))
        let trip = try await queue.enqueue(a, planned(.trip), meter: "000000000001", account: "A1")

        // b does not lease T1: its claim writes nothing.
        guard case .notLeased(let terminal) = try await claim(b, trip, at: now) else {
            Issue.record("b claimed a command of a terminal it does not lease")
            return
        }
        #expect(terminal == "T1")
        #expect(try await a.command(trip).state == .pending)

        // a claims it, under generation 1, then dies with it in flight.
        guard case .claimed(let command, _) = try await claim(a, trip, at: now) else {
            Issue.record("a could not claim under its lease")
            return
        }
        #expect(command.state == .inFlight)

        // b takes T1 over once a's lease lapsed: the command goes back to pending, and b claims it.
        let later = now.addingTimeInterval(61)
        let taken = try await b.applyLeaseRound(startedAt: now, renew: [], acquire: ["T1"], release: [], at: later,
                                                expiresAt: later.addingTimeInterval(10))
        #expect(taken.acquired == ["T1"] && taken.recovered == 1)
        #expect(try await b.command(trip).state == .pending)
        let put = try await b.auditTrail(event: "command_pending").filter { $0.commandID == trip }
        #expect(put.last?.detail.contains("taken over by node b from a") == true)
        guard case .claimed = try await claim(b, trip, at: later) else {
            Issue.record("b could not claim after the takeover")
            return
        }

        // a, paused, comes back: it can neither claim nor settle the command b now owns.
        guard case .notLeased = try await claim(a, trip, at: later) else {
            Issue.record("a claimed under a lapsed lease")
            return
        }
        await #expect(throws: StoreError.self) {
            try await a.acknowledge(trip, at: later, detail: "a's late acknowledgement")
        }
        #expect(try await a.command(trip).state == .inFlight)
        try await b.acknowledge(trip, at: later, detail: "acknowledged by the meter")
        #expect(try await a.command(trip).state == .acknowledged)
    }

    @Test func aPaymentTakenOnAnotherNodeReachesTheOwnersBookAndNeitherFoldsTheOthersReadings() async throws {
        let (a, b) = try await twoNodes()
        let now = Date()
        _ = try await a.applyLeaseRound(startedAt: now, renew: [], acquire: ["T1", "T2"], release: [], at: now,
                                        expiresAt: now.addingTimeInterval(30))
        // b takes a payment for A1, an account on a's terminal: the row moves, and b's answer
        // is the balance the database has.
        let created = try await b.recordPayment(PaymentRequest(orderNo: "P-1", accountID: "A1", amount: yuan("20.00"), channel: .counter,
                                                               paidAt: now), receivedAt: now)
        guard case .created(let receipt) = created else {
            Issue.record("payment not created: \(created)")
            return
        }
        #expect(receipt.balanceAfter == yuan("70.00"))
        // The owner hears of it (the NOTIFY on PostgreSQL; here told directly) and reads the row again.
        a.accountsChangedElsewhere(["A1"])
        #expect(try await a.transaction { tx in try tx.account("A1").balance } == yuan("70.00"))
        // b never folds rows of a's accounts, and its reads of them are the database's.
        #expect(try await b.foldWaitingAccountRows(batch: 100) == 0)
        #expect(try await b.account("A1")?.balance == yuan("70.00"))
        _ = try await a.recordPayment(PaymentRequest(orderNo: "P-2", accountID: "A1", amount: yuan("1.00"), channel: .counter,
                                                     paidAt: now), receivedAt: now)
        #expect(try await b.account("A1")?.balance == yuan("71.00"))
        #expect(try await a.verifyBalances().isEmpty)
        // Both nodes appended audit rows, interleaved: each keeps a chain of its own, and both hold.
        let audit = try await a.auditTrail(event: "payment")
        #expect(audit.count == 2)
        #expect(try await a.verifyAudit().isIntact)
    }
}
