import Hummingbird
import HummingbirdTesting
import Testing
@testable import Station

/// Every route against every kind of caller: no token (401), a wrong one (401), and each role:
/// 403 for a role the route does not admit, 2xx for one it does. `routes` is the role table;
/// `AccessControlTests` checks it lists every route the router has.
@Suite struct APIAuthTests {
    struct Route: Sendable, CustomStringConvertible {
        let method: HTTPRequest.Method
        let uri: String
        let body: String?
        let admits: Set<APIRole>
        /// What an admitted role gets when not a 2xx: the live read of the fixture, which has no
        /// terminal lines, answers 504 (the handler was reached).
        var answers: Set<Int> = []
        var description: String { "\(method) \(uri)" }

        func isAnswered(_ status: HTTPResponse.Status) -> Bool {
            answers.isEmpty ? (200..<300).contains(status.code) : answers.contains(status.code)
        }
        /// The path without its query.
        var path: String { String(uri.split(separator: "?", maxSplits: 1)[0]) }
    }

    static let reads: Set<APIRole> = [.viewer, .operator]
    static let routes: [Route] = [
        Route(method: .post, uri: "/v1/terminals", body: #"{"terminal_id": "T2", "host": "10.0.0.2", "port": 9101}"#, admits: [.operator]),
        Route(method: .post, uri: "/v1/accounts", body: """
            {"account_id": "A2", "meter_address": "000000000002", "terminal_id": "T1", "tariff": "flat-test", "region": "north"}
            """, admits: [.operator]),
        Route(method: .get, uri: "/v1/accounts/A1", body: nil, admits: [.viewer, .operator, .payments]),
        Route(method: .get, uri: "/v1/accounts?region=north&state=alarm&limit=5", body: nil, admits: reads),
        Route(method: .get, uri: "/v1/accounts/A1/statement?months=2", body: nil, admits: [.viewer, .operator, .payments]),
        Route(method: .post, uri: "/v1/payments", body: paymentJSON(), admits: [.payments, .operator]),
        Route(method: .post, uri: "/v1/accounts/A1/adjustments", body: #"{"adjustment_no": "ADJ1", "amount_yuan": "-1.00", "reason": "test"}"#,
              admits: [.operator]),
        Route(method: .post, uri: "/v1/accounts/A1/fee-control", body: #"{"action": "release", "reason": "test"}"#,
              admits: [.operator]),
        Route(method: .get, uri: "/v1/commands?account_id=A1", body: nil, admits: reads),
        Route(method: .get, uri: "/v1/price-pushes", body: nil, admits: reads),
        Route(method: .get, uri: "/v1/review", body: nil, admits: reads),
        Route(method: .post, uri: "/v1/review/1/retry", body: #"{"note": "terminal back"}"#, admits: [.operator]),
        Route(method: .post, uri: "/v1/review/1/resolve", body: #"{"note": "done on site"}"#, admits: [.operator]),
        Route(method: .post, uri: "/v1/review/1/cancel", body: #"{"note": "not needed"}"#, admits: [.operator]),
        Route(method: .post, uri: "/v1/review/1/assign", body: #"{"assignee": "bob"}"#, admits: [.operator]),
        Route(method: .get, uri: "/v1/stats?region=north", body: nil, admits: reads),
        Route(method: .get, uri: "/v1/cluster", body: nil, admits: reads),
        Route(method: .get, uri: "/v1/audit/verify", body: nil, admits: reads),
        Route(method: .post, uri: "/v1/backup", body: "{}", admits: [.operator]),
        Route(method: .get, uri: "/v1/audit?account_id=A1&limit=5", body: nil, admits: reads),
        Route(method: .get, uri: "/v1/terminals", body: nil, admits: reads),
        Route(method: .get, uri: "/v1/terminals/T1", body: nil, admits: reads),
        Route(method: .get, uri: "/v1/meters/000000000001/live", body: nil, admits: reads, answers: [504]),
        Route(method: .post, uri: "/v1/meters/000000000001/commands", body: #"{"kind": "alarm", "reason": "test"}"#,
              admits: [.operator]),
        Route(method: .get, uri: "/metrics", body: nil, admits: reads),
    ]

    static let roleTokens: [(APIRole, String)] = [(.viewer, TestToken.viewer), (.payments, TestToken.payments), (.operator, TestToken.operator)]

    @Test(arguments: routes)
    func everyRoleGetsItsAnswer(_ route: Route) async throws {
        let fixture = try await APIFixture.make()
        #expect(try await fixture.openReviewItem() == 1, "the review routes above act on item 1")
        try await fixture.test { client in
            let none = try await client.call(route.method, route.uri, token: nil, body: route.body)
            #expect(none.status == .unauthorized, "\(route) without a token")
            #expect(none.error.contains("Bearer"))
            let wrong = try await client.call(route.method, route.uri, token: TestToken.unknown, body: route.body)
            #expect(wrong.status == .unauthorized, "\(route) with an unknown token")
            for (role, token) in Self.roleTokens {
                let answer = try await client.call(route.method, route.uri, token: token, body: route.body)
                if route.admits.contains(role) {
                    #expect(route.isAnswered(answer.status), "\(route) as \(role): \(answer.status) \(answer.text)")
                } else {
                    #expect(answer.status == .forbidden, "\(route) as \(role): \(answer.status)")
                    #expect(answer.error.contains(role.rawValue))
                }
            }
        }
    }

    @Test func authorisedReadsSucceed() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            for route in Self.routes where route.method == .get {
                for (role, token) in Self.roleTokens where route.admits.contains(role) {
                    let answer = try await client.call(.get, route.uri, token: token)
                    #expect(route.answers.isEmpty ? answer.status == .ok : route.isAnswered(answer.status), "\(route) as \(role): \(answer.text)")
                }
            }
        }
    }

    @Test func healthNeedsNoToken() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let answer = try await client.call(.get, "/healthz", token: nil)
            #expect(answer.status == .ok)
            #expect(answer.json["status"] as? String == "ok")
        }
    }

    @Test func malformedAuthorizationIsUnauthorized() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            for header in ["Basic abc", "Bearer", "Bearer  ", TestToken.operator, "Token \(TestToken.operator)"] {
                let answer = try await client.execute(uri: "/v1/review", method: .get, headers: [.authorization: header]) { $0 }
                #expect(answer.status == .unauthorized, "\(header)")
                #expect(answer.headers[.wwwAuthenticate] == "Bearer")
            }
            let lower = try await client.execute(uri: "/v1/review", method: .get,
                                                 headers: [.authorization: "bearer \(TestToken.viewer)"]) { $0 }
            #expect(lower.status == .ok)
        }
    }

    /// `/metrics` needs a token like every call but `/healthz`; paths that do not exist are 404 with
    /// a JSON error, token or not.
    @Test func metricsNeedsATokenAndUnknownPathsAreNotFound() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { client in
            let anonymous = try await client.call(.get, "/metrics", token: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(try await client.call(.get, "/metrics", token: TestToken.viewer).status == .ok)
            for uri in ["/metrics/extra", "/v2/stats", "/nope"] {
                let answer = try await client.call(.get, uri, token: nil)
                #expect(answer.status == .notFound, "\(uri)")
                #expect(!answer.error.isEmpty)
            }
        }
    }
}
