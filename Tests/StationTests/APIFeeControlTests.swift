import Foundation
import Store
import Testing
@testable import Station

/// `POST /v1/accounts/ID/fee-control`, `"fee_control"` on provisioning, writes in `GET /v1/commands`.
@Suite struct APIFeeControlTests {
    @Test func provisioningPendingQueuesTheWritesAndTheyAreListed() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let created = try await client.call(.post, "/v1/accounts", body: """
                {"account_id": "F1", "meter_address": "000000000005", "terminal_id": "T1", "tariff": "flat-test",
                 "region": "north", "opening_balance_yuan": "100", "fee_control": "pending"}
                """)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["fee_control"] as? String == "pending")
            let commands = try await client.call(.get, "/v1/commands?account_id=F1", token: TestToken.viewer)
            let writes = commands.list.filter { $0["kind"] as? String == "write" }
            #expect(Set(writes.compactMap { $0["identifier"] as? String })
                == ["04001001", "04001002", "04050101", "04050102", "04050103", "04050104"], "\(commands.text)")
            #expect(writes.contains { $0["identifier"] as? String == "04001001" && $0["value"] as? String == "20.00" })
            // Other kinds carry no identifier.
            #expect(commands.list.filter { $0["kind"] as? String != "write" }.allSatisfy { $0["identifier"] == nil })

            let bad = try await client.call(.post, "/v1/accounts", body: """
                {"account_id": "F2", "meter_address": "000000000006", "terminal_id": "T1", "tariff": "flat-test",
                 "region": "north", "fee_control": "released"}
                """)
            #expect(bad.status == .badRequest && bad.error.contains("fee_control"), "\(bad.text)")
            // A threshold no meter can hold is refused before the account exists.
            let negative = try await client.call(.post, "/v1/accounts", body: """
                {"account_id": "F3", "meter_address": "000000000007", "terminal_id": "T1", "tariff": "flat-test",
                 "region": "north", "alarm_yuan": "-5.00", "trip_yuan": "-10.00", "fee_control": "pending"}
                """)
            #expect(negative.status == .unprocessableContent && negative.error.contains("alarm threshold"), "\(negative.text)")
        }
        #expect(try await fixture.store.account("F3") == nil)
    }

    @Test func releaseAndEnrolAnswer202WithTheAccountAndRefuseBadRequests() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            func post(_ account: String, _ body: String) async throws -> APIAnswer {
                try await client.call(.post, "/v1/accounts/\(account)/fee-control", token: TestToken.operator, body: body)
            }
            let released = try await post("A1", #"{"action": "release", "reason": "moved to postpaid"}"#)
            #expect(released.status == .accepted, "\(released.text)")
            #expect(released.json["fee_control"] as? String == "released")
            let enrolled = try await post("A1", #"{"action": "enrol", "reason": "back to prepaid"}"#)
            #expect(enrolled.status == .accepted && enrolled.json["fee_control"] as? String == "pending", "\(enrolled.text)")
            #expect(try await post("A1", #"{"action": "suspend", "reason": "x"}"#).status == .badRequest)
            #expect(try await post("A1", #"{"action": "release"}"#).status == .badRequest)
            #expect(try await post("NOPE", #"{"action": "release", "reason": "x"}"#).status == .notFound)
        }
        let audit = try await fixture.store.auditTrail().filter { $0.event.hasPrefix("fee_control_") }.map(\.detail)
        #expect(audit == ["release: active → released: moved to postpaid (by operator)", "enrol: released → pending: back to prepaid (by operator)"])
    }
}
