import Hummingbird
import HummingbirdTesting
import Store
import Tariffs
import Testing
@testable import Station

/// Issue 17 through the API in process, on a real SQLite file: every bound answers 422 naming
/// the field and the bound, the bound itself is accepted, nothing out of bounds is written, and
/// the balances stay equal to the ledger replay. (The same against the real daemon process:
/// Tests/EndToEndTests/AmountBoundsEndToEndTests.swift.)
@Suite struct APIAmountBoundsTests {
    /// (amount, status, words the answer must contain). A1 opens with 10.00.
    @Test(arguments: [
        ("10000000.00", 201, "10000010.00"),
        ("10000000.01", 422, "[payments] max_yuan"),
        ("5000000000000.00", 422, "above 0.00 and at most 1000000000.00 yuan"),
        ("1000000000.00", 422, "at most 10000000.00 yuan ([payments] max_yuan)"),
        ("9223372036854.77", 422, "amount_yuan 9223372036854.77 is out of bounds"),   // Int64.max micro-yuan, rounded down
        ("9223372036854.78", 422, "amount_yuan \\\"9223372036854.78\\\" is out of bounds"),  // one fen past Int64
        ("92233720368547758.07", 422, "out of bounds"),
    ])
    func paymentAmountsAtAndPastTheirBounds(_ amount: String, _ status: Int, _ words: String) async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let answer = try await client.call(.post, "/v1/payments", token: TestToken.payments,
                                               body: paymentJSON(amount: "\"\(amount)\""))
            #expect(answer.status.code == status, "\(answer.text)")
            #expect(answer.text.contains(words), "\(answer.text)")
            if status == 422 { #expect(answer.error.contains("amount_yuan"), "\(answer.text)") }
        }
        let ledger = try await fixture.store.ledger(account: "A1")
        #expect(ledger.count == (status == 201 ? 2 : 1), "nothing written for a refusal")
        #expect(try await fixture.store.verifyBalances().isEmpty)
    }

    /// The report's crash: the same hostile order retried (as a billing system should) is
    /// refused every time, and the station answers everything else meanwhile.
    @Test func aHostileOrderRetriedTwentyTimesIsRefusedEveryTime() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            for attempt in 1...20 {
                let answer = try await client.call(.post, "/v1/payments", token: TestToken.payments,
                                                   body: paymentJSON(order: "HOSTILE", amount: "\"5000000000000.00\""))
                #expect(answer.status == .unprocessableContent, "attempt \(attempt): \(answer.text)")
            }
            let account = try await client.call(.get, "/v1/accounts/A1", token: TestToken.viewer)
            #expect(account.json["balance_yuan"] as? String == "10.00", "\(account.text)")
            let fine = try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON(order: "FINE"))
            #expect(fine.status == .created, "\(fine.text)")
        }
        #expect(try await fixture.store.payment(orderNo: "HOSTILE") == nil)
        #expect(try await fixture.store.verifyBalances().isEmpty)
    }

    /// Payments up to the balance bound exactly, then not one fen more: the sum that used to
    /// leave Int64 is refused long before it could.
    @Test func paymentsStopAtTheBalanceBound() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            // 10.00 + 99 × 10,000,000.00 + 9,999,990.00 = 1,000,000,000.00 exactly.
            for i in 0..<99 {
                let answer = try await client.call(.post, "/v1/payments", token: TestToken.payments,
                                                   body: paymentJSON(order: "BIG-\(i)", amount: "\"10000000.00\""))
                #expect(answer.status == .created, "\(answer.text)")
            }
            let last = try await client.call(.post, "/v1/payments", token: TestToken.payments,
                                             body: paymentJSON(order: "BIG-LAST", amount: "\"9999990.00\""))
            #expect(last.json["balance_yuan"] as? String == "1000000000.00", "\(last.text)")
            let over = try await client.call(.post, "/v1/payments", token: TestToken.payments,
                                             body: paymentJSON(order: "ONE-FEN", amount: "\"0.01\""))
            #expect(over.status == .unprocessableContent, "\(over.text)")
            #expect(over.error.contains("1000000000.00"), "\(over.text)")
        }
        #expect(try await fixture.store.payment(orderNo: "ONE-FEN") == nil)
        #expect(try await fixture.store.account("A1")?.balance == AmountBounds.balance)
        #expect(try await fixture.store.verifyBalances().isEmpty)
    }

    /// Opening balances and thresholds: 422 naming the field and the bound, no account written.
    @Test(arguments: [
        (#""opening_balance_yuan": "9223372036854.77""#, "opening_balance_yuan"),
        (#""opening_balance_yuan": "1000000000.01""#, "opening_balance_yuan"),
        (#""opening_balance_yuan": "-1000000000.01""#, "opening_balance_yuan"),
        (#""alarm_yuan": "10000000.01""#, "alarm_yuan"),
        (#""trip_yuan": "-10000000.01""#, "trip_yuan"),
        (#""trip_yuan": "-9223372036854.78""#, "trip_yuan"),
    ])
    func accountAmountsPastTheirBounds(_ field: String, _ name: String) async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let body = #"{"account_id": "B1", "meter_address": "000000000009", "terminal_id": "T1", "tariff": "flat-test", "#
                + #""region": "north", "# + field + "}"
            let answer = try await client.call(.post, "/v1/accounts", token: TestToken.operator, body: body)
            #expect(answer.status == .unprocessableContent, "\(answer.text)")
            #expect(answer.error.contains(name) && answer.error.contains("out of bounds"), "\(answer.text)")
        }
        #expect(try await fixture.store.account("B1") == nil)
    }

    @Test func adjustmentsAreIdempotentBoundedAndReevaluate() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            func adjust(_ number: String, _ amount: String, _ reason: String = "meter swap") async throws -> APIAnswer {
                try await client.call(.post, "/v1/accounts/A1/adjustments", token: TestToken.operator, body: """
                    {"adjustment_no": "\(number)", "amount_yuan": "\(amount)", "reason": "\(reason)"}
                    """)
            }
            let first = try await adjust("ADJ-1", "-25.00")
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["balance_yuan"] as? String == "-15.00")
            #expect(try await adjust("ADJ-1", "-25.00").text == first.text)
            #expect(try await adjust("ADJ-1", "-26.00").status == .conflict)
            // The account was re-evaluated with it: below the trip threshold now.
            let account = try await client.call(.get, "/v1/accounts/A1", token: TestToken.viewer)
            #expect(account.json["state"] as? String == "tripped", "\(account.text)")
            let tooLarge = try await adjust("ADJ-2", "-10000000.01")
            #expect(tooLarge.status == .unprocessableContent && tooLarge.error.contains("max_yuan"), "\(tooLarge.text)")
            #expect(try await adjust("ADJ-3", "0.00").status == .badRequest)
            #expect(try await adjust("ADJ-4", "1.00", " ").status == .badRequest)
            let payments = try await client.call(.post, "/v1/accounts/A1/adjustments", token: TestToken.payments,
                                                 body: #"{"adjustment_no": "ADJ-5", "amount_yuan": "1.00", "reason": "x"}"#)
            #expect(payments.status == .forbidden)
            let unknown = try await client.call(.post, "/v1/accounts/NOPE/adjustments", token: TestToken.operator,
                                                body: #"{"adjustment_no": "ADJ-6", "amount_yuan": "1.00", "reason": "x"}"#)
            #expect(unknown.status == .notFound, "\(unknown.text)")
        }
        #expect(try await fixture.store.ledger(account: "A1").map(\.kind) == [.opening, .adjustment])
        #expect(try await fixture.store.verifyBalances().isEmpty)
    }
}
