import ChargeControl
import Foundation
import Store
import Tariffs
import Testing
@testable import Station

/// `POST /v1/review/ID/resolve` of an abnormal-reading item: the resolution it needs, the
/// refusals that name the field or the way out, and the hold it ends.
@Suite struct APIReadingReviewTests {
    @Test func readingItemsAreResolvedWithAResolution() async throws {
        let fixture = try await APIFixture.make()
        let core = fixture.core
        _ = try await core.upsertAccount(AccountProvisioning(accountID: "A2", meterAddress: "000000000002", terminalID: "T1",
                                                             tariff: "flat-test", region: "north", openingBalance: yuan("30.00")))
        // A2: baseline 100 kWh at 10:00, then 200 kWh at 11:00 (100 kWh in an hour at 20 kW rated).
        let evaluator = core.evaluator
        for (at, total) in [("2026-11-23T10:00:00+08:00", "100.00"), ("2026-11-23T11:00:00+08:00", "200.00")] {
            _ = try await fixture.store.transaction { tx in
                try evaluator.apply(reading: reading(at, total: total), meter: nil, account: "A2", at: instant(at), in: tx)
            }
        }
        let item = try #require(try await fixture.store.openReviewItems().first { $0.kind == .reading }).id
        // A command's item, for the refusal of a resolution there.
        let now = instant("2026-11-23T10:00:00+08:00")
        let alarm = try #require(try await fixture.store.commands(account: "A1").first { $0.kind == .alarm })
        let commandItem = try await fixture.store.moveToReview(alarm.id, reason: "terminal offline", at: now)
        fixture.clock.advance(by: 3_600 + 300)
        try await fixture.test { client in
            let adjusted = try await client.call(.post, "/v1/accounts/A2/adjustments",
                                                 body: #"{"adjustment_no": "ADJ-1", "amount_yuan": "-40.00", "reason": "test"}"#)
            #expect(adjusted.status == .created, "\(adjusted.text)")
            let held = try await client.call(.get, "/v1/commands?account_id=A2").list.map { $0["kind"] as? String }
            #expect(!held.contains("trip") && !held.contains("alarm"), "held: \(held)")
            #expect(try await client.call(.get, "/v1/accounts/A2").json["state"] as? String == "abnormal")

            let missing = try await client.call(.post, "/v1/review/\(item)/resolve", body: #"{"note": "looked at it"}"#)
            #expect(missing.status == .badRequest && missing.error.contains("\"resolution\""), "\(missing.text)")
            let unknown = try await client.call(.post, "/v1/review/\(item)/resolve", body: #"{"note": "x", "resolution": "ok"}"#)
            #expect(unknown.status == .badRequest && unknown.error.contains("\"resolution\"")
                    && unknown.error.contains("meter_replaced"), "\(unknown.text)")
            let retry = try await client.call(.post, "/v1/review/\(item)/retry", body: #"{"note": "x"}"#)
            #expect(retry.status == .conflict && retry.error.contains("cannot be retried"), "\(retry.text)")
            let cancelWith = try await client.call(.post, "/v1/review/\(item)/cancel", body: #"{"note": "x", "resolution": "accept"}"#)
            #expect(cancelWith.status == .badRequest && cancelWith.error.contains("\"resolution\""), "\(cancelWith.text)")
            let onCommand = try await client.call(.post, "/v1/review/\(commandItem)/resolve",
                                                  body: #"{"note": "x", "resolution": "accept"}"#)
            #expect(onCommand.status == .badRequest && onCommand.error.contains("command"), "\(onCommand.text)")
            // A command's item still resolves with a note alone.
            let done = try await client.call(.post, "/v1/review/\(commandItem)/resolve", body: #"{"note": "card on site"}"#)
            #expect(done.status == .ok && done.json["state"] as? String == "resolved" && done.json["resolution"] == nil, "\(done.text)")

            let accepted = try await client.call(.post, "/v1/review/\(item)/resolve",
                                                 body: #"{"note": "customer ran a kiln", "resolution": "accept"}"#)
            #expect(accepted.status == .ok, "\(accepted.text)")
            #expect(accepted.json["state"] as? String == "resolved" && accepted.json["resolution"] as? String == "accept")
            #expect(accepted.json["note"] as? String == "customer ran a kiln")
            let again = try await client.call(.post, "/v1/review/\(item)/resolve", body: #"{"note": "x", "resolution": "accept"}"#)
            #expect(again.status == .conflict, "\(again.text)")

            // 100 kWh × 0.50 = 50.00 billed: −60.00; the hold is over, so alarm and trip.
            let account = try await client.call(.get, "/v1/accounts/A2").json
            #expect(account["balance_yuan"] as? String == "-60.00" && account["state"] as? String == "tripped", "\(account)")
            let kinds = try await client.call(.get, "/v1/commands?account_id=A2").list.compactMap { $0["kind"] as? String }
            #expect(Set(kinds) == ["alarm", "trip"], "\(kinds)")
        }
    }
}
