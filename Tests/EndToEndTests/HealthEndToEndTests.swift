import BuildVersion
import Foundation
import LoopbackTools
import StationHarness
import Testing

/// Issue 14 item 7 against the real binaries: `--version` everywhere, and `/healthz` turning 503
/// while the daemon's store cannot write, then back to 200.
@Suite(.enabled(if: Binaries.available, "meter-sim and chargecontrold are not built (run swift build --build-tests)"))
struct HealthEndToEndTests {
    @Test func everyExecutableReportsTheOneVersion() async throws {
        let folder = try #require(StationBinaries.nextToTests).folder
        for name in ["chargecontrold", "chargectl", "meter-sim", "chargecontrol-bench"] {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                Issue.record("\(name) is not built in \(folder.path)")
                continue
            }
            let run = try await runToEnd(url, ["--version"], within: 60)
            #expect(run.status == 0, "\(name): \(run.stderr)")
            #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == BuildVersion.version, "\(name): \(run.stdout)")
        }
    }

    /// The store is made unwritable for real: the running daemon's file-size limit is lowered to
    /// one byte (`prlimit --pid`), so every write SQLite makes to its WAL fails with EFBIG, as on a
    /// full disk. (chmod cannot do it: the daemon's files are open already, and root ignores
    /// modes; this works for any user, root included.) Raised again, the next write commits.
    @Test func healthzIs503WhileTheStoreCannotWriteAndOKAfter() async throws {
        let prlimit = "/usr/bin/prlimit"
        guard FileManager.default.isExecutableFile(atPath: prlimit) else {
            print("HealthEndToEndTests: skipped the store-failure run: \(prlimit) (util-linux) is not installed")
            return
        }
        var options = StationOptions()
        options.meters = 4
        try await HarnessStation.with("healthz-store", options) { s in
            try await s.provisionTerminals()
            try await s.addAccount("M1", meter: 1, opening: "100.00")
            #expect(try await s.call("GET", "/healthz").status == 200)
            let pid = try #require(s.daemon?.pid)

            func limitFileSize(_ value: String) async throws {
                let run = try await runToEnd(URL(fileURLWithPath: prlimit), ["--pid", "\(pid)", "--fsize=\(value):"], within: 30)
                #expect(run.status == 0, "prlimit \(value): \(run.stderr)")
            }
            try await limitFileSize("1")
            // A payment's commit fails (the collector's readings too, every 2 s).
            let refused = try await s.pay("HEALTH-1", account: "M1", amount: "1.00")
            #expect(refused.status >= 500, "\(refused)")
            let degraded = try await eventuallyAnswer(s) { $0.status == 503 }
            print("[healthz-store] while unwritable: \(degraded.status) \(degraded.text)")
            #expect(degraded.json?["status"]?.string == "degraded", "\(degraded)")
            #expect(degraded.text.contains("\"code\":\"store_unwritable\""), "\(degraded)")
            #expect(s.daemon?.isRunning == true)

            try await limitFileSize("unlimited")
            // Still degraded until a write commits; the collector's next readings (or this payment) do.
            let paid = try await s.pay("HEALTH-2", account: "M1", amount: "1.00")
            #expect(paid.status == 201, "\(paid)")
            let healthy = try await eventuallyAnswer(s) { $0.status == 200 }
            #expect(healthy.text == "{\"status\":\"ok\"}\n", "\(healthy)")
            #expect(try await s.account("M1")["balance_yuan"] != nil)
        }
    }

    /// `/healthz` polled until `done` says so (at most 30 s); the last answer.
    private func eventuallyAnswer(_ s: HarnessStation, _ done: (HTTPAnswer) -> Bool) async throws -> HTTPAnswer {
        let deadline = ContinuousClock.now + .seconds(30)
        var answer = try await s.call("GET", "/healthz")
        while !done(answer), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            answer = try await s.call("GET", "/healthz")
        }
        return answer
    }
}
