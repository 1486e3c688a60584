import Foundation
import Testing
import Tariffs
@testable import ChargeControl

/// Invariants of the control policy over seeded random accounts, meters and instants.
@Suite struct ControlPolicyPropertyTests {
    struct Scenario {
        let balance: Money
        let settings: ControlSettings
        let meter: MeterState
        let data: DataStatus
        let now: Date
    }

    static func scenarios(seed: UInt64, count: Int) throws -> [Scenario] {
        var rng = SeededGenerator(seed: seed)
        let start = at("2026-09-26T00:00:00+08:00").timeIntervalSince1970
        return try (0..<count).map { _ -> Scenario in
            let trip = Int64.random(in: -20_000_000...10_000_000, using: &rng)
            let alarm = trip + Int64.random(in: 0...30_000_000, using: &rng)
            let settings = try ControlSettings(
                alarm: AlarmThreshold(Money(microYuan: alarm)), trip: TripThreshold(Money(microYuan: trip)),
                reconnectMargin: ReconnectMargin(Money(microYuan: Int64.random(in: 0...10_000_000, using: &rng))),
                isProtected: Int.random(in: 0..<5, using: &rng) == 0)
            // Balances cluster around the thresholds, where the rules bite.
            let anchor: Int64 = [trip, alarm, settings.reconnectLevel.microYuan, settings.alarmReleaseLevel.microYuan]
                .randomElement(using: &rng) ?? 0
            let balance = Money(microYuan: anchor + Int64.random(in: -3_000_000...3_000_000, using: &rng))
            let meter = MeterState(
                relay: RelayState.allCases.randomElement(using: &rng) ?? .closed,
                alarm: Bool.random(using: &rng), keepPower: Bool.random(using: &rng))
            let data: DataStatus = Int.random(in: 0..<4, using: &rng) == 0 ? .abnormal([.duplicate]) : .normal
            let now = Date(timeIntervalSince1970: start + TimeInterval(Int.random(in: 0...(21 * 86_400), using: &rng)))
            return Scenario(balance: balance, settings: settings, meter: meter, data: data, now: now)
        }
    }

    @Test func invariantsHold() throws {
        let calendar = try standardCalendar()
        let policy = ControlPolicy(calendar: calendar)
        for scenario in try Self.scenarios(seed: 0x5EED, count: 20_000) {
            let plan = policy.evaluate(
                balance: scenario.balance, settings: scenario.settings, meter: scenario.meter,
                data: scenario.data, at: scenario.now)
            let kinds = plan.commands.map(\.kind)
            let trips = plan.commands.filter { $0.kind == .trip }

            // A protected account is never planned a trip.
            if scenario.settings.isProtected { #expect(trips.isEmpty) }
            // No trip on abnormal data.
            if case .abnormal = scenario.data { #expect(trips.isEmpty) }
            // No trip outside a window: either now in a window, or deferred to an opening.
            for trip in trips {
                #expect(calendar.isOpen(at: trip.notBefore))
                #expect(trip.notBefore >= scenario.now)
                #expect(trip.isDeferred == !calendar.isOpen(at: scenario.now))
            }
            // An alarm always comes before a trip.
            if let tripIndex = kinds.firstIndex(of: .trip), !scenario.meter.alarm {
                #expect(kinds.firstIndex(of: .alarm).map { $0 < tripIndex } == true)
            }
            // A tripped meter above the reconnect level is always planned a close, never deferred.
            if scenario.meter.relay == .open && scenario.balance > scenario.settings.reconnectLevel {
                #expect(kinds.contains(.allowClose) || kinds.contains(.directClose))
            }
            for command in plan.commands where command.kind == .allowClose || command.kind == .directClose {
                #expect(!command.isDeferred && command.notBefore == scenario.now)
            }
            // Every decision carries the balance it saw.
            #expect(plan.commands.allSatisfy { $0.balance == scenario.balance })
            #expect(plan.held.allSatisfy { $0.balance == scenario.balance })
        }
    }

    /// Once the planned commands are carried out, evaluating again at the same balance plans
    /// nothing more that is due now: the policy does not flap.
    @Test func planIsStableOnceCarriedOut() throws {
        let policy = ControlPolicy(calendar: try standardCalendar())
        for scenario in try Self.scenarios(seed: 77, count: 5_000) {
            let plan = policy.evaluate(
                balance: scenario.balance, settings: scenario.settings, meter: scenario.meter,
                data: scenario.data, at: scenario.now)
            var meter = scenario.meter
            for command in plan.commands where !command.isDeferred {
                switch command.kind {
                case .alarm: meter.alarm = true
                case .alarmRelease: meter.alarm = false
                case .trip: meter.relay = .open
                case .allowClose: meter.relay = .armed
                case .directClose: meter.relay = .closed
                case .keepPower: meter.keepPower = true
                case .keepPowerRelease: meter.keepPower = false
                case .write, .clockBroadcast, .clockWrite: Issue.record("the policy planned \(command.kind)")
                }
            }
            let again = policy.evaluate(
                balance: scenario.balance, settings: scenario.settings, meter: meter, data: scenario.data, at: scenario.now)
            #expect(again.commands.filter { !$0.isDeferred }.isEmpty)
        }
    }

    /// A balance hovering just around the trip threshold trips once and does not reconnect
    /// until it clears the margin.
    @Test func hoveringBalanceDoesNotFlap() throws {
        let policy = ControlPolicy(calendar: try standardCalendar())
        let settings = try settings(alarm: "20", trip: "0", margin: "5")
        var meter = MeterState(relay: .closed, alarm: true)
        var rng = SeededGenerator(seed: 3)
        var trips = 0
        var closes = 0
        let now = at("2026-09-30T10:00:00+08:00")
        for _ in 0..<1_000 {
            let balance = Money(microYuan: Int64.random(in: -1_000_000...4_999_999, using: &rng))
            let plan = policy.evaluate(balance: balance, settings: settings, meter: meter, data: .normal, at: now)
            for command in plan.commands {
                if command.kind == .trip { trips += 1; meter.relay = .open }
                if command.kind == .allowClose { closes += 1; meter.relay = .armed }
            }
        }
        #expect(trips == 1)
        #expect(closes == 0)
    }
}
