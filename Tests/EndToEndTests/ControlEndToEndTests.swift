import Foundation
import Store
import StationHarness
import Testing

/// Credit running out, payments and reconnection, against real `meter-sim` and `chargecontrold`
/// processes on 127.0.0.1 with a real SQLite file.
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct ControlEndToEndTests {
    /// Scenario 1: credit runs out → alarm → trip, and the simulated relay opens; a protected
    /// account runs out too but keeps power: its meter gets keep-power and no trip.
    @Test func creditRunsOutAlarmThenTripWhileTheProtectedAccountKeepsPower() async throws {
        try await HarnessStation.with("trip") { s in
            try await s.provisionTerminals()
            try await s.addAccount("A1", meter: 1, opening: "25.00")
            try await s.addAccount("H1", meter: 6, opening: "25.00", protected: true, region: "west")
            #expect(s.terminal(ofMeter: 1) != s.terminal(ofMeter: 6), "one account per terminal")

            let meter = try await s.eventually("meter 1's relay open in the simulator") { () async throws -> JSONValue? in
                let m = try await s.simMeter(1)
                return m["relay"]?.string == "open" ? m : nil
            }
            #expect(meter["alarm"]?.bool == true, "the alarm went out before the trip: \(meter)")
            let commands = try await s.eventually("A1's trip acknowledged and the account tripped") { () async throws -> [JSONValue]? in
                let a = try await s.account("A1")
                let c = try await s.commands("A1")
                let tripDone = c.contains { $0["kind"]?.string == "trip" && $0["state"]?.string == "acknowledged" }
                return tripDone && a["state"]?.string == "tripped" && a["relay"]?.string == "open" ? c : nil
            }
            let alarm = try #require(commands.first { $0["kind"]?.string == "alarm" }, "\(commands)")
            let trip = try #require(commands.first { $0["kind"]?.string == "trip" }, "\(commands)")
            #expect(alarm["state"]?.string == "acknowledged", "\(alarm)")
            #expect((alarm["id"]?.int ?? .max) < (trip["id"]?.int ?? 0), "alarm decided before trip: \(commands)")
            #expect(trip["acknowledged_at"]?.string != nil)
            let a1 = try await s.account("A1")
            #expect((a1["balance_micro_yuan"]?.int64 ?? 1) <= 0, "tripped at or below 0.00: \(a1)")

            // The protected account: keep-power on its meter, and it stays closed below zero.
            try await s.eventually("H1's meter has keep-power in the simulator") {
                try await s.simMeter(6)["keep_power"]?.bool == true ? true : nil
            }
            let below = try await s.eventually("H1's balance below the trip threshold") { () async throws -> JSONValue? in
                let h = try await s.account("H1")
                return (h["balance_micro_yuan"]?.int64 ?? 0) < 0 ? h : nil
            }
            // One more reading after it went below zero, so the policy had its chance to trip.
            let seenAt = below["last_reading_at"]?.string
            let h1 = try await s.eventually("another reading of H1 after its balance went negative") { () async throws -> JSONValue? in
                let h = try await s.account("H1")
                return h["last_reading_at"]?.string != seenAt ? h : nil
            }
            #expect(h1["state"]?.string == "protected", "\(h1)")
            #expect(h1["keep_power"]?.bool == true, "\(h1)")
            let hCommands = try await s.commands("H1")
            #expect(!hCommands.contains { $0["kind"]?.string == "trip" }, "a protected account is never tripped: \(hCommands)")
            #expect(hCommands.contains { $0["kind"]?.string == "keep_power" && $0["state"]?.string == "acknowledged" }, "\(hCommands)")
            let simH1 = try await s.simMeter(6)
            #expect(simH1["relay"]?.string == "closed", "\(simH1)")
            #expect(simH1["keep_power"]?.bool == true, "\(simH1)")
        }
    }

    /// Scenario 2: a payment to a tripped account → allow-close → the meter is armed, and closes
    /// when the customer presses its button; the same order again is the same payment (200,
    /// identical body); the same order number with other content is 409.
    @Test func paymentArmsTheMeterAndOrdersAreIdempotent() async throws {
        try await HarnessStation.with("pay") { s in
            try await s.provisionTerminals()
            try await s.addAccount("P1", meter: 2, opening: "5.00")
            try await s.eventually("P1's trip acknowledged and its meter open") { () async throws -> Bool? in
                let c = try await s.commands("P1")
                let tripped = c.contains { $0["kind"]?.string == "trip" && $0["state"]?.string == "acknowledged" }
                guard tripped else { return nil }
                return try await s.simMeter(2)["relay"]?.string == "open" ? true : nil
            }

            let first = try await s.pay("E2E-ORDER-1", account: "P1", amount: "100.00")
            #expect(first.status == 201, "\(first)")
            let receipt = try #require(first.json)
            #expect(receipt["order_no"]?.string == "E2E-ORDER-1")
            #expect(receipt["amount_yuan"]?.string == "100.00")
            #expect((receipt["balance_micro_yuan"]?.int64 ?? 0) > 5_000_000, "\(receipt)")

            try await s.eventually("meter 2 armed in the simulator after the payment") {
                try await s.simMeter(2)["relay"]?.string == "armed" ? true : nil
            }
            let commands = try await s.eventually("P1's allow-close acknowledged with the relay armed") { () async throws -> [JSONValue]? in
                let c = try await s.commands("P1")
                let a = try await s.account("P1")
                let done = c.contains { $0["kind"]?.string == "allow_close" && $0["state"]?.string == "acknowledged" }
                return done && a["relay"]?.string == "armed" ? c : nil
            }
            let allowClose = try #require(commands.first { $0["kind"]?.string == "allow_close" })
            let trip = try #require(commands.first { $0["kind"]?.string == "trip" })
            #expect((allowClose["id"]?.int ?? 0) > (trip["id"]?.int ?? .max), "allow-close decided after the trip: \(commands)")
            let pressed = try await s.changeMeter(2, #"{"press_button": true}"#)
            #expect(pressed["relay"]?.string == "closed", "\(pressed)")

            // The same order again: the same payment, the same answer.
            let again = try await s.pay("E2E-ORDER-1", account: "P1", amount: "100.00")
            #expect(again.status == 200, "\(again)")
            #expect(again.body == first.body, "identical body:\n\(first.text)\n\(again.text)")
            // The same order number with other content: 409, naming the order.
            let other = try await s.pay("E2E-ORDER-1", account: "P1", amount: "50.00")
            #expect(other.status == 409, "\(other)")
            #expect(other.json?["error"]?.string?.contains("E2E-ORDER-1") == true, "\(other)")
            let otherChannel = try await s.pay("E2E-ORDER-1", account: "P1", amount: "100.00", channel: "counter")
            #expect(otherChannel.status == 409, "\(otherChannel)")

            // One payment on disk, one ledger row for it.
            let store = try s.openStore()
            #expect(try await store.payment(orderNo: "E2E-ORDER-1") != nil)
            #expect(try await store.ledger(account: "P1").filter { $0.kind == .payment }.count == 1)
        }
    }
}
