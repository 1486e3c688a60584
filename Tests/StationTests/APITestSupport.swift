import ChargeControl
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Store
import Tariffs
import Testing
@testable import Station

/// Tokens of the three roles used by the API tests.
enum TestToken {
    static let `operator` = "operator-token-0000000001"
    static let viewer = "viewer-token-00000000001"
    static let payments = "payments-token-000000001"
    static let unknown = "nobody-token-00000000001"

    static var tokens: APITokens {
        APITokens([(.operator, TestToken.operator), (.viewer, TestToken.viewer), (.payments, TestToken.payments)])
    }
}

/// Named tokens (`ROLE NAME TOKEN` lines): operator alice, payments billing, viewer dash.
enum NamedToken {
    static let alice = "alice-operator-token-000001"
    static let billing = "billing-payments-token-0001"
    static let dash = "dash-viewer-token-00000001"

    static var tokens: APITokens {
        APITokens([(APICaller(role: .operator, name: "alice"), alice), (APICaller(role: .payments, name: "billing"), billing),
                   (APICaller(role: .viewer, name: "dash"), dash)])
    }
}

/// A station on a real SQLite file in a fresh temporary folder, with terminal T1 and account A1
/// (meter 000000000001, region north) holding 10.00 yuan, at a manual clock.
struct APIFixture: Sendable {
    let folder: URL
    let store: StationStore
    let core: StationCore
    let clock: ManualStationClock
    let settings: APIServerSettings

    static func make(online: [String: Bool] = ["T1": true], logs: LogRecorder? = nil) async throws -> APIFixture {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chargecontrol-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try StationStore.open(path: folder.appendingPathComponent("station.sqlite").path)
        let clock = ManualStationClock(instant("2026-11-23T10:00:00+08:00"))
        let core = StationCore(store: store, evaluator: Evaluator(rules: try rules()), clock: clock,
                               logger: logs?.logger("api-test") ?? Logger(label: "api-test"))
        try await core.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100))
        _ = try await core.upsertAccount(AccountProvisioning(accountID: "A1", meterAddress: "000000000001", terminalID: "T1",
                                                             tariff: "flat-test", region: "north", openingBalance: yuan("10.00")))
        let settings = APIServerSettings(timeZone: shanghai, dispatchDeadline: .seconds(3600), terminalsOnline: { online },
                                         backups: StationBackups(core: core, folder: folder.appendingPathComponent("backups").path,
                                                                 database: folder.appendingPathComponent("station.sqlite").path))
        return APIFixture(folder: folder, store: store, core: core, clock: clock, settings: settings)
    }

    var router: Router<APIRequestContext> { APIServer.buildRouter(core: core, tokens: TestToken.tokens, settings: settings) }

    var app: some ApplicationProtocol { Application(router: router) }

    /// Serves the API on a real socket of 127.0.0.1 (with `tokens` when given) and runs `body`
    /// with its URL: for tests that drive the `chargectl` process.
    func serving(tokens: APITokens? = nil, _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let router = tokens.map { APIServer.buildRouter(core: core, tokens: $0, settings: settings) } ?? self.router
        let app = APIServer.application(router: router, host: "127.0.0.1", port: 0, logger: Logger(label: "api-cli"))
        try await app.test(.live) { client in try await body("http://127.0.0.1:\(try #require(client.port))") }
    }

    /// Runs `body` against the router (no socket), with `tokens` when given.
    func test(tokens: APITokens? = nil, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        // Reads after the test (audit, ledger) open connections of their own: the file stays.
        // The folder is in the temp directory; the OS cleans it.
        let router = tokens.map { APIServer.buildRouter(core: core, tokens: $0, settings: settings) } ?? self.router
        try await Application(router: router).test(.router) { client in try await body(client) }
    }
}

/// One answer, with its body as text and as a JSON value.
struct APIAnswer: Sendable {
    let status: HTTPResponse.Status
    let text: String

    var json: [String: any Sendable] {
        ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: any Sendable]) ?? [:]
    }

    var list: [[String: any Sendable]] {
        ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: any Sendable]]) ?? []
    }

    var error: String { json["error"] as? String ?? "" }
}

extension TestClientProtocol {
    /// Sends `body` (raw JSON text) with `token` as the bearer.
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = TestToken.operator, body: String? = nil) async throws -> APIAnswer {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            APIAnswer(status: response.status, text: String(buffer: response.body))
        }
    }
}

/// A payment body for A1.
func paymentJSON(order: String = "ORD-1", account: String = "A1", amount: String = "\"50.00\"", channel: String = "counter",
                 paidAt: String = "2026-11-23T09:59:00+08:00") -> String {
    """
    {"order_no": "\(order)", "account_id": "\(account)", "amount_yuan": \(amount), "channel": "\(channel)", "paid_at": "\(paidAt)"}
    """
}
