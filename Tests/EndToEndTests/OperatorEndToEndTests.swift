import Foundation
import StationHarness
import Testing

/// An operator's command through the real daemon: queued, sent to the simulated meter, and
/// found with the operator's name in the audit trail and in the daemon's log (stderr here; the
/// same metadata is `OPERATOR=` under journald).
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct OperatorEndToEndTests {
    @Test func anOperatorsCommandCarriesTheirNameIntoAuditAndLog() async throws {
        try await HarnessStation.with("operator") { s in
            try await s.provisionTerminals()
            try await s.addAccount("A1", meter: 1, opening: "500.00")
            let address = HarnessStation.address(1)
            let queued = try await s.call("POST", "/v1/meters/\(address)/commands", token: s.aliceToken,
                                          json: #"{"kind": "keep_power", "reason": "ventilator at home"}"#)
            #expect(queued.status == 202, "\(queued)")
            // Acknowledged by the meter. Its keep-power may not last: the account is not protected,
            // so the next evaluation plans the release (README: the policy may undo an operator's
            // command), and a poll of the simulator can miss the moment it was on.
            try await s.eventually("the operator's keep-power acknowledged by the meter") { () async throws -> Bool? in
                try await s.commands("A1").contains { $0["kind"]?.string == "keep_power" && $0["state"]?.string == "acknowledged" }
                    ? true : nil
            }
            let page = try await s.call("GET", "/v1/audit?account_id=A1&limit=200", token: s.viewerToken)
            #expect(page.status == 200, "\(page)")
            let items = page.json?["items"]?.array ?? []
            let row = try #require(items.first { $0["event"]?.string == "keep_power" }, "\(items)")
            #expect(row["actor"]?.string == "alice", "\(row)")
            #expect(row["detail"]?.string?.contains("ventilator at home") == true, "\(row)")
            #expect(items.contains { $0["event"]?.string == "account_created" && $0["actor"]?.string == "operator" },
                    "the harness's old-form operator token is named after its role: \(items)")
            let line = try await s.eventually("the daemon's log line of the operator's command") { () async throws -> String? in
                tail(of: s.daemonLog, lines: 100_000).split(separator: "\n")
                    .first { $0.contains("event=keep_power") && $0.contains("operator=alice") }.map(String.init)
            }
            #expect(line.contains("ventilator at home"), "\(line)")
            let verify = try await s.call("GET", "/v1/audit/verify", token: s.viewerToken)
            #expect(verify.json?["intact"]?.bool == true, "\(verify)")
        }
    }
}
