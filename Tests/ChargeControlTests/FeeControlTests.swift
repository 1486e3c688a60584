import Foundation
import Testing
import Tariffs
@testable import ChargeControl

@Suite struct FeeControlTests {
    /// Every event in every state: (from, event, to, queues the enrolment writes).
    static let table: [(FeeControlState, FeeControlEvent, FeeControlState, Bool)] = [
        (.pending, .enrol, .pending, true),
        (.pending, .writesConfirmed, .active, false),
        (.pending, .release, .released, false),
        (.active, .enrol, .active, true),
        (.active, .writesConfirmed, .active, false),
        (.active, .release, .released, false),
        (.released, .enrol, .pending, true),
        (.released, .writesConfirmed, .released, false),
        (.released, .release, .released, false),
    ]

    @Test func theTableCoversEveryPair() {
        let pairs = Set(Self.table.map { "\($0.0.rawValue)/\($0.1.rawValue)" })
        #expect(pairs.count == FeeControlState.allCases.count * FeeControlEvent.allCases.count)
    }

    @Test(arguments: table)
    func everyEventInEveryState(from: FeeControlState, event: FeeControlEvent, to: FeeControlState, writes: Bool) {
        let move = FeeControlLifecycle.transition(from: from, on: event)
        #expect(move.to == to)
        #expect(move.effects == (writes ? [.queueEnrolmentWrites] : []))
    }

    private func settings(_ feeControl: FeeControlState) throws -> ControlSettings {
        try ControlSettings(alarm: AlarmThreshold(money("20")), trip: TripThreshold(money("0")), feeControl: feeControl)
    }

    private var policy: ControlPolicy {
        get throws { ControlPolicy(calendar: try TripCalendar.parse(windows: ["Mon-Sun 00:00-24:00"], holidays: [], timeZone: .gmt)) }
    }

    @Test func aPendingAccountIsAlarmedButNeverTripped() throws {
        let plan = try policy.evaluate(balance: money("-5"), settings: settings(.pending), meter: MeterState(relay: .closed),
                                       data: .normal, at: at("2026-09-30T10:00:00+08:00"))
        #expect(plan.commands.map(\.kind) == [.alarm])
        #expect(plan.held.map(\.reason) == [.feeControlPending])
        // Once active, the same balance trips.
        let active = try policy.evaluate(balance: money("-5"), settings: settings(.active), meter: MeterState(relay: .closed),
                                         data: .normal, at: at("2026-09-30T10:00:00+08:00"))
        #expect(active.commands.map(\.kind) == [.alarm, .trip])
    }

    @Test func aReleasedAccountHasItsControlLiftedWhateverTheBalance() throws {
        let tripped = MeterState(relay: .open, alarm: true)
        let plan = try policy.evaluate(balance: money("-50"), settings: settings(.released), meter: tripped, data: .normal,
                                       at: at("2026-09-30T10:00:00+08:00"))
        #expect(plan.commands.map(\.kind) == [.allowClose, .alarmRelease])
        #expect(plan.commands.allSatisfy { $0.reason == .feeControlRelease && !$0.isDeferred })
        #expect(plan.state == .normal && plan.held.map(\.reason) == [.feeControlReleased])
        // Nothing adverse, ever: a closed meter with no balance stays as it is.
        let quiet = try policy.evaluate(balance: money("-50"), settings: settings(.released), meter: MeterState(relay: .closed),
                                        data: .normal, at: at("2026-09-30T10:00:00+08:00"))
        #expect(quiet.commands.isEmpty)
    }
}
