import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import LoopbackTools
import Testing
@testable import Station

/// `chargectl` as a process against the API on a real socket: import, pay, refusals, exit codes.
@Suite struct APIChargeCtlTests {
    struct Run: Sendable {
        let status: Int32
        let out: String
        let err: String
    }

    /// The chargectl built beside the tests (`swift build --build-tests` builds every product).
    static var binary: URL? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidate = root.appendingPathComponent(".build/debug/chargectl")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }

    static func chargectl(_ arguments: [String], url: String, token: String?) async throws -> Run {
        guard let executable = binary else { throw CocoaError(.fileNoSuchFile) }
        var environment = ["CHARGECTL_URL": url, "PATH": "/usr/bin:/bin"]
        environment["CHARGECTL_TOKEN"] = token
        // Its output read while it runs: read after the exit, as before, a full pipe would hang it.
        let run = try await runToEnd(executable, arguments, environment: environment, within: 60)
        return Run(status: run.status, out: run.stdout, err: run.stderr)
    }

    @Test(.enabled(if: binary != nil, "chargectl is not built (run swift build --build-tests)"))
    func importPayAndExitCodes() async throws {
        let fixture = try await APIFixture.make()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let terminals = fixture.folder.appendingPathComponent("terminals.csv")
        let accounts = fixture.folder.appendingPathComponent("accounts.csv")
        try "terminal_id,host,port\nT2,10.0.0.2,9101\nT3,10.0.0.3,9102\n".write(to: terminals, atomically: true, encoding: .utf8)
        try """
            account_id,meter_address,terminal_id,tariff,region,opening_balance_yuan,protected
            B1,000000000011,T2,flat-test,east,100.00,no
            B2,12345,T2,flat-test,east,,
            B3,000000000013,T3,flat-test,east,50,yes
            B4,000000000014,T9,flat-test,east,,

            """.write(to: accounts, atomically: true, encoding: .utf8)
        try await fixture.serving { url in
            let imported = try await Self.chargectl(["import", "--terminals", terminals.path, "--accounts", accounts.path],
                                                    url: url, token: TestToken.operator)
            #expect(imported.status == 1, "\(imported)")
            #expect(imported.out.contains("imported 2 terminals, 2 accounts; 2 line(s) failed"), "\(imported.out)")
            #expect(imported.err.contains("\(accounts.path):3: meter_address must be 12 decimal digits"), "\(imported.err)")
            #expect(imported.err.contains("\(accounts.path):5: unknown terminal \"T9\""), "\(imported.err)")

            let paid = try await Self.chargectl(["pay", "--order-no", "CLI-1", "--account", "B1", "--amount", "20", "--channel", "counter"],
                                                url: url, token: TestToken.payments)
            #expect(paid.status == 0, "\(paid)")
            #expect(paid.out.contains("payment CLI-1 recorded: 20.00 yuan to account B1, balance 120.00 yuan"), "\(paid.out)")
            let json = try await Self.chargectl(["account", "show", "B1", "--json"], url: url, token: TestToken.viewer)
            #expect(json.status == 0)
            #expect(json.out.contains("\"balance_yuan\":\"120.00\""), "\(json.out)")
            let shown = try await Self.chargectl(["account", "show", "B3"], url: url, token: TestToken.viewer)
            #expect(shown.out.contains("state:"), "\(shown.out)")
            #expect(shown.out.contains("protected"), "\(shown.out)")

            let refused = try await Self.chargectl(["pay", "--order-no", "CLI-2", "--account", "B1", "--amount", "1.234", "--channel", "counter"],
                                                   url: url, token: TestToken.operator)
            #expect(refused.status == 1)
            #expect(refused.err.contains("amount_yuan"), "\(refused.err)")
            let forbidden = try await Self.chargectl(["review", "list"], url: url, token: TestToken.payments)
            #expect(forbidden.status == 1)
            #expect(forbidden.err.contains("403"))
            let stats = try await Self.chargectl(["stats", "--region", "east"], url: url, token: TestToken.viewer)
            #expect(stats.status == 0)
            #expect(stats.out.contains("accounts:"), "\(stats.out)")
            let audit = try await Self.chargectl(["audit", "verify"], url: url, token: TestToken.viewer)
            #expect(audit.status == 0, "\(audit)")
            #expect(audit.out.contains("chain:              intact"), "\(audit.out)")
            #expect(audit.out.contains("balance mismatches: 0"), "\(audit.out)")
            let auditJSON = try await Self.chargectl(["audit", "verify", "--json"], url: url, token: TestToken.viewer)
            #expect(auditJSON.status == 0, "\(auditJSON)")
            #expect(auditJSON.out.contains("\"intact\":true"), "\(auditJSON.out)")
            let status = try await Self.chargectl(["status"], url: url, token: TestToken.viewer)
            #expect(status.status == 0)
            #expect(status.out.contains("chargecontrold is up"), "\(status.out)")
        }
        let usage = try await Self.chargectl(["pay", "--order-no", "X"], url: "http://127.0.0.1:1", token: nil)
        #expect(usage.status == 2, "\(usage)")
        let unreachable = try await Self.chargectl(["stats"], url: "http://127.0.0.1:1", token: TestToken.viewer)
        #expect(unreachable.status == 3, "\(unreachable)")
        #expect(unreachable.err.contains("cannot reach the daemon"))
    }
}
