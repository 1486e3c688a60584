import ChargeControl
import Foundation
import HummingbirdTesting
import Store
import Tariffs
import Testing
@testable import Station

/// Paged lists (issue 14 item 1): accounts by region and state, commands, review and audit with
/// `limit`/`after`; pages cover every row exactly once, and v1 answers stay as they were.
@Suite struct APIListTests {
    /// Follows `next` from the first page of `uri` (which has its query) to the end, checking
    /// each page's size; returns every item in the order served.
    static func walk(_ client: some TestClientProtocol, _ uri: String, limit: Int,
                     token: String = TestToken.viewer) async throws -> [[String: any Sendable]] {
        var items: [[String: any Sendable]] = []
        var after: String?
        for _ in 0..<1000 {
            let page = try await client.call(.get, uri + "&limit=\(limit)" + (after.map { "&after=\($0)" } ?? ""), token: token)
            #expect(page.status == .ok, "\(page.text)")
            let rows = try #require(page.json["items"] as? [[String: any Sendable]], "\(page.text)")
            #expect(rows.count <= limit)
            items += rows
            guard let next = page.json["next"], !(next is NSNull) else { return items }
            #expect(rows.count == limit, "only a full page points at another")
            after = "\(next)"
        }
        Issue.record("more than 1000 pages")
        return items
    }

    /// Thirty accounts in two regions whose opening balances put them in every control state the
    /// policy reaches at provisioning (alarm below 20.00, tripped at or below 0.00), some released.
    static func accounts(_ fixture: APIFixture) async throws {
        for i in 0..<30 {
            let opening = ["100.00", "10.00", "-5.00"][i % 3]
            _ = try await fixture.core.upsertAccount(AccountProvisioning(
                accountID: String(format: "C%02d", i), meterAddress: String(format: "0000000001%02d", i), terminalID: "T1",
                tariff: "flat-test", region: i % 2 == 0 ? "east" : "west", openingBalance: yuan(opening)))
        }
        for id in ["C04", "C07", "C11"] {
            _ = try await fixture.store.transaction { tx in
                try tx.applyFeeControl(.release, account: id, reason: "test", at: instant("2026-11-23T10:00:00+08:00"))
            }
        }
    }

    @Test func accountPagesCoverEveryAccountOnceUnderEachFilter() async throws {
        let fixture = try await APIFixture.make()
        try await Self.accounts(fixture)
        let all = try await fixture.store.allAccounts()
        try await fixture.test { client in
            let filters: [(query: String, matches: (AccountRecord) -> Bool)] = [
                ("", { _ in true }),
                ("region=east", { $0.region == "east" }),
                ("state=normal", { $0.state == .normal }),
                ("state=tripped", { $0.state == .tripped }),
                ("region=west&state=alarm", { $0.region == "west" && $0.state == .alarm }),
                ("region=west&state=normal", { $0.region == "west" && $0.state == .normal }),
                ("state=released", { $0.feeControl == .released }),
                ("region=east&state=released", { $0.region == "east" && $0.feeControl == .released }),
            ]
            for filter in filters {
                let expected = all.filter(filter.matches).map(\.id).sorted()
                #expect(!expected.isEmpty, "\(filter.query) selects nothing: the test data does not exercise it")
                for limit in [1, 7, 1000] {
                    let items = try await Self.walk(client, "/v1/accounts?" + filter.query, limit: limit)
                    #expect(items.compactMap { $0["account_id"] as? String } == expected, "\(filter.query), limit \(limit)")
                }
            }
            // Items are the account view: the same keys and values as GET /v1/accounts/ID, but the forecast.
            let page = try await client.call(.get, "/v1/accounts?limit=1&after=C04", token: TestToken.viewer)
            let listed = try #require((page.json["items"] as? [[String: any Sendable]])?.first)
            let single = try await client.call(.get, "/v1/accounts/C05", token: TestToken.viewer).json
            #expect(listed["account_id"] as? String == "C05")
            #expect(Set(listed.keys) == Set(single.keys).subtracting(["days_left", "daily_spend_yuan", "reaches_trip_at"]))
            for key in listed.keys { #expect("\(listed[key] ?? "nil")" == "\(single[key] ?? "nil")", "\(key)") }
            // Without limit, the default page of 100 holds all 31.
            let unlimited = try await client.call(.get, "/v1/accounts", token: TestToken.viewer)
            #expect((unlimited.json["items"] as? [Any])?.count == 31 && unlimited.json["next"] is NSNull, "\(unlimited.text)")
        }
    }

    @Test func badPageParametersAreRefusedByName() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let refusals: [(String, String)] = [
                ("/v1/accounts?limit=0", "limit"), ("/v1/accounts?limit=1001", "limit"), ("/v1/accounts?limit=ten", "limit"),
                ("/v1/accounts?state=asleep", "state must be one of normal, alarm, tripped, protected, abnormal, pending, released"),
                ("/v1/accounts?state=active", "state"), ("/v1/accounts?after=", "after"),
                ("/v1/commands?account_id=A1&limit=-1", "limit"), ("/v1/commands?account_id=A1&limit=5&after=x", "after"),
                ("/v1/commands?account_id=A1&after=5", "after pages a list: give limit"),
                ("/v1/review?limit=2000", "limit"), ("/v1/review?after=3", "after"), ("/v1/review?limit=2&after=0", "after"),
                ("/v1/audit?limit=0", "limit"), ("/v1/audit?after=abc", "after"),
            ]
            for (uri, named) in refusals {
                let answer = try await client.call(.get, uri, token: TestToken.viewer)
                #expect(answer.status == .badRequest, "\(uri): \(answer.text)")
                #expect(answer.error.contains(named), "\(uri): \(answer.error)")
            }
            #expect(try await client.call(.get, "/v1/accounts", token: TestToken.payments).status == .forbidden)
        }
    }

    /// Commands and review items: without `limit` the v1 arrays, with it pages that hold
    /// exactly those rows in the same order.
    @Test func commandAndReviewPagesHoldTheV1Rows() async throws {
        let fixture = try await APIFixture.make()
        let now = instant("2026-11-23T10:00:00+08:00")
        func enqueue(_ kind: CommandKind, account: String, meter: String) async throws -> Int64 {
            try await fixture.store.transaction { tx in
                try tx.enqueue(PlannedCommand(kind: kind, reason: .balanceAtOrBelowTrip, detail: "test", balance: .zero, notBefore: now,
                                              isDeferred: false),
                               account: account, meter: meter, deadline: now.addingTimeInterval(86_400), at: now)
            }
        }
        for kind in [CommandKind.trip, .keepPower, .alarmRelease, .keepPowerRelease, .directClose] {
            _ = try await enqueue(kind, account: "A1", meter: "000000000001")
        }
        // One review item on each of five accounts.
        for i in 1...5 {
            let meter = String(format: "0000000002%02d", i)
            _ = try await fixture.core.upsertAccount(AccountProvisioning(accountID: "R\(i)", meterAddress: meter, terminalID: "T1",
                                                                         tariff: "flat-test", region: "north", openingBalance: yuan("100.00")))
            try await fixture.store.moveToReview(try await enqueue(.trip, account: "R\(i)", meter: meter), reason: "terminal offline", at: now)
        }
        try await fixture.test { client in
            let commands = try await client.call(.get, "/v1/commands?account_id=A1", token: TestToken.viewer)
            #expect(commands.status == .ok)
            let v1 = commands.list.compactMap { $0["id"] as? Int }
            #expect(v1.count >= 5 && v1 == v1.sorted(by: >), "a bare array, newest first: \(commands.text)")
            for limit in [1, 4] {
                let paged = try await Self.walk(client, "/v1/commands?account_id=A1", limit: limit)
                #expect(paged.compactMap { $0["id"] as? Int } == v1)
            }

            let review = try await client.call(.get, "/v1/review", token: TestToken.viewer)
            let open = review.list.compactMap { $0["id"] as? Int }
            #expect(open == (try await fixture.store.openReviewItems()).map { Int($0.id) })
            #expect(open.count >= 4 && open == open.sorted(), "a bare array, oldest first: \(review.text)")
            for limit in [2, 5] {
                let paged = try await Self.walk(client, "/v1/review?", limit: limit)
                #expect(paged.compactMap { $0["id"] as? Int } == open)
            }
            // An item closed between two pages is simply not on the next one.
            let first = try await client.call(.get, "/v1/review?limit=2", token: TestToken.viewer)
            _ = try await client.call(.post, "/v1/review/\(open[2])/cancel", body: #"{"note": "not needed"}"#)
            let second = try await client.call(.get, "/v1/review?limit=2&after=\(first.json["next"] ?? "")", token: TestToken.viewer)
            #expect((second.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == Array(open.dropFirst(3).prefix(2)),
                    "\(second.text)")

            let audit = try await Self.walk(client, "/v1/audit?account_id=A1", limit: 3)
            let stored = try await fixture.store.auditTrail().filter { $0.accountID == "A1" }.map { Int($0.id) }
            #expect(audit.compactMap { $0["id"] as? Int } == stored.reversed())
        }
    }
}
