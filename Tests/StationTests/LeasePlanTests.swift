import Foundation
import Store
import Testing
@testable import Station

/// The lease rounds' plan (issue 16): terminals split by share, lapsed leases taken over,
/// a joining node given its share, nothing taken from a node that may only be paused.
@Suite struct LeasePlanTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let terminals = (0..<10).map { "T\($0)" }
    let lease: TimeInterval = 10

    /// The database's side of a round, as the lease service's conditional writes do it: a renew
    /// or release needs the lease still held by the node, an acquire needs it free or lapsed.
    func apply(_ plan: LeasePlan, node: String, to leases: inout [String: TerminalLease], at now: Date) {
        for id in plan.renew where leases[id]?.node == node && leases[id].map({ $0.expiresAt > now }) == true {
            leases[id]?.expiresAt = now.addingTimeInterval(lease)
        }
        for id in plan.release where leases[id]?.node == node {
            leases[id]?.expiresAt = now
        }
        for id in plan.acquire where leases[id].map({ $0.expiresAt <= now }) ?? true {
            leases[id] = TerminalLease(terminalID: id, node: node, generation: (leases[id]?.generation ?? 0) + 1,
                                       expiresAt: now.addingTimeInterval(lease))
        }
    }

    func holders(_ leases: [String: TerminalLease], at now: Date) -> [String: Int] {
        leases.values.filter { $0.expiresAt > now }.reduce(into: [:]) { $0[$1.node, default: 0] += 1 }
    }

    @Test func aLoneNodeTakesEveryTerminal() {
        let plan = LeasePlan.plan(node: "a", terminals: terminals, leases: [], liveNodes: [], now: t0)
        #expect(Set(plan.acquire) == Set(terminals) && plan.renew.isEmpty && plan.release.isEmpty)
    }

    @Test func aJoiningNodeGetsItsShareAsTheOtherGivesBack() {
        var leases = Dictionary(uniqueKeysWithValues: terminals.map {
            ($0, TerminalLease(terminalID: $0, node: "a", generation: 1, expiresAt: t0.addingTimeInterval(lease)))
        })
        // b is seen: a gives back five; b takes them at its next round.
        let a = LeasePlan.plan(node: "a", terminals: terminals, leases: Array(leases.values), liveNodes: ["a", "b"], now: t0)
        #expect(a.release.count == 5 && a.renew.count == 5 && a.acquire.isEmpty)
        apply(a, node: "a", to: &leases, at: t0)
        let b = LeasePlan.plan(node: "b", terminals: terminals, leases: Array(leases.values), liveNodes: ["a", "b"], now: t0)
        #expect(b.acquire.count == 5)
        apply(b, node: "b", to: &leases, at: t0)
        #expect(holders(leases, at: t0) == ["a": 5, "b": 5])
        // Taken from another holder: the generation moved.
        #expect(leases.values.filter { $0.node == "b" }.allSatisfy { $0.generation == 2 })
    }

    @Test func aLeaseOfANodeNoLongerSeenIsTakenOnlyOnceItLapses() {
        let held = [TerminalLease(terminalID: "T0", node: "c", generation: 4, expiresAt: t0.addingTimeInterval(3))]
        let before = LeasePlan.plan(node: "a", terminals: ["T0", "T1"], leases: held, liveNodes: ["a"], now: t0)
        #expect(before.acquire == ["T1"])
        let after = LeasePlan.plan(node: "a", terminals: ["T0", "T1"], leases: held, liveNodes: ["a"], now: t0.addingTimeInterval(3))
        #expect(Set(after.acquire) == ["T0", "T1"])
    }

    /// Three nodes share ten terminals; one stops renewing (killed); within a lease time and a
    /// round every terminal is led by exactly one live node, and the shares stay even.
    @Test func roundsConvergeAndANodesLossIsCoveredWithinALeaseTime() {
        var leases: [String: TerminalLease] = [:]
        var now = t0
        var nodes = ["a", "b", "c"]
        for _ in 0..<4 {
            for node in nodes {
                let plan = LeasePlan.plan(node: node, terminals: terminals, leases: Array(leases.values), liveNodes: Set(nodes), now: now)
                apply(plan, node: node, to: &leases, at: now)
            }
            now = now.addingTimeInterval(lease / 3)
        }
        #expect(holders(leases, at: now).values.sorted() == [3, 3, 4])
        nodes.removeAll { $0 == "b" }
        let killedAt = now
        while now <= killedAt.addingTimeInterval(lease + lease / 3) {
            for node in nodes {
                let plan = LeasePlan.plan(node: node, terminals: terminals, leases: Array(leases.values), liveNodes: Set(nodes), now: now)
                apply(plan, node: node, to: &leases, at: now)
            }
            now = now.addingTimeInterval(lease / 3)
        }
        let led = holders(leases, at: now)
        #expect(led["b"] == nil && led.values.reduce(0, +) == terminals.count && led.values.sorted() == [5, 5])
    }
}
