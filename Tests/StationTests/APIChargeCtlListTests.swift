import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import Station

/// `chargectl account list`, `audit list` and `account statement` (table and CSV) as a process
/// against the API on a real socket; what they print is checked against the API's own answers.
@Suite struct APIChargeCtlListTests {
    typealias CLI = APIChargeCtlTests

    @Test(.enabled(if: CLI.binary != nil, "chargectl is not built (run swift build --build-tests)"))
    func listsAndStatements() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try await APIListTests.accounts(fixture)
        let app = APIServer.application(router: fixture.router, host: "127.0.0.1", port: 0, logger: Logger(label: "api-cli-lists"))
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            let expected = try await fixture.store.allAccounts().filter { $0.region == "east" }.map(\.id).sorted()

            // --all follows `next` from page to page: every east account once, in order.
            let all = try await CLI.chargectl(["account", "list", "--region", "east", "--limit", "4", "--all", "--json"],
                                              url: url, token: TestToken.viewer)
            #expect(all.status == 0, "\(all)")
            let joined = try JSONSerialization.jsonObject(with: Data(all.out.utf8)) as? [String: Any]
            let ids = (joined?["items"] as? [[String: Any]])?.compactMap { $0["account_id"] as? String }
            #expect(ids == expected)
            #expect(joined?["next"] is NSNull)

            let table = try await CLI.chargectl(["account", "list", "--region", "east", "--limit", "4"], url: url, token: TestToken.viewer)
            #expect(table.status == 0, "\(table)")
            let lines = table.out.split(separator: "\n")
            #expect(lines.first?.hasPrefix("account_id") == true, "\(table.out)")
            #expect(lines.dropFirst().prefix(4).map { String($0.prefix(3)) } == Array(expected.prefix(4)), "\(table.out)")
            #expect(table.out.contains("(more: --after \(expected[3]), or --all)"), "\(table.out)")

            let refused = try await CLI.chargectl(["account", "list", "--state", "asleep"], url: url, token: TestToken.viewer)
            #expect(refused.status == 1 && refused.err.contains("state must be one of"), "\(refused)")

            let audit = try await CLI.chargectl(["audit", "list", "--account", "C04", "--limit", "2"], url: url, token: TestToken.viewer)
            #expect(audit.status == 0, "\(audit)")
            let newest = try #require(try await fixture.store.auditTrail().last { $0.accountID == "C04" })
            #expect(audit.out.contains(newest.event) && audit.out.contains("\(newest.id)"), "\(audit.out)")

            // The CSV holds the statement's values, one row a month, registers flattened.
            let statement = try await CLI.chargectl(["account", "statement", "A1", "--months", "3", "--csv", "-"],
                                                    url: url, token: TestToken.viewer)
            #expect(statement.status == 0, "\(statement)")
            let csv = statement.out.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let header = try #require(csv.first)
            #expect(header.contains("registers_kwh.flat") && header.contains("closing_balance_yuan"), "\(header)")
            #expect(csv.count == 4, "a header and three months: \(statement.out)")
            let api = try await client.call(.get, "/v1/accounts/A1/statement?months=3", token: TestToken.viewer)
            let months = try #require(api.json["months"] as? [[String: any Sendable]])
            #expect(months.count == 3)
            for (row, month) in zip(csv.dropFirst(), months) {
                let fields = Dictionary(uniqueKeysWithValues: zip(header, row))
                #expect(fields["account_id"] == "A1")
                for key in ["month", "from", "to", "charge_yuan", "payments_yuan", "closing_balance_yuan"] {
                    #expect(fields[key] == month[key] as? String, "\(key)")
                }
                #expect(fields["start_kwh"] == ((month["start_kwh"] as? String) ?? ""))
            }

            let human = try await CLI.chargectl(["account", "statement", "A1"], url: url, token: TestToken.viewer)
            #expect(human.status == 0 && human.out.contains("closing_balance_yuan") && human.out.contains("10.000000"), "\(human)")
            let file = fixture.folder.appendingPathComponent("a1.csv").path
            let written = try await CLI.chargectl(["account", "statement", "A1", "--csv", file], url: url, token: TestToken.viewer)
            #expect(written.status == 0 && written.out.contains("wrote 6 months"), "\(written)")
            #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("account_id,month,"))
        }
    }
}
