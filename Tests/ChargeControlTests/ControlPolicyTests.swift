import Foundation
import Testing
import Tariffs
@testable import ChargeControl

/// One row of the policy table.
struct PolicyCase: Sendable, CustomTestStringConvertible {
    let name: String
    var balance = "50"
    var settings = PolicySettings()
    var meter = MeterState(relay: .closed)
    var abnormal = false
    /// Wednesday 10:00, inside the working-day window.
    var now = "2026-09-30T10:00:00+08:00"
    let commands: [CommandKind]
    var held: [DecisionReason] = []
    var state: AccountControlState
    var deferredUntil: String?

    var testDescription: String { name }
}

struct PolicySettings: Sendable {
    var alarm = "20"
    var trip = "0"
    var margin = "5"
    var protected = false
}

@Suite struct ControlPolicyTests {
    static let cases: [PolicyCase] = [
        PolicyCase(name: "healthy balance: nothing to do", commands: [], state: .normal),
        PolicyCase(name: "at the alarm threshold: alarm", balance: "20", commands: [.alarm], state: .alarm),
        PolicyCase(name: "alarm on, below release level: hold", balance: "24.99", meter: MeterState(relay: .closed, alarm: true),
                   commands: [], held: [.withinHysteresis], state: .alarm),
        PolicyCase(name: "alarm on, above release level: release", balance: "25.01", meter: MeterState(relay: .closed, alarm: true),
                   commands: [.alarmRelease], state: .normal),
        PolicyCase(name: "at trip in a window: alarm then trip", balance: "0", commands: [.alarm, .trip], state: .tripped),
        PolicyCase(name: "at trip, alarm already on: trip", balance: "-3", meter: MeterState(relay: .closed, alarm: true),
                   commands: [.trip], state: .tripped),
        PolicyCase(name: "at trip at night: alarm now, trip deferred to the morning", balance: "0", now: "2026-09-28T20:00:00+08:00",
                   commands: [.alarm, .trip], state: .tripped, deferredUntil: "2026-09-29T08:00:00+08:00"),
        PolicyCase(name: "at trip on a holiday: deferred past it", balance: "0", now: "2026-10-01T10:00:00+08:00",
                   commands: [.alarm, .trip], state: .tripped, deferredUntil: "2026-10-02T08:00:00+08:00"),
        PolicyCase(name: "abnormal data: no alarm, no trip", balance: "0", abnormal: true,
                   commands: [], held: [.abnormalData, .abnormalData], state: .abnormal),
        PolicyCase(name: "tripped, below reconnect level: stays open", balance: "5", meter: MeterState(relay: .open, alarm: true),
                   commands: [], held: [.withinHysteresis], state: .tripped),
        PolicyCase(name: "tripped, above reconnect level: allow close at once", balance: "5.01", meter: MeterState(relay: .open, alarm: true),
                   now: "2026-10-01T23:00:00+08:00", commands: [.allowClose], state: .alarm),
        PolicyCase(name: "tripped and paid up, even on abnormal data: allow close and release", balance: "100", meter: MeterState(relay: .open, alarm: true),
                   abnormal: true, commands: [.allowClose, .alarmRelease], state: .abnormal),
        PolicyCase(name: "armed and short again: trip", balance: "0", meter: MeterState(relay: .armed, alarm: true),
                   commands: [.trip], state: .tripped),
        PolicyCase(name: "armed with credit: nothing", balance: "50", meter: MeterState(relay: .armed), commands: [], state: .normal),
        PolicyCase(name: "protected: keep power, alarm, never trip", balance: "-100", settings: PolicySettings(protected: true),
                   commands: [.keepPower, .alarm], held: [.protectedNotTripped], state: .protected),
        PolicyCase(name: "protected and open: close directly", balance: "50", settings: PolicySettings(protected: true),
                   meter: MeterState(relay: .open, keepPower: true), commands: [.directClose], state: .protected),
        PolicyCase(name: "protection lifted: release keep-power before the trip", balance: "0",
                   meter: MeterState(relay: .closed, keepPower: true), commands: [.keepPowerRelease, .alarm, .trip], state: .tripped),
        PolicyCase(name: "friendly credit: below zero but above trip", balance: "-9.99", settings: PolicySettings(alarm: "0", trip: "-10"),
                   commands: [.alarm], state: .alarm),
        PolicyCase(name: "friendly credit exhausted", balance: "-10", settings: PolicySettings(alarm: "0", trip: "-10"),
                   meter: MeterState(relay: .closed, alarm: true), commands: [.trip], state: .tripped),
    ]

    @Test(arguments: cases)
    func decides(_ row: PolicyCase) throws {
        let policy = ControlPolicy(calendar: try standardCalendar())
        let plan = policy.evaluate(
            balance: money(row.balance),
            settings: try settings(alarm: row.settings.alarm, trip: row.settings.trip, margin: row.settings.margin, protected: row.settings.protected),
            meter: row.meter, data: row.abnormal ? .abnormal([.duplicate]) : .normal, at: at(row.now))
        #expect(plan.commands.map(\.kind) == row.commands)
        #expect(plan.held.map(\.reason) == row.held)
        #expect(plan.state == row.state)
        #expect(plan.balance == money(row.balance))
        #expect(plan.commands.allSatisfy { $0.balance == money(row.balance) && !$0.detail.isEmpty })
        let deferred = plan.commands.filter(\.isDeferred)
        if let until = row.deferredUntil {
            #expect(deferred.map(\.kind) == [.trip])
            #expect(deferred.first?.notBefore == at(until))
        } else {
            #expect(deferred.isEmpty)
            #expect(plan.commands.allSatisfy { $0.notBefore == at(row.now) })
        }
    }

    @Test func reasonsCarryTheAmounts() throws {
        let plan = ControlPolicy(calendar: try standardCalendar()).evaluate(
            balance: money("0"), settings: try settings(), meter: MeterState(relay: .closed),
            data: .normal, at: at("2026-09-28T20:00:00+08:00"))
        #expect(plan.commands.last?.reason == .tripDeferredOutsideWindow)
        #expect(plan.commands.last?.detail
            == "balance 0.00 at or below trip threshold 0.00; outside trip windows, deferred to 2026-09-29T08:00:00+08:00")
        #expect(plan.desired == DesiredMeterState(relay: .open, alarm: true, keepPower: false))
    }

    @Test func settingsMustPutTheAlarmFirst() {
        #expect(throws: ControlSettings.Problem.alarmBelowTrip) { try settings(alarm: "0", trip: "1") }
        #expect(throws: ControlSettings.Problem.negativeMargin) { try settings(margin: "-1") }
    }

    /// Issue 17: thresholds and the margin lie within ±10,000,000.00 yuan, so the reconnect and
    /// release levels (sums of them) never overflow; the bounds themselves are accepted.
    @Test func settingsAreBounded() throws {
        _ = try settings(alarm: "10000000", trip: "-10000000", margin: "10000000")
        for (alarm, trip, margin, field) in [("10000000.01", "0", "5", "alarm threshold"), ("20", "-10000000.01", "5", "trip threshold"),
                                             ("20", "0", "10000000.01", "reconnect margin"),
                                             ("9223372036854.775807", "0", "5", "alarm threshold")] {
            do {
                _ = try settings(alarm: alarm, trip: trip, margin: margin)
                Issue.record("\(field) out of bounds accepted")
            } catch ControlSettings.Problem.outOfBounds(let bound) {
                #expect(bound.field == field)
            } catch {
                Issue.record("\(field): \(error)")
            }
        }
    }
}
