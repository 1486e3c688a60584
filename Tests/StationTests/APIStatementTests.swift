import ChargeControl
import Foundation
import HummingbirdTesting
import Store
import Tariffs
import Testing
@testable import Station

/// `GET /v1/accounts/ID/statement` (issue 14 item 2) against readings, payments and an
/// adjustment made in the test, with the expected figures worked out by hand.
@Suite struct APIStatementTests {
    /// The fixture with billing months starting on the 24th: the clock's 23 November 2026 is in
    /// the month "2026-10" (24 October – 24 November), and the 24th starts "2026-11".
    static func fixture() async throws -> APIFixture {
        let base = try await APIFixture.make()
        var settings = base.settings
        settings.readingDay = 24
        return APIFixture(folder: base.folder, store: base.store, core: base.core, clock: base.clock, settings: settings)
    }

    static func read(_ fixture: APIFixture, _ at: String, _ total: String) async throws {
        let evaluator = fixture.core.evaluator
        _ = try await fixture.store.transaction { tx in
            try evaluator.apply(reading: reading(at, total: total), meter: nil, account: "S1", at: instant(at), in: tx)
        }
    }

    @Test func aStatementAgreesWithTheReadingsPaymentsAndTheLedger() async throws {
        let fixture = try await Self.fixture()
        // 23 Nov 10:00: S1 opens with 100.00; its first reading (1000.00 kWh) is the baseline.
        _ = try await fixture.core.upsertAccount(AccountProvisioning(accountID: "S1", meterAddress: "000000000051", terminalID: "T1",
                                                                     tariff: "flat-test", region: "south", openingBalance: yuan("100.00")))
        try await Self.read(fixture, "2026-11-23T10:00:00+08:00", "1000.00")
        try await Self.read(fixture, "2026-11-23T12:00:00+08:00", "1010.00")  // 10 kWh × 0.50 = 5.00
        try await fixture.test { client in
            fixture.clock.advance(by: 4 * 3600)  // 23 Nov 14:00
            let first = try await client.call(.post, "/v1/payments", token: TestToken.payments,
                                              body: paymentJSON(order: "ST-1", account: "S1", amount: "\"20.00\"",
                                                                paidAt: "2026-11-23T13:59:00+08:00"))
            #expect(first.status == .created, "\(first.text)")
            try await Self.read(fixture, "2026-11-24T02:00:00+08:00", "1030.00")  // 20 kWh = 10.00
            fixture.clock.advance(by: 13 * 3600)  // 24 Nov 03:00
            let second = try await client.call(.post, "/v1/payments", token: TestToken.payments,
                                               body: paymentJSON(order: "ST-2", account: "S1", amount: "\"50.00\"",
                                                                 paidAt: "2026-11-24T02:59:00+08:00"))
            #expect(second.status == .created, "\(second.text)")
            try await Self.read(fixture, "2026-11-24T04:00:00+08:00", "1033.37")  // 3.37 kWh = 1.685
            fixture.clock.advance(by: 2 * 3600)  // 24 Nov 05:00
            let adjusted = try await client.call(.post, "/v1/accounts/S1/adjustments",
                                                 body: #"{"adjustment_no": "ST-ADJ", "amount_yuan": "-2.50", "reason": "test"}"#)
            #expect(adjusted.status == .created, "\(adjusted.text)")
            fixture.clock.advance(by: 3600)  // 24 Nov 06:00

            let answer = try await client.call(.get, "/v1/accounts/S1/statement?months=2", token: TestToken.payments)
            #expect(answer.status == .ok, "\(answer.text)")
            #expect(answer.json["account_id"] as? String == "S1")
            let months = try #require(answer.json["months"] as? [[String: any Sendable]])
            #expect(months.map { $0["month"] as? String } == ["2026-11", "2026-10"], "newest first")
            let november = months[0], october = months[1]

            #expect(november["from"] as? String == "2026-11-24T00:00:00+08:00")
            #expect(november["to"] as? String == "2026-12-24T00:00:00+08:00")
            #expect(november["complete"] as? Bool == false)
            // Starts at the reading before the 24th (12:00 on the 23rd), ends at the latest.
            #expect(november["start_kwh"] as? String == "1010.00")
            #expect(november["end_kwh"] as? String == "1033.37")
            #expect(november["kwh"] as? String == "23.37")
            #expect(november["registers_kwh"] as? [String: String] == ["sharp": "0.00", "peak": "0.00", "flat": "23.37", "valley": "0.00"])
            #expect(november["charge_yuan"] as? String == "11.685000")  // 10.00 + 1.685
            #expect(november["payments_yuan"] as? String == "50.000000")
            #expect(november["adjustments_yuan"] as? String == "-2.500000")
            #expect(november["opening_balance_yuan"] as? String == "115.000000")
            #expect(november["closing_balance_yuan"] as? String == "150.815000")  // 115 + 50 − 2.50 − 11.685

            #expect(october["from"] as? String == "2026-10-24T00:00:00+08:00")
            #expect(october["complete"] as? Bool == true)
            // The account's readings began in October's month: it starts at the baseline.
            #expect(october["start_kwh"] as? String == "1000.00")
            #expect(october["start_reading_at"] as? String == "2026-11-23T10:00:00+08:00")
            #expect(october["end_kwh"] as? String == "1010.00")
            #expect(october["kwh"] as? String == "10.00")
            #expect(october["charge_yuan"] as? String == "5.000000")
            #expect(october["payments_yuan"] as? String == "20.000000")
            #expect(october["adjustments_yuan"] as? String == "0.000000")
            #expect(october["opening_balance_yuan"] as? String == "100.000000")
            #expect(october["closing_balance_yuan"] as? String == "115.000000")

            // The identity in every month, and the newest closing balance is the ledger's.
            func micro(_ value: (any Sendable)?) -> Int64 { ((value as? String).flatMap { try? Money(yuan: $0, maxDecimals: 6) } ?? Money(microYuan: .min)).microYuan }
            for m in months {
                #expect(micro(m["opening_balance_yuan"]) + micro(m["payments_yuan"]) + micro(m["adjustments_yuan"]) - micro(m["charge_yuan"])
                        == micro(m["closing_balance_yuan"]), "\(m)")
            }
            #expect(micro(october["closing_balance_yuan"]) == micro(november["opening_balance_yuan"]))
            let replayed = try Ledger.balance(replaying: try await fixture.store.ledger(account: "S1"))
            #expect(micro(november["closing_balance_yuan"]) == replayed.microYuan)
            let account = try await client.call(.get, "/v1/accounts/S1").json
            #expect(account["balance_micro_yuan"] as? Int == Int(replayed.microYuan))
            // The ledger's charges of October's month, summed independently of the statement.
            let charges = try await fixture.store.ledger(account: "S1")
                .filter { $0.kind == .charge && $0.at < instant("2026-11-24T00:00:00+08:00") }
                .reduce(Int64(0)) { $0 + $1.amount.microYuan }
            #expect(micro(october["charge_yuan"]) == charges)

            let six = try await client.call(.get, "/v1/accounts/S1/statement", token: TestToken.viewer)
            let earlier = try #require(six.json["months"] as? [[String: any Sendable]])
            #expect(earlier.count == 6)
            #expect(earlier.last?["month"] as? String == "2026-06")
            #expect(earlier.last?["start_kwh"] is NSNull && earlier.last?["closing_balance_yuan"] as? String == "0.000000")
        }
    }

    @Test func badMonthsAndUnknownAccountsAreRefused() async throws {
        let fixture = try await Self.fixture()
        try await fixture.test { client in
            for months in ["0", "25", "six", "-1"] {
                let answer = try await client.call(.get, "/v1/accounts/A1/statement?months=\(months)", token: TestToken.viewer)
                #expect(answer.status == .badRequest, "\(months): \(answer.text)")
                #expect(answer.error.contains("months must be an integer from 1 to 24"), "\(answer.error)")
            }
            let unknown = try await client.call(.get, "/v1/accounts/NOPE/statement", token: TestToken.viewer)
            #expect(unknown.status == .notFound && unknown.error.contains("NOPE"), "\(unknown.text)")
            #expect(try await client.call(.get, "/v1/accounts/A1/statement?months=24", token: TestToken.viewer).status == .ok)
        }
    }
}
