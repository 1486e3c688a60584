import ChargeControl
import DLT645
import Foundation
import MeterSim
import Store
import Tariffs
import Testing
@testable import Station

/// Clocks, price pushes and the closed loop against an in-process meter-sim (issue 13, items 3–5).
@Suite struct MeterManagementDispatchTests {
    /// A reading of A1's meter whose clock was read `offset` seconds off, as the collector makes it.
    private func readClock(_ rig: DispatchRig, offset: TimeInterval, total: String = "100.00") async throws -> Evaluation {
        let now = rig.clock.now
        let reading = MeterReading(collectedAt: now, meterTime: now.addingTimeInterval(offset), total: kWh(total),
                                   registers: PerRegister(sharp: .zero, peak: .zero, flat: kWh(total), valley: .zero))
        let evaluator = rig.core.evaluator
        let evaluation = try await rig.store.transaction { tx in
            try evaluator.apply(reading: reading, meter: nil, account: "A1", at: now, in: tx)
        }
        rig.core.announce(evaluation)
        return evaluation
    }

    @Test(arguments: [(Int32(120), CommandKind.clockBroadcast), (Int32(-900), .clockWrite)])
    func aClockOffIsSetAndConfirmedByReadingItBack(offset: Int32, kind: CommandKind) async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "50.00")
            rig.simChange(MeterChange(clockOffsetSeconds: offset))
            let evaluation = try await readClock(rig, offset: TimeInterval(offset))
            #expect(evaluation.newCommands.map(\.command.kind) == [kind])
            #expect(evaluation.newCommands.first?.command.reason == .clockCorrection)
            // The same clock seen again queues nothing more.
            #expect(try await readClock(rig, offset: TimeInterval(offset), total: "100.01").newCommands.isEmpty)
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("clock set") { try await rig.command(kind)?.state == .acknowledged }
            }
            #expect(rig.simMeter?.clockOffsetSeconds == 0)
            let detail = try #require(try await auditDetails(rig.store, event: "command_acknowledged").first { $0.hasPrefix(kind.rawValue) })
            #expect(detail.contains("now 0 s off, confirmed by reading it back"), "\(detail)")
            #expect(rig.logs.events("clock_set").count == 1)
        }
    }

    @Test func aClockWithinTheToleranceIsLeftAlone() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "50.00")
            #expect(try await readClock(rig, offset: 45).newCommands.isEmpty)
        }
    }

    @Test func aClockOnlyHoldIsResolvedOnceTheStationHasSetTheClockAndBillingResumes() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "50.00")
            _ = try await readClock(rig, offset: 0, total: "100.00")  // baseline
            rig.clock.advance(by: 900)
            rig.lineTime.advance(by: 900)
            rig.simChange(MeterChange(clockOffsetSeconds: 1_200))
            let skewed = try await readClock(rig, offset: 1_200, total: "101.00")
            guard case .abnormal = skewed.outcome else { throw TestFailure("a 20-minute clock is abnormal: \(skewed.outcome)") }
            #expect(try await rig.store.openReviewItems().count == 1)
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("hold released") { try await rig.store.openReviewItems().isEmpty }
            }
            // The skewed reading was accepted: 1 kWh at the flat 0.5000 is billed.
            #expect(try await rig.store.account("A1")?.balance == yuan("49.50"))
            #expect(try await rig.store.account("A1")?.state != .abnormal)
        }
    }

    @Test func aRelayThatDidNotMoveIsAFailedAttemptThenReviewNamingBothStates() async throws {
        try await withDispatchRig { rig in
            rig.simChange(MeterChange(readBackLies: true))
            try await rig.provision(opening: "-1.00")  // alarm and trip
            try await rig.withDispatcher(policy: try DispatchRig.policy(maxAttempts: 1)) { _ in
                try await eventually("trip in review") { try await rig.command(.trip)?.state == .review }
            }
            let trip = try #require(try await rig.command(.trip))
            #expect(trip.acknowledgedAt == nil)
            let item = try #require(try await rig.store.openReviewItems().first { $0.commandID == trip.id })
            #expect(item.reason.contains("shows relay closed, trip wants relay open"), "\(item.reason)")
            // The meter's relay really is open (only its status word lies): a person must look.
            #expect(rig.simMeter?.relay == "open")
        }
    }

    @Test func aPriceVersionReachesTheSecondSetAndTheSwitchTimeIsConfirmed() async throws {
        try await withDispatchRig { rig in
            try rig.useTariffWithFutureVersion()
            try await rig.provision(opening: "50.00")
            try await rig.core.pushFuturePrices()
            try await rig.withDispatcher(policy: try DispatchRig.policy()) { _ in
                try await eventually("push confirmed") { try await rig.store.pricePushes().first?.confirmed == 1 }
            }
            let parameters = try #require(rig.simMeter?.parameters)
            #expect(parameters["04050203"] == "0.5512" && parameters["04050204"] == "0.3000")
            #expect(parameters["04000108"] == "2612010000")
            #expect(try await rig.store.pricePushes().first?.outstanding == 0)
        }
    }
}
