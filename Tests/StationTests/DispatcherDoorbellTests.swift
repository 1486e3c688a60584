import ChargeControl
import Foundation
import MeterSim
import Store
import Testing
@testable import Station

/// The dispatcher's queue in memory follows the table without waiting for its poll: new
/// commands by the doorbell, commands moved back to pending by the rescan doorbell. The
/// station clock never moves here, so the poll (a day) never fires.
@Suite("Dispatcher: doorbells, not the poll")
struct DispatcherDoorbellTests {
    static let day = Duration.seconds(86_400)

    @Test func aCommandQueuedByAPaymentReachesTheWireWithoutThePoll() async throws {
        try await withDispatchRig { rig in
            try await rig.provision(opening: "-1.00")  // alarm, then trip
            try await rig.withDispatcher(policy: try DispatchRig.policy(), pollInterval: Self.day) { _ in
                try await eventually("trip acknowledged") { try await rig.command(.trip)?.state == .acknowledged }
                #expect(rig.simMeter?.relay == "open")
                try await rig.pay("50.00", order: "P1")
                try await eventually("allow-close acknowledged") { try await rig.command(.allowClose)?.state == .acknowledged }
                #expect(rig.simMeter?.relay == "armed")
            }
            #expect(rig.clock.now == rig.start)
        }
    }

    @Test func aReviewRetryReachesTheDispatcherWithoutThePoll() async throws {
        try await withDispatchRig(simPassword: "02123456") { rig in
            try await rig.provision(opening: "10.00")  // alarm only
            try await rig.withDispatcher(policy: try DispatchRig.policy(password: "02A1B2C3"), pollInterval: Self.day) { _ in
                try await eventually("alarm in review") { try await rig.command(.alarm)?.state == .review }
                let item = try #require(try await rig.store.openReviewItems().first)
                _ = try await rig.core.act(onReview: item.id, .retry, note: "password fixed?", deadline: Self.day)
                // Sent again (still refused): back in review with a second item.
                try await eventually("alarm sent again") { rig.logs.events("command_sent").count == 2 }
                try await eventually("alarm back in review") { try await rig.command(.alarm)?.state == .review }
            }
            #expect(try await rig.store.openReviewItems().count == 1)
            #expect(rig.clock.now == rig.start)
        }
    }
}
