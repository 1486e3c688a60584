import Foundation
import Store
import StationHarness
import Testing

/// Issue 13 item 6 against real `meter-sim` and `chargecontrold` processes: an abnormal reading
/// holds its account (no alarm, no trip, nothing billed) over several collection cycles, with
/// the balance low enough to trip, until an operator resolves its item; then the normal policy
/// trips and the simulated relay opens.
///
/// The kinds a simulator can make are driven here through its admin API: a register that runs
/// backwards (`total_kwh` lowered) and a jump no meter could register (`total_kwh` raised by
/// 998,000 kWh); an unbillable interval comes from a tariff with no price in force yet, and a
/// meter clock far off (`clock_offset_s`) is in `MeterManagementEndToEndTests`. The others
/// (registers that do not add up, a register out of range, a duplicate or out-of-order instant)
/// cannot come from a meter's registers as `meter-sim` keeps them (its total is their sum, BCD
/// stops at 999,999.99, the station stamps the instants) and are driven in process, each of
/// them: `AbnormalHoldTests` (StationTests).
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct AbnormalHoldEndToEndTests {
    /// One station, three accounts on frozen meters (load 0: every good reading costs nothing):
    /// R1's register runs backwards and is resolved `meter_replaced` (after `accept` is refused);
    /// J1's jumps and is accepted (billed); J2's jumps and is resolved `meter_replaced` (not billed).
    @Test func abnormalDataHoldsTripsUntilResolved() async throws {
        var options = StationOptions()
        options.loadKW = "0"
        options.initialKWh = "1000"
        options.collectionInterval = "1s"
        // account → (meter, what its register is set to, resolution)
        let plan: [(id: String, meter: Int, total: String, resolution: String)] = [
            ("R1", 1, "500.00", "meter_replaced"), ("J1", 6, "999000.00", "accept"), ("J2", 7, "999000.00", "meter_replaced"),
        ]
        try await HarnessStation.with("abnormal-hold", options) { s in
            try await s.provisionTerminals()
            for a in plan { try await s.addAccount(a.id, meter: a.meter, opening: "30.00") }
            for a in plan {
                try await s.eventually("a first (baseline) reading of \(a.id)") { try await s.account(a.id)["last_reading_at"]?.string }
            }
            for a in plan { try await s.changeMeter(a.meter, #"{"total_kwh": "\#(a.total)"}"#) }
            let items = try await s.eventually("a reading item for each account") { () async throws -> [String: Int]? in
                let open = try await s.review().filter { $0["kind"]?.string == "reading" }
                var byAccount: [String: Int] = [:]
                for item in open { if let a = item["account_id"]?.string, let id = item["id"]?.int { byAccount[a] = id } }
                return byAccount.count == plan.count ? byAccount : nil
            }

            // 30.00 − 40.00 = −10.00: at or below the alarm (20.00) and trip (0.00) thresholds.
            for a in plan {
                let answer = try await s.adjust(a.id, number: "E2E-HOLD-\(a.id)", amount: "-40.00", reason: "e2e: below trip")
                #expect(answer.status == 201, "\(answer)")
            }
            // Several collection cycles go by on hold: readings stored, nothing more.
            let store = try s.openStore()
            var seen: [String: Int] = [:]
            for a in plan { seen[a.id] = try await store.readingTally(account: a.id).readings }
            try await s.eventually("three more readings of each account", within: 60) { () async throws -> Bool? in
                for a in plan where try await store.readingTally(account: a.id).readings < (seen[a.id] ?? 0) + 3 { return nil }
                return true
            }
            for a in plan {
                let account = try await s.account(a.id)
                #expect(account["state"]?.string == "abnormal", "\(account)")
                #expect(account["balance_yuan"]?.string == "-10.00", "nothing billed while held: \(account)")
                let adverse = try await s.commands(a.id).filter { ["alarm", "trip"].contains($0["kind"]?.string ?? "") }
                #expect(adverse.isEmpty, "no alarm, no trip while the item is open: \(adverse)")
                let open = try await s.review().filter { $0["account_id"]?.string == a.id }
                #expect(open.map { $0["id"]?.int } == [items[a.id]], "one item per account, still open: \(open)")
                let meter = try await s.simMeter(a.meter)
                #expect(meter["relay"]?.string == "closed" && meter["alarm"]?.bool == false, "\(meter)")
            }

            // A register that ran backwards cannot be billed as read: accept is refused.
            let r1 = try #require(items["R1"])
            let refused = try await s.actOnReview(r1, "resolve", note: "e2e", resolution: "accept")
            #expect(refused.status == 409 && refused.text.contains("meter_replaced"), "\(refused)")
            let missing = try await s.actOnReview(r1, "resolve", note: "e2e")
            #expect(missing.status == 400 && missing.text.contains("resolution"), "\(missing)")

            for a in plan {
                let answer = try await s.actOnReview(try #require(items[a.id]), "resolve", note: "e2e: checked on site",
                                                     resolution: a.resolution)
                #expect(answer.status == 200, "\(answer)")
                #expect(answer.json?["state"]?.string == "resolved" && answer.json?["resolution"]?.string == a.resolution,
                        "\(answer)")
            }
            // The hold is over: alarm, then trip, acknowledged; the simulated relays open.
            for a in plan {
                let commands = try await s.eventually("\(a.id) tripped after its resolution") { () async throws -> [JSONValue]? in
                    let c = try await s.commands(a.id)
                    let tripped = c.contains { $0["kind"]?.string == "trip" && $0["state"]?.string == "acknowledged" }
                    return tripped ? c : nil
                }
                let alarm = try #require(commands.first { $0["kind"]?.string == "alarm" }, "\(commands)")
                let trip = try #require(commands.first { $0["kind"]?.string == "trip" }, "\(commands)")
                #expect((alarm["id"]?.int ?? .max) < (trip["id"]?.int ?? 0), "alarm decided before trip: \(commands)")
                try await s.eventually("\(a.id)'s meter open in the simulator") {
                    try await s.simMeter(a.meter)["relay"]?.string == "open" ? true : nil
                }
            }
            // meter_replaced bills nothing for the jump; accept bills it (998,000 kWh).
            #expect(try await s.account("R1")["balance_yuan"]?.string == "-10.00")
            #expect(try await s.account("J2")["balance_yuan"]?.string == "-10.00")
            let j1 = try await s.account("J1")
            #expect((j1["balance_micro_yuan"]?.int64 ?? 0) < -500_000_000_000, "the accepted jump is billed: \(j1)")
            #expect(try await store.verifyBalances().isEmpty, "balances equal the ledger replay")
            #expect(try await store.verifyAudit().isIntact)
            #expect(try await s.review().isEmpty)
        }
    }

    /// An interval that cannot be billed (its tariff has no price in force yet) holds the account
    /// over several cycles with its balance below the trip threshold; the tariff fixed by a
    /// reload, the item is accepted, the interval billed, and the normal policy trips.
    @Test func anUnbillableIntervalHoldsUntilTheTariffIsFixedAndTheItemResolved() async throws {
        let tariffs = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-tariffs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tariffs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tariffs) }
        let flat = { (effective: String) in
            "[[prices]]\neffective = \"\(effective)\"\nsharp = \"0.5000\"\npeak = \"0.5000\"\nflat = \"0.5000\"\nvalley = \"0.5000\"\n"
        }
        let head = "name = \"later\"\ntimezone = \"Asia/Shanghai\"\n[[periods]]\nstart = \"00:00\"\nregister = \"flat\"\n"
        try (head + flat("2035-01-01T00:00:00+08:00")).write(to: tariffs.appendingPathComponent("later.toml"), atomically: true, encoding: .utf8)
        var options = StationOptions()
        options.tariffs = tariffs
        options.collectionInterval = "1s"
        try await HarnessStation.with("unbillable-hold", options) { s in
            try await s.provisionTerminals()
            var body = s.accountBody("U1", meter: 1, opening: "30.00")
            body = body.replacingOccurrences(of: "\"\(s.tariff)\"", with: "\"later\"")
            let created = try await s.call("POST", "/v1/accounts", json: body)
            #expect(created.status == 201, "\(created)")
            let item = try await s.eventually("an unbillable reading in review") { () async throws -> Int? in
                try await s.review().first { $0["account_id"]?.string == "U1" && $0["kind"]?.string == "reading" }?["id"]?.int
            }
            #expect(try await s.adjust("U1", number: "E2E-U1", amount: "-40.00", reason: "e2e: below trip").status == 201)
            let store = try s.openStore()
            let seen = try await store.readingTally(account: "U1").readings
            try await s.eventually("three more readings of U1", within: 60) {
                try await store.readingTally(account: "U1").readings >= seen + 3 ? true : nil
            }
            let held = try await s.account("U1")
            #expect(held["state"]?.string == "abnormal" && held["balance_yuan"]?.string == "-10.00", "\(held)")
            #expect(try await s.commands("U1").filter { ["alarm", "trip"].contains($0["kind"]?.string ?? "") }.isEmpty)
            #expect(try await s.review().filter { $0["account_id"]?.string == "U1" }.count == 1, "one item per account")

            // The tariff gets a price in force; the reading is accepted and billed; the policy trips.
            let fixed = head + flat("2020-01-01T00:00:00+08:00") + flat("2035-01-01T00:00:00+08:00")
            try fixed.write(to: s.folder.appendingPathComponent("tariffs/later.toml"), atomically: true, encoding: .utf8)
            try s.reloadDaemon()
            try await s.eventually("the item accepted once the reload took effect", within: 30) { () async throws -> Bool? in
                let answer = try await s.actOnReview(item, "resolve", note: "e2e: tariff fixed", resolution: "accept")
                return answer.status == 200 ? true : nil
            }
            try await s.eventually("U1 tripped after its resolution") { () async throws -> Bool? in
                try await s.commands("U1").contains { $0["kind"]?.string == "trip" && $0["state"]?.string == "acknowledged" } ? true : nil
            }
            #expect(try await store.verifyBalances().isEmpty)
            #expect(try await store.verifyAudit().isIntact)
        }
    }
}
