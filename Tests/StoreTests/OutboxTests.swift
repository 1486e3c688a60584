import Foundation
import GRDB
import Testing
@testable import Store

@Suite("Outbox: durable notifications")
struct OutboxTests {
    func entry(_ key: String, account: String = "A1") -> OutboxEntry {
        OutboxEntry(eventKey: key, event: "alarm", accountID: account, payload: "{\"event_key\":\"\(key)\"}")
    }

    @discardableResult
    func add(_ store: StationStore, _ e: OutboxEntry, at: Date = t0) async throws -> Bool {
        try await store.writer.write { db in try Outbox.add(e, at: at, in: db) }
    }

    @Test func anEventKeyIsWrittenOnce() async throws {
        let store = try await testStore()
        #expect(try await add(store, entry("alarm:1")))
        #expect(try await add(store, entry("alarm:1"), at: t0.addingTimeInterval(60)) == false)
        let rows = try await store.notifications()
        #expect(rows.count == 1)
        #expect(rows.first?.createdAt == t0 && rows.first?.nextAttemptAt == t0 && rows.first?.attempts == 0)
    }

    @Test func dueRowsOldestFirstAndBackOff() async throws {
        let store = try await testStore()
        try await add(store, entry("a"), at: t0)
        try await add(store, entry("b"), at: t0.addingTimeInterval(1))
        try await add(store, entry("c"), at: t0.addingTimeInterval(100))
        let now = t0.addingTimeInterval(10)
        #expect(try await store.dueNotifications(at: now).map(\.eventKey) == ["a", "b"])
        #expect(try await store.dueNotifications(at: now, limit: 1).map(\.eventKey) == ["a"])

        let a = try #require(try await store.dueNotifications(at: now).first)
        #expect(try await store.markNotificationFailed(a.id, error: "HTTP 500", next: now.addingTimeInterval(30), at: now) == 1)
        #expect(try await store.dueNotifications(at: now).map(\.eventKey) == ["b"])
        #expect(try await store.nextNotificationDue() == t0.addingTimeInterval(1))
        let failed = try #require(try await store.notifications().first)
        #expect(failed.attempts == 1 && failed.lastError == "HTTP 500" && failed.nextAttemptAt == now.addingTimeInterval(30))
        #expect(try await store.markNotificationFailed(a.id, error: "HTTP 502", next: now.addingTimeInterval(90), at: now) == 2)

        #expect(try await store.markNotificationDelivered(a.id, at: now))
        #expect(try await store.markNotificationDelivered(a.id, at: now) == false)
        // A delivered row is left alone by a late failure report.
        #expect(try await store.markNotificationFailed(a.id, error: "late", next: now, at: now) == 0)
        let delivered = try #require(try await store.notifications().first)
        #expect(delivered.deliveredAt == now && delivered.attempts == 2 && delivered.lastError == nil)

        let counts = try await store.outboxCounts()
        #expect(counts == OutboxCounts(undelivered: 2, failing: 0, delivered: 1, oldestUndeliveredAt: t0.addingTimeInterval(1)))
    }

    @Test func aRolledBackTransactionLeavesNoRow() async throws {
        let store = try await testStore()
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await store.transaction { tx in
                try tx.addToOutbox(OutboxEntry(eventKey: "trip:9", event: "trip", accountID: "A1", payload: "{}"), at: t0)
                throw Abort()
            }
        }
        #expect(try await store.notifications().isEmpty)
        #expect(try await store.outboxCounts() == OutboxCounts(undelivered: 0, failing: 0, delivered: 0, oldestUndeliveredAt: nil))
    }

    @Test func countsSurviveReopening() async throws {
        let (store, path) = try await temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try await add(store, entry("a"))
        let reopened = try await reopen(path)
        #expect(try await reopened.outboxCounts().undelivered == 1)
        #expect(try await reopened.dueNotifications(at: t0).map(\.eventKey) == ["a"])
    }
}
