import Hummingbird
import HummingbirdTesting
import Store
import Testing
@testable import Station

@Suite struct APIPaymentTests {
    @Test func firstPostCreatesThenRepeatsThenConflicts() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let first = try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON())
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["balance_yuan"] as? String == "60.00")
            #expect(first.json["balance_micro_yuan"] as? Int == 60_000_000)
            #expect(first.json["amount_yuan"] as? String == "50.00")
            #expect(first.json["paid_at"] as? String == "2026-11-23T09:59:00+08:00")

            let again = try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON())
            #expect(again.status == .ok)
            #expect(again.text == first.text)

            let other = try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON(amount: "\"51.00\""))
            #expect(other.status == .conflict)
            #expect(other.error.contains("ORD-1"))

            let account = try await client.call(.get, "/v1/accounts/A1", token: TestToken.payments)
            #expect(account.json["balance_yuan"] as? String == "60.00")
        }
        #expect(try await fixture.store.ledger(account: "A1").count == 2)
    }

    @Test(arguments: [
        ("\"1.234\"", "3 decimals"),
        ("\"abc\"", "not a decimal number"),
        ("\"-5.00\"", "must be positive"),
        ("\"0.00\"", "must be positive"),
        ("\"\"", "empty"),
        ("5", "must be a string like \\\"50.00\\\""),
        ("50.00", "not a JSON number"),
        ("null", "must not be null"),
    ])
    func badAmountsAreRefused(_ amount: String, _ message: String) async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let answer = try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON(amount: amount))
            #expect(answer.status == .badRequest)
            #expect(answer.error.contains("amount_yuan"), "\(answer.error)")
            #expect(answer.text.contains(message), "\(answer.text)")
        }
    }

    @Test func otherBadFieldsNameTheProblem() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let channel = try await client.call(.post, "/v1/payments", body: paymentJSON(channel: "cash"))
            #expect(channel.status == .badRequest)
            #expect(channel.error.contains("counter, online_bank, third_party, mobile_app"))
            let paidAt = try await client.call(.post, "/v1/payments", body: paymentJSON(paidAt: "2026-11-23 10:00"))
            #expect(paidAt.status == .badRequest)
            #expect(paidAt.error.contains("paid_at"))
            let missing = try await client.call(.post, "/v1/payments", body: #"{"order_no": "X"}"#)
            #expect(missing.status == .badRequest)
            #expect(missing.error.contains("missing"))
            let notJSON = try await client.call(.post, "/v1/payments", body: "order_no=X")
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.error.contains("not valid JSON"))
            let empty = try await client.call(.post, "/v1/payments", body: nil)
            #expect(empty.status == .badRequest)
            let array = try await client.call(.post, "/v1/payments", body: "[]")
            #expect(array.status == .badRequest)
        }
    }

    @Test func unknownAccountIsUnprocessable() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let answer = try await client.call(.post, "/v1/payments", body: paymentJSON(account: "NOPE"))
            #expect(answer.status == .unprocessableContent)
            #expect(answer.error.contains("NOPE"))
        }
    }

    @Test func paidAtDefaultsToNow() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let answer = try await client.call(.post, "/v1/payments", body: """
                {"order_no": "ORD-9", "account_id": "A1", "amount_yuan": "5", "channel": "mobile_app"}
                """)
            #expect(answer.status == .created)
            #expect(answer.json["paid_at"] as? String == "2026-11-23T10:00:00+08:00")
            #expect(answer.json["amount_yuan"] as? String == "5.00")
            fixture.clock.advance(by: 30)
            let retry = try await client.call(.post, "/v1/payments", body: """
                {"order_no": "ORD-9", "account_id": "A1", "amount_yuan": "5.00", "channel": "mobile_app"}
                """)
            #expect(retry.status == .ok)
            #expect(retry.text == answer.text)
        }
    }

    @Test func oversizedBodyIs413() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let padding = String(repeating: "x", count: APIRequestContext.maxBodyBytes + 10)
            let answer = try await client.call(.post, "/v1/payments", body: "{\"pad\": \"\(padding)\"}")
            #expect(answer.status == .contentTooLarge)
            #expect(answer.error.contains("larger than"))
        }
    }
}
