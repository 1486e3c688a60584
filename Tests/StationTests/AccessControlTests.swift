import ChargeControl
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Store
import Testing
@testable import Station

/// Access control (issue 6): the role table covers the router, tokens are compared in constant
/// time and never logged, request bodies are size-limited, the tokens file must be private.
@Suite struct AccessControlTests {
    /// The registered routes, as `METHOD /path/{param}`, `/healthz` (public by design) left out.
    static func registeredRoutes(_ fixture: APIFixture) -> Set<String> {
        Set(fixture.router.routes.map { "\($0.method.rawValue) \($0.path.description)" }).subtracting(["GET /healthz"])
    }

    /// Whether a concrete path (`/v1/review/1/retry`) is an instance of a route's template
    /// (`/v1/review/{id}/retry`).
    static func matches(_ path: String, template: String) -> Bool {
        let a = path.split(separator: "/"), b = template.split(separator: "/")
        return a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($1.hasPrefix("{") && $1.hasSuffix("}")) }
    }

    /// A route added to the router without a line in the role table (APIAuthTests.routes) fails
    /// here, so the walk there always covers every route.
    @Test func theRoleTableCoversEveryRegisteredRoute() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let registered = Self.registeredRoutes(fixture)
        #expect(registered.count >= 12)
        var covered = Set<String>()
        for route in APIAuthTests.routes {
            let hits = registered.filter { entry in
                let parts = entry.split(separator: " ", maxSplits: 1)
                return parts[0] == route.method.rawValue && Self.matches(route.path, template: String(parts[1]))
            }
            #expect(hits.count == 1, "\(route) matches \(hits.sorted()) of the registered routes")
            covered.formUnion(hits)
        }
        #expect(registered.subtracting(covered).isEmpty,
                "routes without a role rule in APIAuthTests.routes: \(registered.subtracting(covered).sorted())")
    }

    /// Independent of the table: every route the router has, parameters filled in, refuses a
    /// caller without a token or with an unknown one before doing anything.
    @Test func everyRegisteredRouteRefusesCallersWithoutAValidToken() async throws {
        let fixture = try await APIFixture.make()
        let routes = fixture.router.routes.filter { $0.path.description != "/healthz" }.map { route in
            (route.method, "/" + route.path.description.split(separator: "/").map { $0.hasPrefix("{") ? "1" : String($0) }.joined(separator: "/"))
        }
        #expect(routes.count >= 12)
        let before = try await fixture.store.verifyAudit().rows
        try await fixture.test { client in
            for (method, uri) in routes {
                for token in [nil, TestToken.unknown, TestToken.operator + "x", String(TestToken.operator.dropLast())] {
                    let answer = try await client.call(method, uri, token: token, body: "{}")
                    #expect(answer.status == .unauthorized, "\(method) \(uri) with \(token == nil ? "no token" : "a wrong token")")
                }
            }
        }
        #expect(try await fixture.store.verifyAudit().rows == before, "a refused call wrote to the store")
    }

    /// The compare's semantics: equal only for identical bytes, whatever the lengths; `role(for:)`
    /// finds a token among many and nothing for a prefix, an extension or a one-byte change.
    /// (Constant time is by construction: `constantTimeEquals` visits every byte of the longer
    /// input and folds differences with OR, no early exit; `role(for:)` compares with every token.)
    @Test func tokenComparison() {
        let token = Array(TestToken.operator.utf8)
        #expect(APITokens.constantTimeEquals(token, token))
        for i in token.indices {
            var changed = token
            changed[i] ^= 0x01
            #expect(!APITokens.constantTimeEquals(token, changed), "byte \(i) differs")
        }
        #expect(!APITokens.constantTimeEquals(token, Array(token.dropLast())))
        #expect(!APITokens.constantTimeEquals(token, token + [0]))
        #expect(!APITokens.constantTimeEquals([], token))
        // A length difference that is a multiple of 256 must not cancel out.
        #expect(!APITokens.constantTimeEquals([UInt8](repeating: 0, count: 256), []))

        let tokens = TestToken.tokens
        #expect(tokens.role(for: TestToken.operator) == .operator)
        #expect(tokens.role(for: TestToken.viewer) == .viewer)
        #expect(tokens.role(for: TestToken.payments) == .payments)
        for guess in [TestToken.unknown, "", String(TestToken.viewer.dropLast()), TestToken.viewer + " ", TestToken.viewer.uppercased()] {
            #expect(tokens.role(for: guess) == nil, "\(guess)")
        }
    }

    /// Authenticated calls, refused ones and malformed headers, with the server logging at
    /// trace level over a real socket: no token (nor its start) appears in any log line.
    @Test func tokensAreNeverLogged() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let logs = LogRecorder()
        let app = APIServer.application(router: fixture.router, host: "127.0.0.1", port: 0, logger: logs.logger("api"))
        try await app.test(.live) { client in
            for (role, token) in APIAuthTests.roleTokens {
                for route in APIAuthTests.routes {
                    _ = try await client.call(route.method, route.uri, token: token, body: route.body)
                }
                _ = try await client.call(.get, "/v1/review", token: token + "x")
                _ = try await client.call(.post, "/v1/payments", token: token, body: "{not json \(token)")
                _ = try await client.call(.get, "/v1/nope", token: token)
                _ = try await client.call(.get, "/metrics", token: token)
                #expect(try await client.call(.get, "/v1/accounts/A1", token: token).status == .ok, "\(role)")
            }
            for header in ["Basic \(TestToken.operator)", "Bearer \(TestToken.unknown)", "Token \(TestToken.viewer)"] {
                _ = try await client.execute(uri: "/v1/review", method: .get, headers: [.authorization: header]) { $0 }
            }
        }
        #expect(!logs.all.isEmpty, "the server logged nothing at trace level: is the capture working?")
        for secret in [TestToken.operator, TestToken.viewer, TestToken.payments, TestToken.unknown] {
            let start = String(secret.prefix(12))
            #expect(!logs.all.contains { $0.text.contains(start) }, "a log line shows \(start)…")
        }
    }

    /// Every route that takes a body refuses one over the limit with 413 and stores nothing;
    /// a body just under the limit is read.
    @Test func oversizedBodiesAreRefusedAndNothingIsStored() async throws {
        let fixture = try await APIFixture.make()
        #expect(try await fixture.openReviewItem() == 1)
        let store = fixture.store
        let auditBefore = try await store.verifyAudit().rows
        let posts = APIAuthTests.routes.filter { $0.method == .post }
        #expect(posts.count >= 6)
        /// The route's own valid body with one more key, `padding` bytes long.
        @Sendable func padded(_ body: String, _ padding: Int) -> String {
            String(body.dropLast()) + ", \"pad\": \"" + String(repeating: "x", count: padding) + "\"}"
        }
        try await fixture.test { client in
            for route in posts {
                let body = try #require(route.body)
                let answer = try await client.call(route.method, route.uri, token: TestToken.operator,
                                                   body: padded(body, APIRequestContext.maxBodyBytes))
                #expect(answer.status == .contentTooLarge, "\(route): \(answer.status)")
                #expect(answer.error == "request body larger than \(APIRequestContext.maxBodyBytes) bytes")
            }
            #expect(try await store.terminals().map(\.id) == ["T1"])
            #expect(try await store.allAccounts().map(\.id) == ["A1"])
            #expect(try await store.payment(orderNo: "ORD-1") == nil)
            #expect(try await store.openReviewItems().map(\.id) == [1])
            #expect(try await store.verifyAudit().rows == auditBefore)

            let payment = try #require(posts.first { $0.uri == "/v1/payments" }?.body)
            let fits = padded(payment, APIRequestContext.maxBodyBytes - payment.utf8.count - 20)
            #expect(fits.utf8.count <= APIRequestContext.maxBodyBytes)
            #expect(try await client.call(.post, "/v1/payments", token: TestToken.payments, body: fits).status == .created)
        }
    }

    /// The tokens file holds secrets: readable by group or others, it is refused, naming the
    /// file and its mode; owner-only modes load.
    @Test(arguments: [0o640, 0o604, 0o644, 0o660, 0o606, 0o610, 0o601, 0o777])
    func aTokensFileOthersMayReadIsRefused(_ mode: Int) throws {
        let path = try Self.tokensFile(mode: mode)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try TokensFile.load(path: path)
        } throws: { error in
            "\(error)" == "\(path): tokens file is readable by group or others (mode \(String(format: "%04o", mode))); chmod 600 it"
        }
    }

    @Test(arguments: [0o600, 0o400])
    func anOwnerOnlyTokensFileLoads(_ mode: Int) throws {
        let path = try Self.tokensFile(mode: mode)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try TokensFile.load(path: path).role(for: "viewer-token-0000000000042") == .viewer)
    }

    static func tokensFile(mode: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
        try Data("viewer viewer-token-0000000000042\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }
}

extension APIFixture {
    /// Opens a job-review item on a trip for A1 and returns its id.
    func openReviewItem() async throws -> Int64 {
        let now = clock.now
        let command = try await store.transaction { tx in
            try tx.enqueue(PlannedCommand(kind: .trip, reason: .balanceAtOrBelowTrip, detail: "test", balance: .zero,
                                          notBefore: now, isDeferred: false),
                           account: "A1", meter: "000000000001", deadline: now.addingTimeInterval(3600), at: now)
        }
        return try await store.moveToReview(command, reason: "terminal offline", at: now)
    }
}
