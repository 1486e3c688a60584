import Foundation
import Store
import StationHarness
import Testing

/// Issue 13 against real `meter-sim` and `chargecontrold` processes: enrolment confirmed in the
/// simulated meter, a price version added by reload reaching the meters' second price set,
/// clocks off within and beyond broadcast range corrected (billing going on), and a relay whose
/// status word lies ending in job review.
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct MeterManagementEndToEndTests {
    @Test func enrolPricesAndClocksReachTheMeters() async throws {
        var options = StationOptions()
        options.loadKW = "0"
        options.initialKWh = "1000"
        options.collectionInterval = "1s"
        options.clockCheck = "2s"
        try await HarnessStation.with("meter-management", options) { s in
            try await s.provisionTerminals()
            // E1 enrolled at creation: pending until its six writes are read back, then active.
            var body = s.accountBody("E1", meter: 1, opening: "50.00")
            body.removeLast()
            let created = try await s.call("POST", "/v1/accounts", json: body + #", "fee_control": "pending"}"#)
            #expect(created.status == 201 && created.json?["fee_control"]?.string == "pending", "\(created)")
            try await s.eventually("E1 active") { try await s.account("E1")["fee_control"]?.string == "active" ? true : nil }
            var meter = try await s.simMeter(1)
            #expect(meter["parameters"]?["04001001"]?.string == "20.00" && meter["parameters"]?["04001002"]?.string == "10.00",
                    "\(meter)")
            #expect(meter["parameters"]?["04050101"]?.string == "0.5680" && meter["parameters"]?["04050104"]?.string == "0.2880",
                    "\(meter)")

            // A price version from tomorrow, brought by a reload, goes to E1's second set.
            let tariffFile = s.folder.appendingPathComponent("tariffs/\(s.tariff).toml")
            let tomorrow = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 2 * 86_400)
            let effective = ISO8601DateFormatter().string(from: tomorrow)  // UTC midnight: 08:00 in Shanghai
            let version = "\n[[prices]]\neffective = \"\(effective)\"\nsharp = \"0.6000\"\npeak = \"0.6000\"\nflat = \"0.6000\"\nvalley = \"0.3100\"\n"
            try (String(contentsOf: tariffFile, encoding: .utf8) + version).write(to: tariffFile, atomically: true, encoding: .utf8)
            try s.reloadDaemon()
            let push = try await s.eventually("the price push confirmed") { () async throws -> JSONValue? in
                let pushes = try await s.call("GET", "/v1/price-pushes").json
                guard let first = pushes?.array.first, first["confirmed"]?.int == 1 else { return nil }
                return first
            }
            #expect(push["meters"]?.int == 1 && push["in_review"]?.int == 0, "\(push)")
            meter = try await s.simMeter(1)
            #expect(meter["parameters"]?["04050201"]?.string == "0.6000" && meter["parameters"]?["04050204"]?.string == "0.3100",
                    "\(meter)")
            #expect(meter["parameters"]?["04000108"]?.string == push["switch_time"]?.string, "\(meter) \(push)")

            // Clocks: 2 minutes off (broadcast) and 15 minutes off (written; its readings were
            // abnormal and held, and the hold ends with the correction).
            try await s.addAccount("C1", meter: 2, opening: "50.00")
            try await s.addAccount("C2", meter: 3, opening: "50.00")
            for (account, n) in [("C1", 2), ("C2", 3)] {
                try await s.eventually("\(account)'s first reading") { try await s.account(account)["last_reading_at"]?.string }
                _ = try await s.changeMeter(n, n == 2 ? #"{"clock_offset_s": 120}"# : #"{"clock_offset_s": 900}"#)
            }
            for (account, n, kind) in [("C1", 2, "clock_broadcast"), ("C2", 3, "clock_write")] {
                try await s.eventually("\(account)'s clock set by \(kind)") { () async throws -> Bool? in
                    let done = try await s.commands(account).contains { $0["kind"]?.string == kind && $0["state"]?.string == "acknowledged" }
                    return done ? true : nil
                }
                let offset = try await s.simMeter(n)["clock_offset_s"]?.int ?? .max
                #expect(abs(offset) <= 60, "\(account): clock now \(offset) s off")
            }
            // C2's clock-only hold ended with the correction: no open item, readings accepted again.
            try await s.eventually("C2 no longer held") { () async throws -> Bool? in
                let held = try await s.review().contains { $0["account_id"]?.string == "C2" }
                let state = try await s.account("C2")["state"]?.string
                return !held && state != "abnormal" ? true : nil
            }
            let store = try s.openStore()
            let before = try await store.readingTally(account: "C2")
            try await s.eventually("C2 billed again: two more accepted readings") { () async throws -> Bool? in
                try await store.readingTally(account: "C2").accepted >= before.accepted + 2 ? true : nil
            }
            #expect(try await store.verifyBalances().isEmpty, "balances equal the ledger replay")
            #expect(try await store.verifyAudit().isIntact)
        }
    }

    @Test func aRelayWhoseStatusWordLiesEndsInReview() async throws {
        var options = StationOptions()
        options.loadKW = "0"
        options.collectionInterval = "1s"
        options.maxAttempts = 1
        try await HarnessStation.with("read-back-lies", options) { s in
            try await s.provisionTerminals()
            _ = try await s.changeMeter(1, #"{"read_back_lies": true}"#)
            try await s.addAccount("L1", meter: 1, opening: "-1.00")
            let item = try await s.eventually("the trip in review") { () async throws -> JSONValue? in
                try await s.review().first { $0["kind"]?.string == "command" && $0["account_id"]?.string == "L1"
                    && ($0["reason"]?.string ?? "").contains("trip wants relay open") }
            }
            #expect((item["reason"]?.string ?? "").contains("shows relay closed"), "\(item)")
            let trip = try #require(try await s.commands("L1").first { $0["kind"]?.string == "trip" })
            #expect(trip["state"]?.string == "review" && trip["acknowledged_at"] == nil, "\(trip)")
            #expect(try await s.simMeter(1)["relay"]?.string == "open", "the relay moved; only its status word lies")
        }
    }
}
