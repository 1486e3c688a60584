import Foundation
import Hummingbird
import HummingbirdTesting
import LoopbackTools
import Store
import Synchronization
import Testing
@testable import Station

/// Real responses against `deploy/openapi.yaml`'s schemas, not only its paths (issue 14 item 9):
/// a walk through every route — successes and refusals — records each answer, and
/// `Tests/OpenAPI/validate_responses.py` checks them with a JSON Schema 2020-12 validator
/// (python3-jsonschema), objects held to the properties they list.
@Suite struct OpenAPIResponseTests {
    static let validator = OpenAPITests.file.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/OpenAPI/validate_responses.py")

    /// Why the check cannot run here, or nil when python3 with PyYAML and jsonschema is present
    /// (`make test` installs python3-yaml and python3-jsonschema when it runs as root).
    static let missing: String? = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import yaml, jsonschema"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return "no /usr/bin/python3 (\(error))" }
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : "python3 lacks yaml or jsonschema (apt-get install python3-yaml python3-jsonschema)"
    }()

    @Test(.enabled(if: missing == nil, "\(missing ?? "")"))
    func everyAnswerMatchesItsSchema() async throws {
        let fixture = try await APIFixture.make()
        let item = try await fixture.openReviewItem()
        let router = APIServer.buildRouter(core: fixture.core, tokens: NamedToken.tokens, settings: fixture.settings)
        let samples = Mutex<[Data]>([])
        try await Application(router: router).test(.router) { client in
            func record(_ method: HTTPRequest.Method, _ uri: String, token: String? = NamedToken.alice, body: String? = nil) async throws {
                let answer = try await client.call(method, uri, token: token, body: body)
                let json = try? JSONSerialization.jsonObject(with: Data(answer.text.utf8), options: [.fragmentsAllowed])
                let sample: [String: Any] = ["method": method.rawValue.lowercased(), "path": uri, "status": Int(answer.status.code),
                                             "body": json ?? NSNull()]
                let data = try JSONSerialization.data(withJSONObject: sample, options: [.sortedKeys, .fragmentsAllowed])
                samples.withLock { $0.append(data) }
            }
            try await record(.get, "/healthz", token: nil)
            try await record(.post, "/v1/terminals", body: #"{"terminal_id": "T2", "host": "127.0.0.1", "port": 9200}"#)
            try await record(.get, "/v1/terminals")
            try await record(.get, "/v1/terminals/T1")
            try await record(.get, "/v1/terminals/T9")
            try await record(.post, "/v1/accounts", body: """
                {"account_id": "A2", "meter_address": "000000000002", "terminal_id": "T2", "tariff": "flat-test", "region": "south", "opening_balance_yuan": "5.00"}
                """)
            try await record(.post, "/v1/accounts", body: #"{"account_id": "A3"}"#)
            try await record(.get, "/v1/accounts/A1")
            try await record(.get, "/v1/accounts?region=north&limit=1")
            try await record(.get, "/v1/accounts?state=bogus")
            try await record(.get, "/v1/accounts/A1/statement?months=2")
            try await record(.get, "/v1/commands?account_id=A1&limit=1")
            try await record(.get, "/v1/review?limit=5")
            try await record(.post, "/v1/backup")
            try await record(.get, "/v1/accounts/NOPE")
            try await record(.post, "/v1/payments", token: NamedToken.billing, body: paymentJSON())
            try await record(.post, "/v1/payments", token: NamedToken.billing, body: paymentJSON())
            try await record(.post, "/v1/payments", token: NamedToken.billing, body: paymentJSON(amount: "\"49.00\""))
            try await record(.post, "/v1/payments", token: NamedToken.billing, body: paymentJSON(order: "O2", amount: "\"99999999999.00\""))
            try await record(.post, "/v1/payments", token: NamedToken.billing, body: "{")
            try await record(.post, "/v1/payments", token: NamedToken.dash, body: paymentJSON(order: "O3"))
            try await record(.post, "/v1/accounts/A2/adjustments", body: #"{"adjustment_no": "J1", "amount_yuan": "-20.00", "reason": "correction"}"#)
            try await record(.post, "/v1/accounts/A2/fee-control", body: #"{"action": "release", "reason": "pilot ends"}"#)
            try await record(.get, "/v1/price-pushes")
            try await record(.get, "/v1/commands?account_id=A2")
            try await record(.get, "/v1/commands")
            try await record(.post, "/v1/meters/000000000001/commands", body: #"{"kind": "alarm", "reason": "test"}"#)
            try await record(.post, "/v1/meters/000000000009/commands", body: #"{"kind": "alarm", "reason": "test"}"#)
            try await record(.get, "/v1/meters/000000000001/live")
            try await record(.get, "/v1/review")
            try await record(.post, "/v1/review/\(item)/assign", body: #"{"assignee": "bob"}"#)
            try await record(.post, "/v1/review/\(item)/cancel", body: #"{"note": "not needed"}"#)
            try await record(.post, "/v1/review/\(item)/retry", body: #"{"note": "again"}"#)
            try await record(.get, "/v1/stats")
            try await record(.get, "/v1/stats?region=south")
            try await record(.get, "/v1/audit?limit=3")
            try await record(.get, "/v1/audit/verify")
            try await record(.get, "/v1/stats", token: nil)
            try await record(.get, "/v1/nothing")
        }
        let folder = fixture.folder
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("samples.json")
        let recorded = samples.withLock { $0 }
        try (Data("[".utf8) + Data(recorded.joined(separator: Data(",".utf8))) + Data("]".utf8)).write(to: file)
        let run = try await runToEnd(URL(fileURLWithPath: "/usr/bin/python3"),
                                     [Self.validator.path, OpenAPITests.file.path, file.path], within: 120)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("\(recorded.count) responses"), "\(run.stdout)")
    }
}
