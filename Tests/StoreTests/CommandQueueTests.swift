import ChargeControl
import Foundation
import GRDB
import Tariffs
import Testing
@testable import Store

@Suite("Store: command queue and job review")
struct CommandQueueTests {
    func enqueue(_ store: StationStore, _ p: PlannedCommand, meter: String = "000000000001", account: String = "A1") async throws -> Int64 {
        try await store.writer.write { db in
            try CommandQueue.enqueue(p, account: account, meter: meter, deadline: t0.addingTimeInterval(86_400), at: t0, in: db)
        }
    }

    @Test func equalCommandsAreNotQueuedTwice() async throws {
        let store = try await testStore()
        try await provision(store)
        let a = try await enqueue(store, planned(.alarm))
        let b = try await enqueue(store, planned(.alarm))
        #expect(a == b)
        #expect(try await store.commands(account: "A1").count == 1)
    }

    @Test func aNewerDecisionSupersedesAPendingOne() async throws {
        let store = try await testStore()
        try await provision(store)
        let trip = try await enqueue(store, planned(.trip))
        let alarm = try await enqueue(store, planned(.alarm))
        let close = try await enqueue(store, planned(.allowClose, balance: "80.00"))
        #expect(try await store.command(trip).state == .superseded)
        #expect(try await store.command(alarm).state == .pending)  // another group: untouched
        #expect(try await store.command(close).state == .pending)
    }

    @Test func reconnectionsComeFirstAndDeferredTripsWait() async throws {
        let store = try await testStore()
        try await provision(store)
        try await provision(store, account: "A2", meter: "000000000002")
        try await provision(store, account: "A3", meter: "000000000003")
        let later = t0.addingTimeInterval(3600)
        _ = try await enqueue(store, planned(.alarm), meter: "000000000001", account: "A1")
        let deferred = try await enqueue(store, planned(.trip, notBefore: later), meter: "000000000002", account: "A2")
        let close = try await enqueue(store, planned(.allowClose), meter: "000000000003", account: "A3")
        let due = try await store.dueCommands(at: t0)
        #expect(due.map(\.kind) == [.allowClose, .alarm])
        #expect(due.first?.id == close)
        #expect(try await store.dueCommands(at: later).map(\.id).contains(deferred))
        #expect(try await store.nextDueInstant() == t0)
    }

    @Test func lifecycleRetryReviewAndRecovery() async throws {
        let store = try await testStore()
        try await provision(store)
        let id = try await enqueue(store, planned(.trip))
        #expect(try await store.markInFlight(id, at: t0))
        #expect(try await !store.markInFlight(id, at: t0))  // already in flight
        try await store.retryLater(id, error: "timeout after 5s", next: t0.addingTimeInterval(10), at: t0)
        var c = try await store.command(id)
        #expect(c.state == .pending && c.attempts == 1 && c.lastError == "timeout after 5s")
        #expect(try await store.dueCommands(at: t0).isEmpty)
        #expect(try await store.markInFlight(id, at: t0.addingTimeInterval(10)))
        // A crash here: the restart puts it back.
        #expect(try await store.recoverInFlight(at: t0.addingTimeInterval(20)) == 1)
        #expect(try await store.command(id).state == .pending)
        #expect(try await store.markInFlight(id, at: t0.addingTimeInterval(21)))
        let item = try await store.moveToReview(id, reason: "ERR 04H (wrong password/unauthorised)", at: t0.addingTimeInterval(22))
        c = try await store.command(id)
        #expect(c.state == .review)
        let open = try await store.openReviewItems()
        #expect(open.map(\.id) == [item])
        #expect(try await store.openReviewCount() == 1)
        #expect(open.first?.commandID == id)

        let retried = try await store.act(onReview: item, .retry, note: "password fixed", newDeadline: t0.addingTimeInterval(90_000),
                                          at: t0.addingTimeInterval(30))
        #expect(retried.state == .retried && retried.operatorNote == "password fixed")
        c = try await store.command(id)
        #expect(c.state == .pending && c.attempts == 0)
        await #expect(throws: StoreError.reviewItemClosed(item, state: "retried")) {
            _ = try await store.act(onReview: item, .cancel, note: "", newDeadline: t0, at: t0)
        }
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test func resolveOnSiteAndCancel() async throws {
        let store = try await testStore()
        try await provision(store)
        try await provision(store, account: "A2", meter: "000000000002")
        let trip = try await enqueue(store, planned(.trip))
        let alarm = try await enqueue(store, planned(.alarm), meter: "000000000002", account: "A2")
        let r1 = try await store.moveToReview(trip, reason: "attempts exhausted", at: t0)
        let r2 = try await store.moveToReview(alarm, reason: "deadline passed", at: t0)
        _ = try await store.act(onReview: r1, .resolve, note: "tripped with management card", newDeadline: t0, at: t0)
        _ = try await store.act(onReview: r2, .cancel, note: "customer moved out", newDeadline: t0, at: t0)
        #expect(try await store.command(trip).state == .acknowledged)
        #expect(try await store.command(alarm).state == .cancelled)
        // Done on site: the meter is recorded as tripped; a cancelled command changes nothing.
        #expect(try await store.account("A1")?.meter.relay == .open)
        #expect(try await store.account("A2")?.meter.alarm == false)
        #expect(try await store.openReviewItems().isEmpty)
        let counts = try await store.commandCounts()
        #expect(counts[.acknowledged] == 1 && counts[.cancelled] == 1)
    }

    @Test func aPaymentSupersedesATripWaitingInReview() async throws {
        let store = try await testStore()
        try await provision(store)
        let trip = try await enqueue(store, planned(.trip))
        _ = try await store.moveToReview(trip, reason: "terminal offline", at: t0)
        _ = try await enqueue(store, planned(.allowClose, balance: "100.00"))
        #expect(try await store.command(trip).state == .superseded)
        #expect(try await store.openReviewItems().isEmpty)
    }

    /// A transition is written only from the state it was decided in (issue 12): the second of
    /// two deciders is told it lost, and nothing of its move is written.
    @Test func theSecondDeciderLosesAndWritesNothing() async throws {
        let store = try await testStore()
        try await provision(store)
        let trip = try await enqueue(store, planned(.trip))
        #expect(try await store.markInFlight(trip, at: t0))
        #expect(try await !store.markInFlight(trip, at: t0), "a second claim loses")
        // A restart put it back to pending while an old attempt still meant to report a failure.
        #expect(try await store.recoverInFlight(at: t0) == 1)
        await #expect(throws: StoreError.lostRace(command: trip, expected: .inFlight, found: .pending)) {
            try await store.retryLater(trip, error: "timeout", next: t0.addingTimeInterval(10), at: t0)
        }
        await #expect(throws: StoreError.lostRace(command: trip, expected: .inFlight, found: .pending)) {
            try await store.acknowledge(trip, at: t0)
        }
        let c = try await store.command(trip)
        #expect(c.state == .pending && c.attempts == 1 && c.lastError == "interrupted by a restart" && c.acknowledgedAt == nil)
        // A move the lifecycle has no arrow for is refused the same way: nothing written.
        let item = try await store.moveToReview(trip, reason: "terminal offline", at: t0)
        _ = try await store.act(onReview: item, .cancel, note: "customer moved out", newDeadline: t0, at: t0)
        await #expect(throws: IllegalCommandTransition(from: .cancelled, event: .giveUp(reason: "again"))) {
            try await store.moveToReview(trip, reason: "again", at: t0)
        }
        #expect(try await store.command(trip).state == .cancelled)
        #expect(try await store.verifyAudit().isIntact)
    }

    /// The dispatcher's query walks the dispatch-order index and probes each meter's commands,
    /// instead of ranking every live command (issue 7, p3): its cost must not grow with the queue.
    @Test(.enabled(if: !TestEngine.isPostgres, TestEngine.sqliteOnly)) func dispatchableCommandsWalkTheDispatchOrderIndex() async throws {
        let (store, _) = try await temporaryStore()
        let plan = try await store.writer.read { db in
            try SQLRow.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + StationStore.dispatchableSQL, arguments: [0, 10]).map { row -> String in row["detail"] }
        }
        #expect(plan.contains { $0.contains("SCAN c USING INDEX command_dispatch_order") }, "\(plan)")
        #expect(plan.contains { $0.contains("USING INDEX command_meter") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "sorts instead of walking the index: \(plan)")
    }
}
