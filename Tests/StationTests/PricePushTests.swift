import ChargeControl
import DLT645
import Foundation
import Store
import Tariffs
import Testing
@testable import Station

/// A tariff's next price version goes into its meters' second price set (issue 13, item 3).
@Suite struct PricePushTests {
    /// `flat-test` with a second version from 2026-12-01 00:00 Shanghai (the rig starts 2026-11-23).
    static let tariffWithFutureVersion = flatTariffText + """

        [[prices]]
        effective = "2026-12-01T00:00:00+08:00"
        sharp = "0.6000"
        peak = "0.6000"
        flat = "0.5512"
        valley = "0.3000"
        """

    @Test func theNextVersionIsQueuedOnceForControlledAccountsWithTheSwitchTime() async throws {
        try await withDispatchRig { rig in
            try rig.useTariffWithFutureVersion()
            try await rig.provision(opening: "50.00")
            try await rig.core.upsertAccount(AccountProvisioning(accountID: "A2", meterAddress: "000000000002", terminalID: "T1",
                                                                 tariff: "flat-test", region: "north", openingBalance: yuan("50")))
            try await rig.core.changeFeeControl(.release, account: "A2", reason: "postpaid")

            let pushed = try await rig.core.pushFuturePrices(chunk: 1)
            #expect(pushed == ["price_push:flat-test:\(Int64(instant("2026-12-01T00:00:00+08:00").timeIntervalSince1970))"])
            let writes = try await rig.commands().filter { $0.kind == .write }
            #expect(writes.map { "\($0.parameter?.identifier ?? "")=\($0.parameter?.value ?? "")" }
                == ["04050201=0.6000", "04050202=0.6000", "04050203=0.5512", "04050204=0.3000", "04000108=2612010000"])
            // Due before the prices change.
            #expect(writes.allSatisfy { $0.deadline <= instant("2026-12-01T00:00:00+08:00") })
            // The released account gets nothing; a second call (a reload) queues nothing new.
            #expect(try await rig.store.commands(account: "A2").filter { $0.kind == .write }.isEmpty)
            #expect(try await rig.core.pushFuturePrices().isEmpty)
            let progress = try #require(try await rig.store.pricePushes().first)
            #expect(progress.meters == 1 && progress.confirmed == 0 && progress.inReview == 0 && progress.outstanding == 1)
            #expect(progress.switchTime == "2612010000" && progress.tariff == "flat-test")
            let audit = try await rig.store.auditTrail(event: "price_push").map(\.detail)
            #expect(audit == ["tariff flat-test: prices effective 2612010000 queued for the second price set of 1 meters"])
        }
    }

    @Test func aVersionAlreadyInForceIsNotPushed() async throws {
        try await withDispatchRig(start: "2026-12-02T10:00:00+08:00") { rig in
            try rig.useTariffWithFutureVersion()
            try await rig.provision(opening: "50.00")
            #expect(try await rig.core.pushFuturePrices().isEmpty)
            #expect(try await rig.commands().filter { $0.kind == .write }.isEmpty)
        }
    }

    @Test func theSwitchTimeIsTheMinuteInTheMetersZone() throws {
        #expect(try PricePush.switchTime(instant("2027-01-05T07:30:59+08:00"), in: shanghai) == "2701050730")
        #expect(try PricePush.switchTime(instant("2027-01-04T23:30:00Z"), in: shanghai) == "2701050730")
    }
}

extension DispatchRig {
    /// `flat-test` replaced by `PricePushTests.tariffWithFutureVersion` in the rules in force.
    func useTariffWithFutureVersion() throws {
        var rules = core.evaluator.rules
        rules.tariffs["flat-test"] = try Tariff.parse(PricePushTests.tariffWithFutureVersion, file: "flat-test.toml")
        core.replaceEvaluator(Evaluator(rules: rules))
    }
}
