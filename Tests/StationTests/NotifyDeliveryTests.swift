import DLT645NIO
import Foundation
import Store
import Testing
@testable import Station

@Suite("Notification delivery: retries with back-off, never dropped")
struct NotifyDeliveryTests {
    let start = instant("2026-11-23T10:00:00+08:00")
    let url = URL(string: "http://127.0.0.1:9/hook") ?? URL(fileURLWithPath: "/")
    /// 5 s doubling to a 40 s cap, no jitter.
    let policy = NotificationRetryPolicy(backoff: Backoff(initial: .seconds(5), maximum: .seconds(40), jitter: 0), alertAfter: 3)

    func service(_ store: StationStore, _ clock: ManualStationClock, _ sender: ScriptedWebhookSender) -> NotificationDelivery {
        NotificationDelivery(store: store, url: url, clock: clock, logger: notifyLogger(), sender: sender, policy: policy,
                             pollInterval: .seconds(3600), random: { 0.9 })
    }

    @Test func backOffScheduleDoublesToTheCap() {
        let p = NotificationRetryPolicy(backoff: Backoff(initial: .seconds(5), maximum: .seconds(40), jitter: 0))
        let delays = (1...7).map { p.nextAttempt(afterFailures: $0, now: start, random: 0).timeIntervalSince(start) }
        #expect(delays == [5, 10, 20, 40, 40, 40, 40])
        #expect(NotificationRetryPolicy.verdict(status: 204) == .delivered)
        #expect(NotificationRetryPolicy.verdict(status: 503) == .unavailable("HTTP 503"))
        #expect(NotificationRetryPolicy.verdict(status: 429) == .unavailable("HTTP 429"))
        #expect(NotificationRetryPolicy.verdict(status: 400) == .rejected("HTTP 400"))
    }

    @Test func twoServerErrorsThenDeliveredAtTheBackOffInstants() async throws {
        let store = try StationStore.inMemory()
        let clock = ManualStationClock(start)
        try await addNotification(store, key: "alarm:1", at: start)
        let sender = ScriptedWebhookSender(clock: clock, script: [500, 500, 200])
        try await whileDelivering(service(store, clock, sender)) {
            try await eventually("first attempt failed") {
                try await store.notifications().first?.attempts == 1 && clock.sleeperCount > 0
            }
            #expect(try await store.notifications().first?.nextAttemptAt == start.addingTimeInterval(5))
            clock.advance(to: start.addingTimeInterval(5))
            try await eventually("second attempt failed") {
                try await store.notifications().first?.attempts == 2 && clock.sleeperCount > 0
            }
            #expect(try await store.notifications().first?.nextAttemptAt == start.addingTimeInterval(15))
            clock.advance(to: start.addingTimeInterval(15))
            try await eventually("delivered") { try await store.notifications().first?.deliveredAt != nil }
        }
        #expect(sender.calls.map(\.at) == [start, start.addingTimeInterval(5), start.addingTimeInterval(15)])
        #expect(sender.calls.map(\.key) == ["alarm:1", "alarm:1", "alarm:1"])
        let row = try #require(try await store.notifications().first)
        #expect(row.deliveredAt == start.addingTimeInterval(15) && row.attempts == 2 && row.lastError == nil)
    }

    @Test func aDownWebhookIsRetriedAtTheCapNeverDroppedAndHoldsTheOthers() async throws {
        let store = try StationStore.inMemory()
        let clock = ManualStationClock(start)
        try await addNotification(store, key: "alarm:1", at: start)
        try await addNotification(store, key: "trip:2", at: start)
        let sender = ScriptedWebhookSender(clock: clock, script: [], fallback: nil)
        let delivery = service(store, clock, sender)
        try await whileDelivering(delivery) {
            // Eight failures: 5, 10, 20, then the 40 s cap, past `alertAfter`.
            for n in 1...8 {
                try await eventually("failure \(n)") {
                    try await store.notifications().first?.attempts == n && clock.sleeperCount > 0
                }
                let row = try #require(try await store.notifications().first)
                clock.advance(to: row.nextAttemptAt)
            }
        }
        let rows = try await store.notifications()
        #expect(rows.allSatisfy { $0.deliveredAt == nil })
        #expect(rows.first?.lastError?.contains("connection refused") == true)
        // While the first is failing, the second is not tried: one request per back-off.
        #expect(Set(sender.calls.map(\.key)) == ["alarm:1"])
        let gaps = zip(sender.calls.dropFirst(), sender.calls).map { $0.at.timeIntervalSince($1.at) }
        #expect(gaps == [5, 10, 20, 40, 40, 40, 40])
        #expect(try await store.outboxCounts().undelivered == 2)
        #expect(delivery.stats.failed == 8 && delivery.stats.delivered == 0)
    }

    @Test func aRejectedNotificationDoesNotHoldTheOthers() async throws {
        let store = try StationStore.inMemory()
        let clock = ManualStationClock(start)
        try await addNotification(store, key: "alarm:1", at: start)
        try await addNotification(store, key: "trip:2", at: start)
        let sender = ScriptedWebhookSender(clock: clock, script: [422, 200, 200])
        try await whileDelivering(service(store, clock, sender)) {
            try await eventually("second delivered") {
                try await store.notifications().last?.deliveredAt != nil && clock.sleeperCount > 0
            }
            #expect(try await store.notifications().first?.lastError == "HTTP 422")
            clock.advance(to: start.addingTimeInterval(5))
            try await eventually("first delivered") { try await store.notifications().first?.deliveredAt != nil }
        }
        #expect(sender.calls.map(\.key) == ["alarm:1", "trip:2", "alarm:1"])
    }

    @Test func wakeDeliversANewRowAtOnce() async throws {
        let store = try StationStore.inMemory()
        let clock = ManualStationClock(start)
        let sender = ScriptedWebhookSender(clock: clock, script: [])
        let delivery = service(store, clock, sender)
        try await whileDelivering(delivery) {
            try await eventually("idle") { clock.sleeperCount > 0 }
            try await addNotification(store, key: "restore:3", at: start)
            delivery.wake()
            try await eventually("delivered") { try await store.notifications().first?.deliveredAt != nil }
        }
        #expect(sender.calls.map(\.key) == ["restore:3"])
        #expect(delivery.stats.delivered == 1)
    }
}
