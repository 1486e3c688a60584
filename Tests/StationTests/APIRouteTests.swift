import ChargeControl
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing
@testable import Station

@Suite struct APIRouteTests {
    @Test func terminalsAreAddedThenUpdated() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let body = #"{"terminal_id": "T2", "host": "10.0.0.2", "port": 9101}"#
            #expect(try await client.call(.post, "/v1/terminals", body: body).status == .created)
            let updated = try await client.call(.post, "/v1/terminals", body: #"{"terminal_id": "T2", "host": "10.0.0.3", "port": 9102}"#)
            #expect(updated.status == .ok)
            #expect(updated.json["host"] as? String == "10.0.0.3")
            let badPort = try await client.call(.post, "/v1/terminals", body: #"{"terminal_id": "T3", "host": "h", "port": 70000}"#)
            #expect(badPort.status == .badRequest)
            #expect(badPort.error.contains("port"))
            let textPort = try await client.call(.post, "/v1/terminals", body: #"{"terminal_id": "T3", "host": "h", "port": "9100"}"#)
            #expect(textPort.status == .badRequest)
            #expect(textPort.error.contains("\"port\" must be an integer"))
        }
        #expect(try await fixture.store.terminals().map(\.port) == [9100, 9102])
    }

    @Test func accountsAreProvisionedAndShown() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let body = """
                {"account_id": "A2", "meter_address": "000000000002", "terminal_id": "T1", "tariff": "flat-test",
                 "region": "south", "alarm_yuan": "30.00", "trip_yuan": "-5.00", "protected": true, "opening_balance_yuan": "100"}
                """
            let created = try await client.call(.post, "/v1/accounts", body: body)
            #expect(created.status == .created, "\(created.text)")
            #expect(try await client.call(.post, "/v1/accounts", body: body).status == .ok)

            let shown = try await client.call(.get, "/v1/accounts/A2", token: TestToken.viewer)
            #expect(shown.status == .ok)
            let view = shown.json
            let keys = ["account_id", "meter_address", "terminal_id", "tariff", "region", "customer_class", "balance_yuan", "balance_micro_yuan", "state",
                        "relay", "alarm", "keep_power", "protected", "last_reading_at", "alarm_yuan", "trip_yuan", "fee_control",
                        "days_left", "daily_spend_yuan", "reaches_trip_at"]
            #expect(Set(view.keys) == Set(keys))
            #expect(view["fee_control"] as? String == "active")
            #expect(view["days_left"] is NSNull)  // nothing spent yet
            #expect(view["balance_yuan"] as? String == "100.00")
            #expect(view["balance_micro_yuan"] as? Int == 100_000_000)
            #expect(view["alarm_yuan"] as? String == "30.00")
            #expect(view["trip_yuan"] as? String == "-5.00")
            #expect(view["protected"] as? Bool == true)
            #expect(view["state"] as? String == "protected")
            #expect(view["relay"] as? String == "closed")
            #expect(view["last_reading_at"] is NSNull)

            let station = try await client.call(.get, "/v1/accounts/A1")
            #expect(station.json["alarm_yuan"] as? String == "20.00")
            #expect(station.json["trip_yuan"] as? String == "0.00")
            #expect(station.json["customer_class"] is NSNull)

            // A customer class brings its thresholds (shown as the ones in force).
            let business = try await client.call(.post, "/v1/accounts", body: """
                {"account_id": "A3", "meter_address": "000000000003", "terminal_id": "T1", "tariff": "flat-test",
                 "region": "south", "customer_class": "business"}
                """)
            #expect(business.status == .created, "\(business.text)")
            #expect(business.json["customer_class"] as? String == "business")
            #expect(business.json["alarm_yuan"] as? String == "50.00")
            #expect(business.json["trip_yuan"] as? String == "-10.00")
        }
    }

    @Test func badAccountsAreRefusedWithReasons() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            func account(meter: String = "000000000002", terminal: String = "T1", tariff: String = "flat-test",
                         extra: String = "") -> String {
                """
                {"account_id": "A2", "meter_address": "\(meter)", "terminal_id": "\(terminal)", "tariff": "\(tariff)", "region": "n"\(extra)}
                """
            }
            let meter = try await client.call(.post, "/v1/accounts", body: account(meter: "12345"))
            #expect(meter.status == .badRequest)
            #expect(meter.error.contains("12 decimal digits"))
            let tariff = try await client.call(.post, "/v1/accounts", body: account(tariff: "gold"))
            #expect(tariff.status == .unprocessableContent)
            #expect(tariff.error.contains("gold"))
            let terminal = try await client.call(.post, "/v1/accounts", body: account(terminal: "T9"))
            #expect(terminal.status == .unprocessableContent)
            #expect(terminal.error.contains("T9"))
            let taken = try await client.call(.post, "/v1/accounts", body: account(meter: "000000000001"))
            #expect(taken.status == .conflict)
            let money = try await client.call(.post, "/v1/accounts", body: account(extra: #", "alarm_yuan": 20"#))
            #expect(money.status == .badRequest)
            #expect(money.error.contains("alarm_yuan must be a string"))
            let unknownClass = try await client.call(.post, "/v1/accounts", body: account(extra: #", "customer_class": "vip""#))
            #expect(unknownClass.status == .unprocessableContent)
            #expect(unknownClass.error.contains("unknown customer class \"vip\""), "\(unknownClass.text)")
            let order = try await client.call(.post, "/v1/accounts", body: account(extra: #", "alarm_yuan": "1.00", "trip_yuan": "5.00""#))
            #expect(order.status == .unprocessableContent, "\(order.text)")
            #expect(try await fixture.store.account("A2") == nil)

            let unknown = try await client.call(.get, "/v1/accounts/NOPE")
            #expect(unknown.status == .notFound)
            #expect(unknown.error.contains("NOPE"))
        }
    }

    @Test func commandsAreListedNewestFirst() async throws {
        let fixture = try await APIFixture.make()
        // A1 holds 10.00, below the 20.00 alarm: provisioning queued an alarm. Then a trip.
        _ = try await fixture.store.transaction { tx in
            try tx.enqueue(PlannedCommand(kind: .trip, reason: .balanceAtOrBelowTrip, detail: "test", balance: yuan("0.00"),
                                          notBefore: instant("2026-11-23T10:00:00+08:00"), isDeferred: false),
                           account: "A1", meter: "000000000001", deadline: instant("2026-11-24T10:00:00+08:00"),
                           at: instant("2026-11-23T10:00:00+08:00"))
        }
        try await fixture.test { client in
            let answer = try await client.call(.get, "/v1/commands?account_id=A1", token: TestToken.viewer)
            #expect(answer.status == .ok)
            let list = answer.list
            #expect(list.map { $0["kind"] as? String } == ["trip", "alarm"])
            let trip = try #require(list.first)
            #expect(trip["state"] as? String == "pending")
            #expect(trip["attempts"] as? Int == 0)
            #expect(trip["reason"] as? String == "balance_at_or_below_trip")
            #expect(trip["deadline"] as? String == "2026-11-24T10:00:00+08:00")
            #expect(trip["created_at"] as? String == "2026-11-23T10:00:00+08:00")
            #expect(trip["acknowledged_at"] == nil)
            #expect(trip["detail"] as? String == "test")

            #expect(try await client.call(.get, "/v1/commands").status == .badRequest)
            #expect(try await client.call(.get, "/v1/commands?account_id=NOPE").status == .notFound)
        }
    }

    @Test func reviewItemsAreRetriedResolvedAndCancelled() async throws {
        let fixture = try await APIFixture.make()
        let now = instant("2026-11-23T10:00:00+08:00")
        var ids: [Int64] = []
        for (index, kind) in [CommandKind.trip, .keepPower, .alarm].enumerated() {
            let id = try await fixture.store.transaction { tx in
                try tx.enqueue(PlannedCommand(kind: kind, reason: .balanceAtOrBelowTrip, detail: "test \(index)", balance: .zero,
                                              notBefore: now, isDeferred: false),
                               account: "A1", meter: "000000000001", deadline: now, at: now)
            }
            ids.append(try await fixture.store.moveToReview(id, reason: "terminal offline", at: now))
        }
        let reviewIDs = ids
        fixture.clock.advance(by: 600)
        try await fixture.test { client in
            let open = try await client.call(.get, "/v1/review", token: TestToken.viewer)
            #expect(open.status == .ok)
            #expect(open.list.count == 3)
            #expect(open.list.first?["reason"] as? String == "terminal offline")
            #expect(open.list.first?["kind"] as? String == "command")

            let noNote = try await client.call(.post, "/v1/review/\(reviewIDs[0])/retry", body: #"{"note": "  "}"#)
            #expect(noNote.status == .badRequest)
            #expect(noNote.error.contains("note"))
            #expect(try await client.call(.post, "/v1/review/\(reviewIDs[0])/retry", body: "{}").status == .badRequest)

            let retried = try await client.call(.post, "/v1/review/\(reviewIDs[0])/retry", body: #"{"note": "terminal back"}"#)
            #expect(retried.status == .ok, "\(retried.text)")
            #expect(retried.json["state"] as? String == "retried")
            #expect(retried.json["note"] as? String == "terminal back")
            let resolved = try await client.call(.post, "/v1/review/\(reviewIDs[1])/resolve", body: #"{"note": "card on site"}"#)
            #expect(resolved.json["state"] as? String == "resolved")
            let cancelled = try await client.call(.post, "/v1/review/\(reviewIDs[2])/cancel", body: #"{"note": "not needed"}"#)
            #expect(cancelled.json["state"] as? String == "cancelled")

            let again = try await client.call(.post, "/v1/review/\(reviewIDs[0])/cancel", body: #"{"note": "x"}"#)
            #expect(again.status == .conflict)
            #expect(try await client.call(.post, "/v1/review/999/retry", body: #"{"note": "x"}"#).status == .notFound)
            #expect(try await client.call(.post, "/v1/review/abc/retry", body: #"{"note": "x"}"#).status == .badRequest)
            #expect(try await client.call(.get, "/v1/review").list.isEmpty)
        }
        let commands = try await fixture.store.commands(account: "A1")
        let byKind = Dictionary(commands.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a })
        let trip = try #require(byKind[.trip])
        #expect(trip.state == .pending)
        #expect(trip.attempts == 0)
        #expect(trip.deadline == instant("2026-11-23T11:10:00+08:00"))
        #expect(byKind[.keepPower]?.state == .acknowledged)
        #expect(byKind[.alarm]?.state == .cancelled)
    }

    @Test func statsByRegion() async throws {
        let fixture = try await APIFixture.make(online: ["T1": true, "T2": false])
        try await fixture.core.upsertTerminal(TerminalRecord(id: "T2", host: "h", port: 1))
        _ = try await fixture.core.upsertAccount(AccountProvisioning(accountID: "A2", meterAddress: "000000000002", terminalID: "T2",
                                                                     tariff: "flat-test", region: "south", openingBalance: yuan("100.00")))
        try await fixture.store.transaction { tx in
            let readingID = try tx.insertReading(reading("2026-11-23T10:00:00+08:00", total: "3.00"), account: "A1", abnormal: [])
            _ = try tx.postCharge(account: "A1", amount: yuan("1.50"), energy: kWh("3.00"), readingID: readingID, reference: "t",
                                  at: instant("2026-11-23T10:00:00+08:00"))
        }
        try await fixture.test { client in
            let north = try await client.call(.get, "/v1/stats?region=north", token: TestToken.viewer).json
            #expect(north["region"] as? String == "north")
            #expect(north["accounts"] as? Int == 1)
            #expect(north["by_state"] as? [String: Int] == ["alarm": 1])
            #expect(north["consumption_kwh"] as? String == "3.00")
            #expect(north["total_balance_yuan"] as? String == "8.50")
            #expect(north["total_balance_micro_yuan"] as? Int == 8_500_000)
            #expect(north["terminals"] as? Int == 1)
            #expect(north["terminals_online"] as? Int == 1)

            let all = try await client.call(.get, "/v1/stats").json
            #expect(all["region"] is NSNull)
            #expect(all["accounts"] as? Int == 2)
            #expect(all["total_balance_yuan"] as? String == "108.50")
            #expect(all["terminals"] as? Int == 2)
            #expect(all["terminals_online"] as? Int == 1)

            let empty = try await client.call(.get, "/v1/stats?region=west").json
            #expect(empty["accounts"] as? Int == 0)
            #expect(empty["consumption_kwh"] as? String == "0.00")
        }
    }
}
