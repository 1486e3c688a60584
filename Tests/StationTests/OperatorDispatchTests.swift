import ChargeControl
import DLT645
import Foundation
import MeterSim
import Store
import Testing
@testable import Station

/// Operator commands through the dispatcher (real meter-sim on 127.0.0.1, real store): sent as
/// asked even when the policy does not plan them, except a trip of an account protected since.
@Suite struct OperatorDispatchTests {
    /// A paying customer's meter tripped by an operator: the policy plans no trip, yet the trip is
    /// sent and acknowledged (the relay read back open); the next evaluation plans allow-close.
    @Test func anOperatorsTripThePolicyDoesNotPlanIsSentAndAcknowledged() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "50.00")
            #expect(try await rig.commands().isEmpty, "the policy plans nothing for a paying account")
            let queued = try await rig.core.queueOperatorCommand(.trip, meter: DispatchRig.meter, reason: "meter swap", actor: "alice")
            #expect(queued.command.reason == DecisionReason.operatorRequest.rawValue)
            #expect(queued.note.contains("allow_close"))
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("the operator's trip acknowledged") {
                    try await rig.command(.trip)?.state == .acknowledged
                }
            }
            #expect(rig.simMeter?.relay == "open")
            #expect(try await rig.store.account("A1")?.meter.relay == .open)
            let trip = try #require(try await rig.command(.trip))
            #expect(trip.attempts == 1)
            #expect(rig.logs.events("superseded").isEmpty)
            // The policy's next look undoes it, as the note said.
            try await rig.core.reevaluate(account: "A1")
            #expect(try await rig.command(.allowClose)?.state == .pending)
        }
    }

    /// Protection wins even over an operator: a trip queued before the account turned protected
    /// is superseded before sending, and the meter never sees it.
    @Test func anOperatorsTripOfAnAccountProtectedSinceIsSuperseded() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "50.00")
            _ = try await rig.core.queueOperatorCommand(.trip, meter: DispatchRig.meter, reason: "meter swap", actor: "alice")
            _ = try await rig.core.upsertAccount(AccountProvisioning(accountID: "A1", meterAddress: DispatchRig.meter, terminalID: "T1",
                                                                     tariff: "flat-test", region: "north", isProtected: true))
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("the trip superseded") { try await rig.command(.trip)?.state == .superseded }
            }
            #expect(rig.simMeter?.relay == "closed")
            #expect(rig.logs.events("superseded").first?.text.contains("protected") == true)
        }
    }

    /// The rule itself, on made-up plans.
    @Test func recheckSendsOperatorCommandsThePlanDoesNotHold() throws {
        let now = instant("2026-11-23T10:00:00+08:00")
        let settings = try ControlSettings(alarm: AlarmThreshold(yuan("20.00")), trip: TripThreshold(yuan("0.00")))
        let empty = try rules().policy.evaluate(balance: yuan("50.00"), settings: settings, meter: MeterState(relay: .closed, alarm: false),
                                                data: .normal, at: now)
        #expect(empty.commands.isEmpty)
        let policyTrip = ControlEffects.recheck(.trip, meter: "1", accountMeter: "1", plan: empty, at: now, reason: "balance_at_or_below_trip")
        #expect(policyTrip == .supersede(reason: "no longer wanted: balance 50.00, state normal, nothing to send"))
        let operatorTrip = ControlEffects.recheck(.trip, meter: "1", accountMeter: "1", plan: empty, at: now, reason: "operator_request")
        #expect(operatorTrip == .send)
        let protected = ControlEffects.recheck(.trip, meter: "1", accountMeter: "1", plan: empty, at: now, reason: "operator_request",
                                               isProtected: true)
        #expect(protected == .supersede(reason: "the account is protected now: an operator's trip is not sent"))
        let alarm = ControlEffects.recheck(.alarm, meter: "1", accountMeter: "1", plan: empty, at: now, reason: "operator_request",
                                           isProtected: true)
        #expect(alarm == .send)
        let moved = ControlEffects.recheck(.alarm, meter: "1", accountMeter: "2", plan: empty, at: now, reason: "operator_request")
        #expect(moved == .supersede(reason: "the account's meter is now 2, not 1"))
    }
}
