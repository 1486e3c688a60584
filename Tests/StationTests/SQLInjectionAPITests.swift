import ChargeControl
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing
@testable import Station

/// Identifiers written to break hand-built SQL go through the real API into a real SQLite file
/// and come back exactly as sent, with every table still there (SQL only through bound parameters).
@Suite struct SQLInjectionAPITests {
    static let terminal = "T9'); DELETE FROM terminal; --"
    static let accounts = ["A'; DROP TABLE accounts; --", #"B"; DROP TABLE account; -- "quoted""#]
    static let region = "north' OR '1'='1"
    static let order = "ORD'; DROP TABLE payment; --"
    static let note = #"done'); DROP TABLE review_item; -- "O'Brien""#

    /// Percent-encodes everything but letters and digits (path segments and query values).
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    static func json(_ object: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func hostileIdentifiersAreStoredAndReadBackIntact() async throws {
        let fixture = try await APIFixture.make()
        let store = fixture.store
        try await fixture.test { client in
            let terminal = try await client.call(.post, "/v1/terminals", body: """
                {"terminal_id": \(try Self.jsonString(Self.terminal)), "host": "127.0.0.1", "port": 9200}
                """)
            #expect(terminal.status == .created, "\(terminal.text)")
            #expect(terminal.json["terminal_id"] as? String == Self.terminal)

            for (index, account) in Self.accounts.enumerated() {
                let added = try await client.call(.post, "/v1/accounts", body: try Self.json([
                    "account_id": account, "meter_address": "00000000000\(index + 2)", "terminal_id": Self.terminal,
                    "tariff": "flat-test", "region": Self.region, "opening_balance_yuan": "0.00",
                ]))
                #expect(added.status == .created, "\(added.text)")
                #expect(added.json["account_id"] as? String == account)
                #expect(added.json["region"] as? String == Self.region)
            }

            let paymentBody = try Self.json([
                "order_no": Self.order, "account_id": Self.accounts[0], "amount_yuan": "5.00", "channel": "counter",
                "paid_at": "2026-11-23T09:59:00+08:00",
            ])
            let paid = try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentBody)
            #expect(paid.status == .created, "\(paid.text)")
            #expect(paid.json["order_no"] as? String == Self.order)
            #expect(paid.json["balance_yuan"] as? String == "5.00")
            let again = try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentBody)
            #expect(again.status == .ok && again.text == paid.text)

            for account in Self.accounts {
                let read = try await client.call(.get, "/v1/accounts/\(Self.encoded(account))", token: TestToken.viewer)
                #expect(read.status == .ok, "\(account): \(read.text)")
                #expect(read.json["account_id"] as? String == account)
                #expect(read.json["terminal_id"] as? String == Self.terminal)
                #expect(read.json["region"] as? String == Self.region)
                let commands = try await client.call(.get, "/v1/commands?account_id=\(Self.encoded(account))", token: TestToken.viewer)
                #expect(commands.status == .ok, "\(account): \(commands.text)")
            }
            #expect(try await client.call(.get, "/v1/accounts/\(Self.encoded(Self.accounts[0]))", token: TestToken.viewer)
                .json["balance_yuan"] as? String == "5.00")

            // The region filter matches that region only: `' OR '1'='1` selects nothing more.
            let hostileRegion = try await client.call(.get, "/v1/stats?region=\(Self.encoded(Self.region))", token: TestToken.viewer)
            #expect(hostileRegion.status == .ok && hostileRegion.json["accounts"] as? Int == 2, "\(hostileRegion.text)")
            #expect(try await client.call(.get, "/v1/stats?region=north", token: TestToken.viewer).json["accounts"] as? Int == 1)
            #expect(try await client.call(.get, "/v1/stats", token: TestToken.viewer).json["accounts"] as? Int == 3)

            // A review item closed with a hostile note keeps the note as written.
            let now = fixture.clock.now
            let command = try await store.transaction { tx in
                try tx.enqueue(PlannedCommand(kind: .alarm, reason: .balanceAtOrBelowAlarm, detail: Self.note, balance: .zero,
                                              notBefore: now, isDeferred: false),
                               account: Self.accounts[1], meter: "000000000003", deadline: now.addingTimeInterval(3600), at: now)
            }
            let item = try await store.moveToReview(command, reason: Self.note, at: now)
            let resolved = try await client.call(.post, "/v1/review/\(item)/resolve", body: try Self.json(["note": Self.note]))
            #expect(resolved.status == .ok, "\(resolved.text)")
            #expect(resolved.json["note"] as? String == Self.note)
            #expect(resolved.json["reason"] as? String == Self.note)
            let stored = try await store.reviewItem(item)
            #expect(stored.operatorNote == Self.note && stored.reason == Self.note && stored.accountID == Self.accounts[1])

            let audit = try await client.call(.get, "/v1/audit/verify", token: TestToken.viewer)
            #expect(audit.json["intact"] as? Bool == true, "\(audit.text)")
        }
        // Every table is still there, with exactly what was written.
        #expect(Set(try await store.allAccounts().map(\.id)) == Set(["A1"] + Self.accounts))
        #expect(Set(try await store.terminals().map(\.id)) == ["T1", Self.terminal])
        #expect(try await store.payment(orderNo: Self.order)?.accountID == Self.accounts[0])
    }

    static func jsonString(_ text: String) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }
}
