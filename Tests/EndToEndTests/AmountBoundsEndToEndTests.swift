import Foundation
import Store
import StationHarness
import Tariffs
import Testing

/// Issue 17 as it was reported, against the real daemon on a real SQLite file: the amounts that
/// brought chargecontrold down (SIGILL in a crash loop) are refused with 422 naming the field and
/// the bound, retried as a billing system would; the daemon stays up, and every balance equals its
/// ledger replay and lies within bounds.
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct AmountBoundsEndToEndTests {
    @Test func hostileAmountsAreRefusedAndTheDaemonStaysUp() async throws {
        var options = StationOptions()
        options.loadKW = "0"   // frozen meters: every balance moves only by what this test posts
        options.meters = 4
        try await HarnessStation.with("amount-bounds", options) { s in
            try await s.provisionTerminals()
            try await s.addAccount("M1", meter: 1, opening: "100.00")
            try await s.addAccount("M2", meter: 2, opening: "0.00")
            func expect(_ answer: HTTPAnswer, _ status: Int, _ words: [String], _ what: String) {
                #expect(answer.status == status, "\(what): \(answer)")
                for word in words { #expect(answer.text.contains(word), "\(what): \(answer.text)") }
            }
            // The report: two payments of 5,000,000,000,000.00 yuan to one account, each retried.
            for attempt in 1...20 {
                expect(try await s.pay("HUGE-1", account: "M1", amount: "5000000000000.00"), 422,
                       ["amount_yuan", "at most 1000000000.00 yuan"], "HUGE-1 attempt \(attempt)")
            }
            expect(try await s.pay("HUGE-2", account: "M1", amount: "5000000000000.00"), 422, ["amount_yuan"], "HUGE-2")
            // One of 9,223,372,036,854.77 onto 100.00, and one fen past Int64.
            expect(try await s.pay("EDGE-1", account: "M1", amount: "9223372036854.77"), 422, ["out of bounds"], "EDGE-1")
            expect(try await s.pay("EDGE-2", account: "M1", amount: "9223372036854.78"), 422, ["out of bounds"], "EDGE-2")
            // An opening balance of 9,223,372,036,854.77: refused, so no account's next payment can kill anything.
            let opening = try await s.call("POST", "/v1/accounts", json: s.accountBody("M3", meter: 3, opening: "9223372036854.77"))
            expect(opening, 422, ["opening_balance_yuan", "out of bounds"], "opening balance")
            let trip = try await s.call("POST", "/v1/accounts", json: s.accountBody("M3", meter: 3, opening: "1.00", trip: "-10000000.01"))
            expect(trip, 422, ["trip_yuan", "out of bounds"], "trip threshold")
            // Each bound is accepted; one fen more is not.
            expect(try await s.pay("MAX", account: "M2", amount: "10000000.00"), 201, ["10000000.00"], "max_yuan")
            expect(try await s.pay("MAX+", account: "M2", amount: "10000000.01"), 422, ["[payments] max_yuan"], "max_yuan + 0.01")
            for i in 1..<100 {
                expect(try await s.pay("FILL-\(i)", account: "M2", amount: "10000000.00"), 201, [], "FILL-\(i)")
            }
            #expect(try await s.account("M2")["balance_yuan"]?.string == "1000000000.00")
            expect(try await s.pay("OVER", account: "M2", amount: "0.01"), 422, ["1000000000.00"], "past the balance bound")
            let adjustment = try await s.call("POST", "/v1/accounts/M2/adjustments",
                                              json: #"{"adjustment_no": "ADJ-OVER", "amount_yuan": "0.01", "reason": "one fen too far"}"#)
            expect(adjustment, 422, ["1000000000.00"], "adjustment past the balance bound")
            // The daemon is the one that started, and it still answers.
            #expect(s.daemon?.isRunning == true && s.daemon?.endedOnItsOwn == false, "\(s.daemon?.exitDescription ?? "-")")
            #expect(try await s.call("GET", "/healthz").status == 200)
            #expect(try await s.account("M1")["balance_yuan"]?.string == "100.00")
            expect(try await s.pay("FINE", account: "M1", amount: "50.00"), 201, ["150.00"], "an ordinary payment")
            // On disk: balances equal the ledger replay, all within bounds, nothing of the refusals.
            let store = try s.openStore()
            #expect(try await store.verifyBalances().isEmpty)
            for account in try await store.allAccounts() {
                #expect(account.balance.microYuan.magnitude <= AmountBounds.balance.microYuan.magnitude, "\(account.id)")
            }
            for order in ["HUGE-1", "HUGE-2", "EDGE-1", "EDGE-2", "MAX+", "OVER"] {
                #expect(try await store.payment(orderNo: order) == nil, "\(order) not recorded")
            }
        }
    }
}
