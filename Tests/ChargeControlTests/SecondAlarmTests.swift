import Foundation
import Testing
import Tariffs
@testable import ChargeControl

@Suite struct SecondAlarmTests {
    private func settings(_ feeControl: FeeControlState = .active) throws -> ControlSettings {
        try ControlSettings(alarm: AlarmThreshold(money("20")), trip: TripThreshold(money("0")), feeControl: feeControl)
    }

    @Test func raisedOnceAtLimitTwoAndClearedWithTheAlarm() throws {
        let s = try settings()
        let limit = money("10")
        #expect(SecondAlarm.change(isRaised: false, balance: money("10.01"), limit: limit, settings: s, data: .normal) == nil)
        #expect(SecondAlarm.change(isRaised: false, balance: money("10.00"), limit: limit, settings: s, data: .normal) == .raise)
        #expect(SecondAlarm.change(isRaised: true, balance: money("5"), limit: limit, settings: s, data: .normal) == nil)
        // Cleared only when the alarm itself is released (above 20 + 5).
        #expect(SecondAlarm.change(isRaised: true, balance: money("25.00"), limit: limit, settings: s, data: .normal) == nil)
        #expect(SecondAlarm.change(isRaised: true, balance: money("25.01"), limit: limit, settings: s, data: .normal) == .clear)
    }

    @Test func notOnDataUnderReviewNorForAReleasedAccount() throws {
        let limit = money("10")
        #expect(SecondAlarm.change(isRaised: false, balance: money("1"), limit: limit, settings: try settings(),
                                   data: .abnormal([])) == nil)
        #expect(SecondAlarm.change(isRaised: false, balance: money("1"), limit: limit, settings: try settings(.released),
                                   data: .normal) == nil)
        #expect(SecondAlarm.change(isRaised: true, balance: money("1"), limit: limit, settings: try settings(.released),
                                   data: .normal) == .clear)
        // Pending accounts are alarmed (only never tripped).
        #expect(SecondAlarm.change(isRaised: false, balance: money("1"), limit: limit, settings: try settings(.pending),
                                   data: .normal) == .raise)
    }
}
