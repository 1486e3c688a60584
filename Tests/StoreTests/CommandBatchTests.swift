import ChargeControl
import Foundation
import GRDB
import Testing
@testable import Store

/// Commands claimed, and their outcomes written, several at a time in one store write: each
/// still its own compare-and-set, a failure rolled back alone (issue 15).
@Suite("Store: command claims and outcomes in batches")
struct CommandBatchTests {
    let queue = CommandQueueTests()

    /// Accounts A1…An on meters 1…n, each with a pending trip; returns the trips' ids.
    func trips(_ store: StationStore, _ n: Int) async throws -> [Int64] {
        var ids: [Int64] = []
        for i in 1...n {
            let meter = String(format: "%012d", i)
            try await provision(store, account: "A\(i)", meter: meter)
            ids.append(try await queue.enqueue(store, planned(.trip), meter: meter, account: "A\(i)"))
        }
        return ids
    }

    func states(_ store: StationStore, _ ids: [Int64]) async throws -> [CommandState] {
        var out: [CommandState] = []
        for id in ids { out.append(try await store.command(id).state) }
        return out
    }

    @Test func aBatchClaimLosesTheCommandSupersededMeanwhileAndClaimsTheOthers() async throws {
        let store = try await testStore()
        let ids = try await trips(store, 3)
        // A2 paid after the dispatcher took its trip from the queue: a newer decision supersedes it.
        let close = try await queue.enqueue(store, planned(.allowClose, balance: "80.00"), meter: "000000000002", account: "A2")
        #expect(try await store.command(ids[1]).state == .superseded)

        let claims = try await store.claim(ids, at: t0) { tx, command in try tx.account(command.accountID).id }
        #expect(claims.count == 3)
        for (i, claim) in claims.enumerated() where i != 1 {
            guard case .claimed(let command, .success(let account)) = claim else {
                Issue.record("command \(ids[i]) not claimed: \(claim)")
                continue
            }
            #expect(command.id == ids[i] && command.state == .inFlight && command.attempts == 1)
            #expect(command == (try await store.command(ids[i])))  // as stored
            #expect(account == "A\(i + 1)")
        }
        guard case .notPending = claims[1] else { Issue.record("the superseded trip was claimed: \(claims[1])"); return }
        #expect(try await states(store, ids + [close]) == [.inFlight, .superseded, .inFlight, .pending])
        let sending = try await store.auditTrail(event: "command_in_flight").compactMap(\.commandID)
        #expect(Set(sending) == [ids[0], ids[2]])
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test func aFailingRecheckIsRolledBackAloneAndItsCommandStaysClaimed() async throws {
        struct RecheckFailed: Error {}
        let store = try await testStore()
        let ids = try await trips(store, 3)
        let claims = try await store.claim(ids, at: t0) { tx, command in
            try tx.audit(AuditEvent(at: t0, event: "recheck", accountID: command.accountID, detail: "re-checked"))
            if command.id == ids[1] { throw RecheckFailed() }
            return command.id
        }
        var failed: [Int64] = []
        for claim in claims {
            guard case .claimed(let command, let recheck) = claim else { Issue.record("not claimed: \(claim)"); continue }
            if case .failure = recheck { failed.append(command.id) }
        }
        #expect(failed == [ids[1]])
        // Claimed all three; the failed re-check's own write is gone.
        #expect(try await states(store, ids) == [.inFlight, .inFlight, .inFlight])
        #expect(Set(try await store.auditTrail(event: "recheck").compactMap(\.accountID)) == ["A1", "A3"])
    }

    @Test func aBatchOfOutcomesWhereOneLostItsRaceCommitsTheOthers() async throws {
        let store = try await testStore()
        let ids = try await trips(store, 3)
        for id in ids { #expect(try await store.markInFlight(id, at: t0)) }
        // Someone else moved the second on while its outcome was on its way.
        _ = try await store.moveToReview(ids[1], reason: "an operator took it", at: t0)
        let open = MeterState(relay: .open)
        let next = t0.addingTimeInterval(10)
        let results = try await store.write { db in
            CommandQueue.record([(id: ids[0], outcome: .acknowledged(meterState: open, detail: "relay open"), at: t0),
                                 (id: ids[1], outcome: .acknowledged(meterState: open, detail: "relay open"), at: t0),
                                 (id: ids[2], outcome: .retry(error: "no reply", next: next), at: t0)], in: db)
        }
        #expect(results.count == 3)
        #expect(try results[0].get() == nil && results[2].get() == nil)  // written, no review item
        #expect(throws: StoreError.lostRace(command: ids[1], expected: .inFlight, found: .review)) { try results[1].get() }
        #expect(try await states(store, ids) == [.acknowledged, .review, .pending])
        #expect(try await store.account("A1")?.meter == open)
        #expect(try await store.account("A2")?.meter == MeterState(relay: .closed))
        let retried = try await store.command(ids[2])
        #expect(retried.nextAttemptAt == next && retried.lastError == "no reply" && retried.attempts == 1)
        #expect(try await store.auditTrail(event: "command_acknowledged").compactMap(\.commandID) == [ids[0]])
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test func theBatcherGivesEachCallerItsOwnOutcome() async throws {
        let store = try await testStore()
        let ids = try await trips(store, 6)
        for id in ids { #expect(try await store.markInFlight(id, at: t0)) }
        _ = try await store.moveToReview(ids[3], reason: "an operator took it", at: t0)
        let batcher = CommandOutcomeBatcher(store: store)
        // Concurrent callers: however they are grouped into writes, each gets its own result.
        let results = await withTaskGroup(of: (Int64, Result<Int64?, any Error>).self) { group in
            for (i, id) in ids.enumerated() {
                let outcome: CommandOutcome = i == 5 ? .review(reason: "refused") : .acknowledged(meterState: nil, detail: "done")
                group.addTask { (id, await Result { try await batcher.record(outcome, of: id, at: t0) }) }
            }
            var out: [Int64: Result<Int64?, any Error>] = [:]
            for await (id, result) in group { out[id] = result }
            return out
        }
        for (i, id) in ids.enumerated() {
            let result = try #require(results[id])
            switch i {
            case 3: #expect(throws: StoreError.self) { try result.get() }
            case 5: #expect(try result.get() != nil)  // the review item opened
            default: #expect(try result.get() == nil)
            }
        }
        #expect(try await states(store, ids) == [.acknowledged, .acknowledged, .acknowledged, .review, .acknowledged, .review])
        #expect(try await store.openReviewItems().compactMap(\.commandID).sorted() == [ids[3], ids[5]])
        #expect(try await store.verifyAudit().isIntact)
    }
}

extension Result where Failure == any Error {
    /// `Result(catching:)` for an async body.
    init(_ body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
