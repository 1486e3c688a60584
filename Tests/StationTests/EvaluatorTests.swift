import ChargeControl
import Foundation
import Store
import Tariffs
import Testing
@testable import Station

@Suite("Evaluator: reading to commands in one transaction")
struct EvaluatorTests {
    func apply(_ store: StationStore, _ evaluator: Evaluator, _ r: MeterReading, meter: MeterState? = nil) async throws -> Evaluation {
        try await store.transaction { tx in try evaluator.apply(reading: r, meter: meter, account: "A1", at: r.collectedAt, in: tx) }
    }

    @Test func creditRunsOutAlarmThenTrip() async throws {
        let store = try await storeWithAccount(opening: "30.00")
        let evaluator = Evaluator(rules: try rules())
        let first = try await apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        #expect(first.outcome == .baseline && first.commandIDs.isEmpty)

        // 20 kWh × 0.50 = 10.00 → balance 20.00: at the alarm threshold.
        let second = try await apply(store, evaluator, reading("2026-11-23T12:00:00+08:00", total: "120.00"))
        #expect(second.outcome == .billed(charge: yuan("10.00"), energy: kWh("20.00")))
        #expect(second.balance == yuan("20.00"))
        #expect(second.plan.commands.map(\.kind) == [.alarm])

        // 41 kWh more → balance −0.50: trip (the alarm is already queued, so it is kept, not doubled).
        let third = try await apply(store, evaluator, reading("2026-11-23T16:00:00+08:00", total: "161.00"), meter: MeterState(relay: .closed, alarm: true))
        #expect(third.balance == yuan("-0.50"))
        #expect(third.plan.commands.map(\.kind) == [.trip])
        #expect(third.newCommands.map(\.command.kind) == [.trip])
        // Deciding again queues nothing new: the pending trip is kept, and nothing is logged twice.
        let again = try await store.transaction { tx in
            try evaluator.reevaluate(account: "A1", at: instant("2026-11-23T16:01:00+08:00"), in: tx)
        }
        #expect(again.plan.commands.map(\.kind).contains(.trip))
        #expect(again.newCommands.isEmpty)
        let commands = try await store.commands(account: "A1")
        #expect(commands.map(\.kind) == [.trip, .alarm])
        #expect(commands.allSatisfy { $0.state == .pending })
        #expect(try await store.account("A1")?.state == .tripped)
        #expect(try await store.verifyBalances().isEmpty)
        #expect(try await store.verifyAudit().isIntact)
    }

    /// Issue 17: a charge that would take the balance past −`AmountBounds.balance` is not billed
    /// and stops nothing: the reading is abnormal ("unbillable"), reviewed, and no trip is decided.
    @Test func aChargePastTheBalanceBoundIsAnAbnormalReading() async throws {
        let store = try await storeWithAccount(opening: "-999999990.00")
        let evaluator = Evaluator(rules: try rules())
        _ = try await apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        // 100 kWh × 0.50 = 50.00 yuan: −1,000,000,040.00 would be past the bound.
        let over = try await apply(store, evaluator, reading("2026-11-23T16:00:00+08:00", total: "200.00"))
        guard case .abnormal(let reasons) = over.outcome else { Issue.record("not abnormal: \(over.outcome)"); return }
        #expect(reasons.map(\.code) == ["unbillable"])
        #expect(reasons.first?.description.contains("1000000000.00") == true, "\(reasons)")
        #expect(over.balance == yuan("-999999990.00"))
        #expect(!over.plan.commands.contains { $0.kind == .trip })
        #expect(try await store.openReviewItems().map(\.kind) == [.reading])
        #expect(try await store.ledger(account: "A1").map(\.kind) == [.opening])
        // A register no XXXXXX.XX meter can show is abnormal before any arithmetic is done on it
        // (held by the open item: stored with its reasons, no second item).
        let huge = MeterReading(collectedAt: instant("2026-11-23T17:00:00+08:00"), total: Energy(hundredths: .max),
                                registers: PerRegister(sharp: .zero, peak: .zero, flat: Energy(hundredths: .max), valley: .zero))
        let impossible = try await apply(store, evaluator, huge)
        guard case .held(let codes, _) = impossible.outcome else { Issue.record("not held: \(impossible.outcome)"); return }
        #expect(codes.map(\.code) == ["register_out_of_range", "register_out_of_range"])
        #expect(try await store.openReviewItems().count == 1)
        #expect(try await store.verifyBalances().isEmpty)
    }

    @Test func abnormalReadingIsNotBilledAndOpensReview() async throws {
        let store = try await storeWithAccount(opening: "5.00")
        let evaluator = Evaluator(rules: try rules())
        let baseline = try await apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        #expect(baseline.plan.commands.map(\.kind) == [.alarm])  // 5.00 is below the alarm threshold
        // Backwards by 50 kWh on the total and the flat register: abnormal; no decision is taken.
        let bad = try await apply(store, evaluator, reading("2026-11-23T11:00:00+08:00", total: "50.00"))
        guard case .abnormal(let reasons) = bad.outcome else { Issue.record("not abnormal: \(bad.outcome)"); return }
        #expect(reasons.map(\.code) == ["register_backwards", "register_backwards"])
        #expect(bad.balance == yuan("5.00"))
        #expect(bad.plan.commands.isEmpty)
        #expect(try await store.commands(account: "A1").map(\.kind) == [.alarm])
        let review = try await store.openReviewItems()
        #expect(review.count == 1 && review.first?.kind == .reading)
        #expect(try await store.account("A1")?.state == .abnormal)
        // The account is on hold until the item is resolved: a good reading is stored, not
        // billed (AbnormalHoldTests: what each resolution does then).
        let good = try await apply(store, evaluator, reading("2026-11-23T12:00:00+08:00", total: "102.00"))
        #expect(good.outcome == .held([], reviewItem: try #require(review.first).id))
        #expect(good.balance == yuan("5.00"))
        #expect(try await store.account("A1")?.state == .abnormal)
    }

    @Test func aReadingOlderThanAnAcknowledgementDoesNotUndoIt() async throws {
        let store = try await storeWithAccount(opening: "-2.00")
        let evaluator = Evaluator(rules: try rules())
        _ = try await apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"),
                            meter: MeterState(relay: .closed, alarm: true))
        let trip = try #require(try await store.commands(account: "A1").first { $0.kind == .trip })
        // The trip goes out and is acknowledged at 10:05 ...
        let acknowledgedAt = instant("2026-11-23T10:05:00+08:00")
        _ = try await store.markInFlight(trip.id, at: acknowledgedAt)
        try await store.acknowledge(trip.id, meterState: MeterState(relay: .open, alarm: true), detail: "relay open", at: acknowledgedAt)
        // ... while a reading collected at 10:04 (status word still closed) waited for its commit.
        let late = try await apply(store, evaluator, reading("2026-11-23T10:04:59+08:00", total: "100.00"),
                                   meter: MeterState(relay: .closed, alarm: true))
        #expect(late.plan.commands.isEmpty, "the stale status word must not queue the trip again")
        #expect(try await store.account("A1")?.meter.relay == .open)
        #expect(try await store.commands(account: "A1").filter { $0.kind == .trip }.count == 1)
        // A reading collected after the acknowledgement is believed (the meter was closed by hand).
        let fresh = try await apply(store, evaluator, reading("2026-11-23T10:06:00+08:00", total: "100.00"),
                                    meter: MeterState(relay: .closed, alarm: true))
        #expect(try await store.account("A1")?.meter.relay == .closed)
        #expect(fresh.plan.commands.map(\.kind).contains(.trip))
    }

    @Test func paymentReevaluationAllowsCloseAtOnce() async throws {
        let store = try await storeWithAccount(opening: "-2.00")
        let evaluator = Evaluator(rules: try rules())
        let now = instant("2026-11-23T10:00:00+08:00")
        try await store.transaction { tx in
            try tx.setControlState(account: "A1", state: .tripped, meter: MeterState(relay: .open, alarm: true), at: now)
        }
        _ = try await store.recordPayment(PaymentRequest(orderNo: "P1", accountID: "A1", amount: yuan("50.00"), channel: .counter,
                                                         paidAt: now), receivedAt: now)
        let e = try await store.transaction { tx in try evaluator.reevaluate(account: "A1", at: now, in: tx) }
        #expect(e.balance == yuan("48.00"))
        #expect(e.plan.commands.map(\.kind).contains(.allowClose))
        #expect(try await store.dueCommands(at: now).first?.kind == .allowClose)
    }

    @Test func tripOutsideTheWindowIsDeferredToItsOpening() async throws {
        let store = try await storeWithAccount(opening: "1.00")
        let evaluator = Evaluator(rules: try rules(windows: ["Mon-Fri 08:00-16:00"]))
        _ = try await apply(store, evaluator, reading("2026-11-23T17:00:00+08:00", total: "100.00"), meter: MeterState(relay: .closed, alarm: true))
        let e = try await apply(store, evaluator, reading("2026-11-23T18:00:00+08:00", total: "104.00"), meter: MeterState(relay: .closed, alarm: true))
        #expect(e.balance == yuan("-1.00"))
        let trip = try #require(e.plan.commands.first { $0.kind == .trip })
        #expect(trip.isDeferred)
        #expect(trip.notBefore == instant("2026-11-24T08:00:00+08:00"))
        #expect(try await store.dueCommands(at: instant("2026-11-23T18:00:00+08:00")).isEmpty)
        #expect(try await store.dueCommands(at: instant("2026-11-24T08:00:00+08:00")).map(\.kind) == [.trip])
    }

    @Test func protectedAccountGetsKeepPowerNeverATrip() async throws {
        let store = try await storeWithAccount(opening: "1.00", protected: true)
        let evaluator = Evaluator(rules: try rules())
        _ = try await apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        let e = try await apply(store, evaluator, reading("2026-11-23T11:00:00+08:00", total: "110.00"))
        #expect(e.balance == yuan("-4.00"))
        let kinds = try await store.commands(account: "A1").map(\.kind)
        #expect(kinds.contains(.keepPower))
        #expect(!kinds.contains(.trip))
    }

    @Test func unknownTariffLeavesTheAccountAlone() async throws {
        let store = try await storeWithAccount(opening: "10.00")
        var r = try rules()
        r.tariffs = [:]
        let evaluator = Evaluator(rules: r)
        await #expect(throws: EvaluationError.unknownTariff(account: "A1", tariff: "flat-test")) {
            _ = try await apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        }
        #expect(try await store.readingTally().readings == 0)
    }

    @Test func customerClassesSetThresholdsAndProtection() async throws {
        let evaluator = Evaluator(rules: try rules())
        // business: alarm at 50, trip only below −10 (friendly credit).
        let business = try await storeWithAccount(opening: "5.00", customerClass: "business")
        _ = try await apply(business, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        let owing = try await apply(business, evaluator, reading("2026-11-23T11:00:00+08:00", total: "120.00"),
                                    meter: MeterState(relay: .closed, alarm: true))
        #expect(owing.balance == yuan("-5.00"))
        #expect(!owing.plan.commands.map(\.kind).contains(.trip))
        let settings = try evaluator.rules.settings(for: try #require(try await business.account("A1")))
        #expect(settings.alarm.balance == yuan("50.00") && settings.trip.balance == yuan("-10.00"))
        // hospital: protected by its class even though the account itself is not flagged.
        let hospital = try await storeWithAccount(opening: "1.00", customerClass: "hospital")
        _ = try await apply(hospital, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        _ = try await apply(hospital, evaluator, reading("2026-11-23T11:00:00+08:00", total: "120.00"))
        let kinds = try await hospital.commands(account: "A1").map(\.kind)
        #expect(kinds.contains(.keepPower) && !kinds.contains(.trip))
    }
}
