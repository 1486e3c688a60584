import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Station

/// Every refusal carries a machine-readable `code` beside the message (issue 14 item 9), and
/// the codes are the ones `deploy/openapi.yaml` lists.
@Suite struct APIErrorCodeTests {
    @Test func refusalsCarryTheirCode() async throws {
        let fixture = try await APIFixture.make()
        try await fixture.test { (client: any TestClientProtocol) async throws in
            func code(_ method: HTTPRequest.Method, _ uri: String, token: String? = TestToken.operator, body: String? = nil,
                      status: HTTPResponse.Status) async throws -> String? {
                let answer = try await client.call(method, uri, token: token, body: body)
                #expect(answer.status == status, "\(method) \(uri): \(answer.text)")
                #expect(!answer.error.isEmpty, "\(answer.text)")
                return answer.json["code"] as? String
            }
            #expect(try await code(.get, "/v1/accounts/NOPE", status: .notFound) == "unknown_account")
            #expect(try await code(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON(account: "NOPE"),
                                   status: .unprocessableContent) == "unknown_account")
            #expect(try await client.call(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON()).status == .created)
            #expect(try await code(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON(amount: "\"51.00\""),
                                   status: .conflict) == "order_conflict")
            #expect(try await code(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON(order: "X", amount: "\"1e9\""),
                                   status: .badRequest) == "invalid_request")
            #expect(try await code(.post, "/v1/payments", token: TestToken.payments, body: paymentJSON(order: "Y", amount: "\"99999999999.00\""),
                                   status: .unprocessableContent) == "out_of_bounds")
            #expect(try await code(.post, "/v1/payments", token: TestToken.payments, body: "{", status: .badRequest) == "invalid_request")
            #expect(try await code(.get, "/v1/stats", token: nil, status: .unauthorized) == "unauthorized")
            #expect(try await code(.post, "/v1/payments", token: TestToken.viewer, body: paymentJSON(order: "Z"),
                                   status: .forbidden) == "forbidden")
            #expect(try await code(.get, "/v1/nothing-here", status: .notFound) == "unknown_route")
            #expect(try await code(.get, "/v1/terminals/T9", status: .notFound) == "unknown_terminal")
            #expect(try await code(.post, "/v1/review/77/assign", body: #"{"assignee": "bob"}"#, status: .notFound) == "unknown_review_item")
            #expect(try await code(.post, "/v1/accounts", body: """
                {"account_id": "A2", "meter_address": "000000000002", "terminal_id": "T1", "tariff": "no-such", "region": "north"}
                """, status: .unprocessableContent) == "unknown_tariff")
            #expect(try await code(.post, "/v1/accounts", body: """
                {"account_id": "A3", "meter_address": "000000000001", "terminal_id": "T1", "tariff": "flat-test", "region": "north"}
                """, status: .conflict) == "meter_taken")
        }
    }

    /// The codes the server can answer with are exactly the ones the document's `ErrorCode` lists.
    @Test func theDocumentListsTheCodes() throws {
        let yaml = try String(contentsOf: OpenAPITests.file, encoding: .utf8)
        let lines = yaml.split(separator: "\n")
        let start = try #require(lines.firstIndex { $0 == "    ErrorCode:" })
        let line = try #require(lines[start...].first { $0.hasPrefix("      enum: [") })
        let listed = Set(line.split(separator: "[").last?.split(separator: "]").first?
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Station/API")
        var used: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: sources.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            // `code: "…"` arguments and the defaults of `APIError.code(of:)`.
            for pattern in [#"code: "([a-z_]+)""#, #"case [0-9.<]+: "([a-z_]+)""#] {
                let regex = try NSRegularExpression(pattern: pattern)
                for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let r = Range(match.range(at: 1), in: text) { used.insert(String(text[r])) }
                }
            }
        }
        #expect(used.count > 20, "\(used)")
        #expect(used.subtracting(listed).isEmpty, "codes the server answers with but the document does not list: \(used.subtracting(listed).sorted())")
        #expect(listed.subtracting(used).isEmpty, "codes the document lists but the server never answers with: \(listed.subtracting(used).sorted())")
    }
}
