import ChargeControl
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing
@testable import Station

/// `POST /v1/meters/ADDR/commands` and the actor in the audit trail: a real store on a file, the
/// router in process, tokens with names.
@Suite struct APIOperatorCommandTests {
    @Test func queuesAnOperatorCommandWithTheOperatorsNameInAuditAndJournal() async throws {
        let logs = LogRecorder()
        let fixture = try await APIFixture.make(logs: logs)
        let store = fixture.store
        try await fixture.test(tokens: NamedToken.tokens) { client in
            let answer = try await client.call(.post, "/v1/meters/000000000001/commands", token: NamedToken.alice,
                                               body: #"{"kind": "keep_power", "reason": "customer on a ventilator"}"#)
            #expect(answer.status == .accepted, "\(answer.text)")
            #expect(answer.json["kind"] as? String == "keep_power")
            #expect(answer.json["state"] as? String == "pending")
            #expect(answer.json["reason"] as? String == "operator_request")
            #expect(answer.json["detail"] as? String == "alice: customer on a ventilator")
            let id = try #require(answer.json["id"] as? Int)

            let row = try #require(try await store.auditTrail(event: "keep_power").last)
            #expect(row.actor == "alice")
            #expect(row.commandID == Int64(id))
            #expect(try await store.verifyAudit().isIntact)
            let journal = try #require(logs.events("keep_power").last)
            #expect(journal.metadata["operator"] == "alice")
            #expect(journal.metadata["command_id"] == "\(id)")

            let page = try await client.call(.get, "/v1/audit?account_id=A1&limit=1", token: NamedToken.dash)
            #expect(page.status == .ok)
            let items = try #require(page.json["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["event"] as? String == "keep_power")
            #expect(items.first?["actor"] as? String == "alice")
            #expect(page.json["next"] as? Int != nil, "a full page points at the next")

            // The same request again is kept as the waiting command, and still audited: who asked.
            let again = try await client.call(.post, "/v1/meters/000000000001/commands", token: NamedToken.alice,
                                              body: #"{"kind": "keep_power", "reason": "second call from the family"}"#)
            #expect(again.status == .accepted && again.json["id"] as? Int == id, "\(again.text)")
            let request = try #require(try await store.auditTrail(event: "operator_request").last)
            #expect(request.actor == "alice" && request.commandID == Int64(id), "\(request)")
            #expect(request.detail.contains("second call from the family") && request.detail.contains("already waiting"), "\(request)")
            #expect(try await store.verifyAudit().isIntact)
        }
    }

    /// The answer says when the policy will undo the command: a trip of an account with money is
    /// followed by an allow-close at its next evaluation.
    @Test func theNoteSaysWhetherThePolicyUndoesIt() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let trip = try await client.call(.post, "/v1/meters/000000000001/commands", body: #"{"kind": "trip", "reason": "meter swap"}"#)
            #expect(trip.status == .accepted, "\(trip.text)")
            let note = try #require(trip.json["note"] as? String)
            #expect(note.contains("will undo") && note.contains("allow_close"), "\(note)")
            let close = try await client.call(.post, "/v1/meters/000000000001/commands", body: #"{"kind": "direct_close", "reason": "x"}"#)
            #expect(close.status == .accepted)
            // A closed relay on an account with money: nothing to undo.
            #expect((close.json["note"] as? String)?.contains("plans nothing against it") == true, "\(close.text)")
        }
    }

    @Test func refusals() async throws {
        let fixture = try await APIFixture.make()
        _ = try await fixture.core.upsertAccount(AccountProvisioning(accountID: "H1", meterAddress: "000000000002", terminalID: "T1",
                                                                     tariff: "flat-test", region: "north", customerClass: "hospital",
                                                                     openingBalance: yuan("-5.00")))
        let store = fixture.store
        let before = try await store.commands(account: "H1").count
        try await fixture.test { client in
            for (body, status) in [(#"{"kind": "explode", "reason": "x"}"#, 400), (#"{"kind": "write", "reason": "x"}"#, 400),
                                   (#"{"kind": "trip", "reason": "  "}"#, 400), (#"{"kind": "trip"}"#, 400)] {
                let answer = try await client.call(.post, "/v1/meters/000000000001/commands", body: body)
                #expect(answer.status.code == status, "\(body): \(answer.text)")
            }
            let badKind = try await client.call(.post, "/v1/meters/000000000001/commands", body: #"{"kind": "explode", "reason": "x"}"#)
            #expect(badKind.error.contains("alarm, alarm_release, trip"))
            let unknown = try await client.call(.post, "/v1/meters/000000000009/commands", body: #"{"kind": "alarm", "reason": "x"}"#)
            #expect(unknown.status == .notFound, "\(unknown.text)")
            #expect(unknown.error.contains("000000000009"))
            let malformed = try await client.call(.post, "/v1/meters/12/commands", body: #"{"kind": "alarm", "reason": "x"}"#)
            #expect(malformed.status == .badRequest)
            let protected = try await client.call(.post, "/v1/meters/000000000002/commands", body: #"{"kind": "trip", "reason": "x"}"#)
            #expect(protected.status == .conflict, "\(protected.text)")
            #expect(protected.error.contains("protected"))
            #expect(try await store.commands(account: "H1").count == before, "a refused trip queued nothing")
            // Protection forbids trips only.
            let alarm = try await client.call(.post, "/v1/meters/000000000002/commands", body: #"{"kind": "alarm_release", "reason": "x"}"#)
            #expect(alarm.status == .accepted, "\(alarm.text)")
        }
    }

    /// Every API action's audit rows carry the caller's name; rows of the station's own making
    /// (here: the fixture's provisioning through the core) carry none.
    @Test func auditRowsOfAPIActionsCarryTheActor() async throws {
        let fixture = try await APIFixture.make()
        #expect(try await fixture.openReviewItem() == 1)
        let store = fixture.store
        try await fixture.test(tokens: NamedToken.tokens) { client in
            let payment = try await client.call(.post, "/v1/payments", token: NamedToken.billing, body: paymentJSON())
            #expect(payment.status == .created)
            let adjustment = try await client.call(.post, "/v1/accounts/A1/adjustments", token: NamedToken.alice,
                                                   body: #"{"adjustment_no": "ADJ1", "amount_yuan": "-1.00", "reason": "meter test"}"#)
            #expect(adjustment.status == .created)
            let account = try await client.call(.post, "/v1/accounts", token: NamedToken.alice, body: """
                {"account_id": "A2", "meter_address": "000000000002", "terminal_id": "T1", "tariff": "flat-test", "region": "north"}
                """)
            #expect(account.status == .created)
            let review = try await client.call(.post, "/v1/review/1/cancel", token: NamedToken.alice, body: #"{"note": "not needed"}"#)
            #expect(review.status == .ok)
            let release = try await client.call(.post, "/v1/accounts/A2/fee-control", token: NamedToken.alice,
                                                body: #"{"action": "release", "reason": "pilot ends"}"#)
            #expect(release.status == .accepted)
        }
        let rows = try await store.auditTrail()
        func actors(_ event: String) -> [String?] { rows.filter { $0.event == event }.map(\.actor) }
        #expect(actors("payment") == ["billing"])
        #expect(actors("adjustment") == ["alice"])
        #expect(actors("account_created") == [nil, "alice"], "A1 by the fixture, A2 through the API")
        #expect(rows.filter { $0.event == "review" }.last?.actor == "alice")
        #expect(actors("fee_control_released") == ["alice"])
        #expect(try await store.verifyAudit().isIntact)
    }

    /// A two-field `ROLE TOKEN` line still works, its caller named after the role.
    @Test func oldFormTokensActUnderTheirRolesName() async throws {
        let fixture = try await APIFixture.make()
        let tokens = try TokensFile.parse("operator \(TestToken.operator)\n", file: "tokens")
        try await fixture.test(tokens: tokens) { client in
            let answer = try await client.call(.post, "/v1/meters/000000000001/commands", body: #"{"kind": "keep_power", "reason": "x"}"#)
            #expect(answer.status == .accepted)
        }
        #expect(try await fixture.store.auditTrail(event: "keep_power").last?.actor == "operator")
    }

    /// The tokens in force are read per request: replaced, the new ones work at once and the old
    /// ones stop.
    @Test func replacedTokensTakeEffectAtOnce() async throws {
        let fixture = try await APIFixture.make()
        let live = LiveTokens(TestToken.tokens)
        let router = APIServer.buildRouter(core: fixture.core, tokens: live, settings: fixture.settings)
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try await Application(router: router).test(.router) { client in
            @Sendable func status(_ token: String) async throws -> HTTPResponse.Status {
                try await client.call(.get, "/v1/review", token: token).status
            }
            let before = (try await status(TestToken.viewer), try await status(NamedToken.dash))
            #expect(before == (.ok, .unauthorized))
            live.replace(with: NamedToken.tokens)
            let after = (try await status(TestToken.viewer), try await status(NamedToken.dash))
            #expect(after == (.unauthorized, .ok))
        }
    }
}
