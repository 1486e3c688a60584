import ChargeControl
import Foundation
import Store
import Testing
@testable import Station

/// Alarm limit 2 as the station's own decision (issue 13 item 2): audited, journaled and notified
/// once per episode, cleared when the alarm is released.
@Suite struct SecondAlarmStationTests {
    @Test func levelTwoIsADecisionOfItsOwn() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "30.00")
            func adjust(_ number: String, _ amount: String) async throws {
                _ = try await rig.core.adjust(AdjustmentRequest(adjustmentNo: number, accountID: "A1", amount: yuan(amount),
                                                               reason: "test"))
            }
            try await adjust("D1", "-15.00")  // 15.00: alarm (level 1) only
            #expect(try await rig.store.account("A1")?.alarm2At == nil)
            try await adjust("D2", "-5.50")  // 9.50: at or below limit 2 (half of 20.00)
            #expect(try await rig.store.account("A1")?.alarm2At != nil)
            try await adjust("D3", "-1.00")  // 8.50: already raised, nothing new
            try await adjust("P1", "20.00")  // 28.50: above the alarm release level 25.00: cleared
            #expect(try await rig.store.account("A1")?.alarm2At == nil)
            rig.clock.advance(by: 60)  // a later instant: its own notices (keys name the instant)
            try await adjust("D4", "-20.00")  // 8.50 again: a new episode

            let audit = try await rig.store.auditTrail().filter { $0.event.hasPrefix("alarm2") }
            #expect(audit.map(\.event) == ["alarm2", "alarm2_cleared", "alarm2"])
            #expect(audit.first?.detail == "balance 9.50 at or below alarm limit 2 10.00")
            let notices = try await rig.store.notifications(account: "A1").filter { $0.event == "low_balance" }
            let levels = notices.compactMap { item -> Int? in
                guard let json = try? JSONSerialization.jsonObject(with: Data(item.payload.utf8)) as? [String: Any] else { return nil }
                return json["level"] as? Int
            }
            #expect(levels == [1, 2, 1, 2], "\(notices.map(\.payload))")
            #expect(rig.logs.events("alarm2").count == 2)
        }
    }
}
