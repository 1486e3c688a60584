import ChargeControl
import Foundation
import Testing
@testable import Store

/// A command that waits for its meter past its deadline ends then, in job review, instead of
/// when the line reaches it (the fault soak's late command, session 8).
@Suite struct CommandDeadlineTests {
    @Test func pendingCommandsPastTheirDeadlineGoToReviewAndOthersStay() async throws {
        let (store, _) = try await temporaryStore()
        try await provision(store)
        let deadline = t0.addingTimeInterval(120)
        let (waiting, fresh, deferred) = try await store.transaction { tx in
            (try tx.enqueue(planned(.keepPower), account: "A1", meter: "000000000001", deadline: deadline, at: t0),
             try tx.enqueue(planned(.alarm), account: "A1", meter: "000000000001", deadline: t0.addingTimeInterval(600), at: t0),
             try tx.enqueue(planned(.trip, notBefore: t0.addingTimeInterval(3600)), account: "A1", meter: "000000000001",
                            deadline: deadline, at: t0))
        }
        // Before the deadline nothing moves.
        #expect(try await store.reviewCommandsPastDeadline(at: deadline.addingTimeInterval(-1)).isEmpty)

        let moved = try await store.reviewCommandsPastDeadline(at: deadline)
        #expect(moved.map(\.command) == [waiting])
        #expect(try await store.command(waiting).state == .review)
        // One still valid, one not yet allowed to go (its window): both left pending.
        #expect(try await store.command(fresh).state == .pending)
        #expect(try await store.command(deferred).state == .pending)
        let items = try await store.openReviewItems()
        #expect(items.map(\.commandID) == [waiting])
        #expect(items.first?.reason.contains("deadline passed while waiting for its meter") == true)
        // Once only.
        #expect(try await store.reviewCommandsPastDeadline(at: deadline.addingTimeInterval(60)).isEmpty)
    }
}
