import Foundation
import Store
import StationHarness
import Testing

/// Remote control that fails: an unreachable meter (retries with back-off, then job review, then
/// an operator retry) and a wrong meter password (job review at once).
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct DispatchFailureEndToEndTests {
    /// Scenario 3: the meter is off the bus → the trip is retried with back-off until its
    /// attempts run out → job review; the meter comes back and an operator retries → the trip is
    /// acknowledged and the simulated relay opens.
    @Test func offlineMeterRetriesThenReviewThenOperatorRetrySucceeds() async throws {
        var options = StationOptions()
        options.requestTimeout = "1s"
        options.maxAttempts = 3
        try await HarnessStation.with("offline", options) { s in
            try await s.provisionTerminals()
            try await s.changeMeter(3, #"{"offline": true}"#)
            // Below the trip threshold from the start: alarm and trip are decided at provisioning.
            try await s.addAccount("O1", meter: 3, opening: "-1.00")

            let reviewed = try await s.eventually("O1's trip in job review") { () async throws -> (JSONValue, [JSONValue])? in
                let items = try await s.review().filter { $0["account_id"]?.string == "O1" && $0["kind"]?.string == "command" }
                let commands = try await s.commands("O1")
                guard let trip = commands.first(where: { $0["kind"]?.string == "trip" }), trip["state"]?.string == "review",
                      items.contains(where: { $0["command_id"]?.int == trip["id"]?.int }) else { return nil }
                return (trip, items)
            }
            let (trip, items) = reviewed
            let tripID = try #require(trip["id"]?.int64)
            #expect(trip["attempts"]?.int == 3, "every attempt used: \(trip)")
            #expect(trip["last_error"]?.string?.contains("no reply within") == true, "the line timed out: \(trip)")
            let tripItem = try #require(items.first { $0["command_id"]?.int64 == tripID })
            #expect(tripItem["reason"]?.string?.contains("attempts exhausted") == true, "\(tripItem)")
            #expect(try await s.simMeter(3)["relay"]?.string == "closed")

            // The back-off: two retries scheduled, each later than the one before.
            let store = try s.openStore()
            let retries = try await store.auditTrail(event: "command_pending").filter {
                $0.commandID == tripID && $0.detail.contains("retry at")
            }
            #expect(retries.count == 2, "\(retries)")

            // Back on the bus; the operator retries every open item of the account.
            try await s.changeMeter(3, #"{"offline": false}"#)
            for item in items {
                let id = try #require(item["id"]?.int)
                let answer = try await s.call("POST", "/v1/review/\(id)/retry", json: #"{"note": "terminal back online, e2e"}"#)
                #expect(answer.status == 200, "\(answer)")
                #expect(answer.json?["state"]?.string == "retried", "\(answer)")
            }
            try await s.eventually("the retried trip acknowledged") { () async throws -> JSONValue? in
                let c = try await s.commands("O1").first { $0["id"]?.int64 == tripID }
                return c?["state"]?.string == "acknowledged" ? c : nil
            }
            try await s.eventually("meter 3's relay open in the simulator") {
                try await s.simMeter(3)["relay"]?.string == "open" ? true : nil
            }
            let open = try await s.review().filter { $0["account_id"]?.string == "O1" && $0["kind"]?.string == "command" }
            #expect(open.isEmpty, "no open command items left: \(open)")
        }
    }

    /// Scenario 4: the meters use another password than the station → the meter refuses the
    /// command → job review at once (one attempt), the reason names the password error.
    @Test func wrongMeterPasswordGoesToReviewAtOnce() async throws {
        var options = StationOptions()
        options.simPassword = "02999999"
        // The meter refuses at once, so no timeout decides this test: a long one keeps a reply
        // slowed by a loaded machine from becoming a failed attempt (and attempts 2, not 1).
        options.requestTimeout = "30s"
        try await HarnessStation.with("password", options) { s in
            try await s.provisionTerminals()
            try await s.addAccount("W1", meter: 4, opening: "-1.00")
            let trip = try await s.eventually("W1's trip in job review") { () async throws -> JSONValue? in
                let c = try await s.commands("W1").first { $0["kind"]?.string == "trip" }
                return c?["state"]?.string == "review" ? c : nil
            }
            #expect(trip["attempts"]?.int == 1, "no retry for a refusal: \(trip)")
            let tripID = try #require(trip["id"]?.int)
            let item = try #require(try await s.review().first { $0["command_id"]?.int == tripID })
            let reason = item["reason"]?.string ?? ""
            #expect(reason.lowercased().contains("password"), "the reason names the error word: \(item)")
            #expect(trip["last_error"]?.string?.lowercased().contains("password") == true, "\(trip)")
            #expect(try await s.simMeter(4)["relay"]?.string == "closed")
            // The password itself is never logged.
            let log = tail(of: s.daemonLog, lines: 10_000)
            #expect(!log.contains("02000000"), "the daemon's log shows the meter password")
        }
    }
}
