import ChargeControl
import Foundation
import Store
import Testing
@testable import Station

/// Adjustments (issue 14 item 3) decide through the normal policy: a refund reconnects like a
/// payment; a correction trips only where the policy would — inside a trip window, never a
/// protected account.
@Suite struct AdjustmentPolicyTests {
    func adjust(_ fixture: APIFixture, _ number: String, _ amount: String, account: String = "A1") async throws {
        let outcome = try await fixture.core.adjust(AdjustmentRequest(adjustmentNo: number, accountID: account, amount: yuan(amount),
                                                                       reason: "correction \(number)"))
        guard case .created = outcome else { throw TestFailure("adjustment \(number) was not created: \(outcome)") }
    }

    func kinds(_ fixture: APIFixture, _ account: String = "A1") async throws -> [CommandKind] {
        try await fixture.store.commands(account: account).filter { $0.state == .pending }.map(\.kind).sorted { $0.rawValue < $1.rawValue }
    }

    @Test func aCorrectionTripsAndARefundReconnects() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try await adjust(fixture, "ADJ-1", "-25.00")  // 10.00 → −15.00: below trip 0
        #expect(try await kinds(fixture).contains(.trip))
        #expect(try await fixture.store.account("A1")?.state == .tripped)
        // The meter carries the trip out (as the dispatcher records it).
        let trip = try #require(try await fixture.store.commands(account: "A1").first { $0.kind == .trip })
        #expect(try await fixture.store.markInFlight(trip.id, at: fixture.clock.now))
        try await fixture.store.acknowledge(trip.id, meterState: MeterState(relay: .open, alarm: true), detail: "read back",
                                            at: fixture.clock.now)
        try await adjust(fixture, "ADJ-2", "30.00")   // −15.00 → 15.00: above trip + margin 5
        let pending = try await kinds(fixture)
        #expect(pending.contains(.allowClose), "the refund reconnects: \(pending)")
        #expect(try await fixture.store.verifyBalances().isEmpty)
    }

    @Test func aCorrectionOutsideTheTripWindowWaitsForIt() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        // Monday 10:00 in Shanghai; trips only 02:00–03:00.
        fixture.core.replaceEvaluator(Evaluator(rules: try rules(windows: ["Mon-Sun 02:00-03:00"])))
        try await adjust(fixture, "ADJ-1", "-25.00")
        let trip = try #require(try await fixture.store.commands(account: "A1").first { $0.kind == .trip })
        #expect(trip.notBefore == instant("2026-11-24T02:00:00+08:00"), "deferred to the next window: \(trip)")
    }

    @Test func aCorrectionNeverTripsAProtectedAccount() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        _ = try await fixture.core.upsertAccount(AccountProvisioning(accountID: "H1", meterAddress: "000000000009", terminalID: "T1",
                                                                     tariff: "flat-test", region: "north", customerClass: "hospital",
                                                                     openingBalance: yuan("10.00")))
        try await adjust(fixture, "ADJ-H", "-25.00", account: "H1")
        let commands = try await fixture.store.commands(account: "H1")
        #expect(!commands.contains { $0.kind == .trip }, "\(commands.map(\.kind))")
        #expect(try await fixture.store.account("H1")?.balance == yuan("-15.00"))
    }

    @Test(.enabled(if: APIChargeCtlTests.binary != nil, "chargectl is not built (run swift build --build-tests)"))
    func chargectlAdjustsOnceWithTheOperatorsName() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try await fixture.serving(tokens: NamedToken.tokens) { url in
            let arguments = ["account", "adjust", "A1", "--adjustment-no", "ADJ-9", "--amount", "-2.50", "--reason", "meter test"]
            let first = try await APIChargeCtlTests.chargectl(arguments, url: url, token: NamedToken.alice)
            #expect(first.status == 0 && first.out.contains("adjustment ADJ-9 recorded: -2.50 yuan to account A1, balance 7.50 yuan"),
                    "\(first)")
            let again = try await APIChargeCtlTests.chargectl(arguments, url: url, token: NamedToken.alice)
            #expect(again.status == 0 && again.out.contains("was already recorded"), "\(again)")
        }
        #expect(try await fixture.store.auditTrail().filter { $0.event == "adjustment" }.map(\.actor) == ["alice"])
    }
}
