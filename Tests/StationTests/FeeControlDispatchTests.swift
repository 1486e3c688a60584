import ChargeControl
import DLT645
import Foundation
import Store
import Testing
@testable import Station

/// Fee control and parameter writes against an in-process meter-sim (issue 13, items 1 and 2).
@Suite struct FeeControlDispatchTests {
    @Test func enrolPushesLimitsAndPricesAndTurnsActiveOnceAllAreReadBack() async throws {
        try await withDispatchRig { rig in
            #expect(try await rig.provision(opening: "50.00").feeControl == .active)
            // v1 accounts are active; released, then enrolled again, one goes through pending.
            try await rig.core.changeFeeControl(.release, account: "A1", reason: "contract ended")
            let pending = try await rig.core.changeFeeControl(.enrol, account: "A1", reason: "new prepaid contract", actor: "alice")
            #expect(pending.feeControl == .pending)
            let writes = try await rig.commands().filter { $0.kind == .write }
            #expect(writes.map { $0.parameter?.identifier ?? "" }
                == ["04001001", "04001002", "04050101", "04050102", "04050103", "04050104"])
            // Alarm 20.00 (the station default), limit 2 half of it, the flat test tariff's 0.5000.
            #expect(writes.map { $0.parameter?.value ?? "" } == ["20.00", "10.00", "0.5000", "0.5000", "0.5000", "0.5000"])
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("active") { try await rig.store.account("A1")?.feeControl == .active }
            }
            #expect(try await rig.commands().filter { $0.kind == .write }.allSatisfy { $0.state == .acknowledged })
            // The meter holds what was written (read through the sim's own frame handling).
            let answer = rig.fleet.respond(to: Request.read(rig.meterAddress, .alarmAmountLimit1).frame, onTerminal: 0)
            var decoder = FrameDecoder()
            decoder.append(try #require(answer.bytes))
            guard case .frame(let frame)? = decoder.next(), case .data(_, _, let value, _) = try Reply(frame: frame) else {
                throw TestFailure("no data reply to a read of 04001001")
            }
            #expect(try ParameterFormat.amount.text(of: value) == "20.00")
            let details = try await auditDetails(rig.store, event: "command_acknowledged")
            #expect(details.contains { $0.contains("04001001 (alarm amount limit 1) = 20.00, confirmed by reading it back") })
            let lifecycle = try await rig.store.auditTrail().filter { $0.event.hasPrefix("fee_control_") }.map(\.detail)
            #expect(lifecycle.count == 3)
            #expect(lifecycle.dropFirst().first?.contains("enrol: released → pending: new prepaid contract (by alice)") == true)
            #expect(lifecycle.last?.contains("writes_confirmed: pending → active") == true)
            #expect(try await rig.store.verifyAudit().isIntact)
        }
    }

    @Test func aPendingAccountIsNotTrippedUntilItsWritesAreConfirmed() async throws {
        try await withDispatchRig { rig in
            #expect(try await rig.provision(opening: "50.00", enrolAtOnce: true).feeControl == .pending)
            // Balance falls below the trip threshold while the writes wait: alarm only.
            _ = try await rig.core.adjust(AdjustmentRequest(adjustmentNo: "ADJ1", accountID: "A1", amount: yuan("-60.00"),
                                                           reason: "test correction"))
            let kinds = try await rig.commands().filter { $0.kind != .write }.map(\.kind)
            #expect(kinds == [.alarm])
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("active, then tripped") {
                    try await rig.store.account("A1")?.feeControl == .active && rig.simMeter?.relay == "open"
                }
            }
        }
    }

    @Test func releaseLiftsATripInForceAndTakesNoMoreDecisions() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "-1.00")  // alarm and trip
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("tripped") { rig.simMeter?.relay == "open" }
                let released = try await rig.core.changeFeeControl(.release, account: "A1", reason: "moved to postpaid")
                #expect(released.feeControl == .released)
                try await eventually("relay armed and alarm off, as the store knows it") {
                    try await rig.store.account("A1")?.meter == MeterState(relay: .armed, alarm: false)
                }
                #expect(rig.simMeter?.relay == "armed" && rig.simMeter?.alarm == false)
            }
            let lifted = try await rig.commands().filter { $0.reason == DecisionReason.feeControlRelease.rawValue }
            #expect(Set(lifted.map(\.kind)) == [.allowClose, .alarmRelease])
            // Still no balance, but nothing adverse is planned any more.
            let again = try await rig.core.reevaluate(account: "A1")
            #expect(again.plan.commands.isEmpty)
        }
    }

    @Test func aWriteTheMeterRefusesGoesToReview() async throws {
        try await withDispatchRig(simPassword: "02123456") { rig in
            try await rig.provision(opening: "50.00", enrolAtOnce: true)
            try await rig.withDispatcher(policy: try DispatchRig.policy(password: "02A1B2C3")) { _ in
                try await eventually("writes in review") {
                    try await rig.commands().filter { $0.kind == .write }.allSatisfy { $0.state == .review }
                }
            }
            #expect(try await rig.store.account("A1")?.feeControl == .pending)
            let items = try await rig.store.openReviewItems()
            #expect(items.count == 6 && items.allSatisfy { $0.reason.contains("ERR 04") })
        }
    }

    @Test func aNewerValueSupersedesAPendingWriteOfTheSameIdentifierOnly() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "50.00")
            let now = rig.clock.now
            func write(_ identifier: String, _ value: String) async throws {
                let planned = PlannedCommand(kind: .write, reason: .operatorRequest, detail: "test", balance: .zero, notBefore: now,
                                             isDeferred: false, parameter: ParameterSetting(identifier: identifier, value: value))
                try await rig.store.transaction { tx in
                    _ = try tx.queue(planned, account: "A1", meter: DispatchRig.meter, deadline: now.addingTimeInterval(3600), at: now)
                }
            }
            try await write("04001001", "30.00")
            try await write("04001002", "15.00")
            try await write("04001001", "30.00")  // the same again: kept, not queued twice
            try await write("04001001", "25.00")
            let writes = try await rig.commands().filter { $0.kind == .write }
            #expect(writes.map { "\($0.parameter?.identifier ?? "")=\($0.parameter?.value ?? "") \($0.state.rawValue)" }
                == ["04001001=30.00 superseded", "04001002=15.00 pending", "04001001=25.00 pending"])
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
