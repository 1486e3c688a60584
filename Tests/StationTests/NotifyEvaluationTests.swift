import ChargeControl
import Foundation
import Store
import Tariffs
import Testing
@testable import Station

/// The payload of an outbox row, decoded.
func decodedPayload(_ item: OutboxItem) throws -> NotificationPayload {
    try JSONDecoder().decode(NotificationPayload.self, from: Data(item.payload.utf8))
}

@Suite("Notifications: written with the decision, once per new decision")
struct NotifyEvaluationTests {
    func apply(_ store: StationStore, _ evaluator: Evaluator, _ r: MeterReading, meter: MeterState? = nil) async throws -> Evaluation {
        try await store.transaction { tx in try evaluator.apply(reading: r, meter: meter, account: "A1", at: r.collectedAt, in: tx) }
    }

    @Test func alarmThenTripAcrossReadingsOneRowEach() async throws {
        let store = try await storeWithAccount(opening: "30.00")
        let evaluator = Evaluator(rules: try rules())
        _ = try await apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        #expect(try await store.notifications().isEmpty)

        // Balance 20.00: the account enters the alarm state and an alarm is queued.
        let second = try await apply(store, evaluator, reading("2026-11-23T12:00:00+08:00", total: "120.00"))
        let alarmID = try #require(second.newCommands.first { $0.command.kind == .alarm }?.id)
        let readingID = try #require(second.readingID)
        var rows = try await store.notifications()
        #expect(rows.map(\.eventKey) == ["low_balance:A1:reading:\(readingID)", "alarm:\(alarmID)"])
        #expect(rows.map(\.event) == ["low_balance", "alarm"])

        let alarm = try decodedPayload(rows[1])
        #expect(alarm.event == .alarm && alarm.accountID == "A1" && alarm.meterAddress == "000000000001")
        #expect(alarm.balanceYuan == "20.00" && alarm.balanceMicroYuan == 20_000_000)
        #expect(alarm.at == "2026-11-23T12:00:00+08:00")
        #expect(alarm.commandID == alarmID && alarm.eventKey == rows[1].eventKey)
        #expect(alarm.deferred == nil && alarm.notBefore == nil)
        #expect(rows[1].payload.contains("\"balance_micro_yuan\":20000000"))
        #expect(!rows[0].payload.contains("command_id"))

        // Balance −0.50: a trip, in the window.
        let third = try await apply(store, evaluator, reading("2026-11-23T16:00:00+08:00", total: "161.00"),
                                    meter: MeterState(relay: .closed, alarm: true))
        let tripID = try #require(third.newCommands.first { $0.command.kind == .trip }?.id)
        rows = try await store.notifications()
        #expect(rows.map(\.eventKey).last == "trip:\(tripID)")
        // Below alarm limit 2 (10.00) too: the second low-balance notice, before the trip.
        #expect(rows.map(\.event) == ["low_balance", "alarm", "low_balance", "trip"])
        #expect(try decodedPayload(rows[2]).level == 2 && decodedPayload(rows[0]).level == 1)
        let trip = try decodedPayload(rows[3])
        #expect(trip.deferred == false && trip.notBefore == "2026-11-23T16:00:00+08:00" && trip.balanceYuan == "-0.50")

        // Deciding again adds nothing.
        _ = try await store.transaction { tx in
            try evaluator.reevaluate(account: "A1", at: instant("2026-11-23T16:01:00+08:00"), in: tx)
        }
        _ = try await apply(store, evaluator, reading("2026-11-23T16:30:00+08:00", total: "161.00"),
                            meter: MeterState(relay: .closed, alarm: true))
        rows = try await store.notifications()
        #expect(rows.count == 4)
        #expect(Set(rows.map(\.eventKey)).count == rows.count)
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test func aDeferredTripSaysUntilWhen() async throws {
        let store = try await storeWithAccount(opening: "1.00")
        let evaluator = Evaluator(rules: try rules(windows: ["Mon-Fri 08:00-16:00"]))
        let meter = MeterState(relay: .closed, alarm: true)
        _ = try await apply(store, evaluator, reading("2026-11-23T17:00:00+08:00", total: "100.00"), meter: meter)
        _ = try await apply(store, evaluator, reading("2026-11-23T18:00:00+08:00", total: "104.00"), meter: meter)
        let trips = try await store.notifications().filter { $0.event == "trip" }
        #expect(trips.count == 1)
        let trip = try decodedPayload(try #require(trips.first))
        #expect(trip.deferred == true)
        #expect(trip.notBefore == "2026-11-24T08:00:00+08:00")
        #expect(trip.at == "2026-11-23T18:00:00+08:00")
    }

    @Test func paymentOnATrippedAccountRestores() async throws {
        let store = try await storeWithAccount(opening: "-2.00")
        let evaluator = Evaluator(rules: try rules())
        let now = instant("2026-11-23T10:00:00+08:00")
        try await store.transaction { tx in
            try tx.setControlState(account: "A1", state: .tripped, meter: MeterState(relay: .open, alarm: true), at: now)
        }
        let payment = PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("50.00"), channel: .counter, paidAt: now)
        let e = try await store.transaction { tx in
            _ = try tx.recordPayment(payment, receivedAt: now)
            return try evaluator.reevaluate(account: "A1", at: now, in: tx)
        }
        let close = try #require(e.newCommands.first { $0.command.kind == .allowClose })
        let restores = try await store.notifications().filter { $0.event == "restore" }
        #expect(restores.map(\.eventKey) == ["restore:\(close.id)"])
        let restore = try decodedPayload(try #require(restores.first))
        #expect(restore.balanceYuan == "48.00" && restore.commandID == close.id)
        #expect(try await store.notifications().allSatisfy { $0.event != "low_balance" })
    }

    @Test func aRolledBackEvaluationWritesNoNotification() async throws {
        let store = try await storeWithAccount(opening: "5.00")
        let evaluator = Evaluator(rules: try rules())
        struct Crash: Error {}
        await #expect(throws: Crash.self) {
            try await store.transaction { tx in
                let e = try evaluator.apply(reading: reading("2026-11-23T10:00:00+08:00", total: "100.00"), meter: nil,
                                            account: "A1", at: instant("2026-11-23T10:00:00+08:00"), in: tx)
                #expect(e.newCommands.map(\.command.kind) == [.alarm])
                throw Crash()
            }
        }
        #expect(try await store.notifications().isEmpty)
        #expect(try await store.commands(account: "A1").isEmpty)
        // The replay after the "crash" notifies exactly once.
        _ = try await apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        // 5.00 is below alarm limit 2 (10.00) as well: both levels' notices, once.
        #expect(try await store.notifications().map(\.event) == ["low_balance", "low_balance", "alarm"])
    }
}
