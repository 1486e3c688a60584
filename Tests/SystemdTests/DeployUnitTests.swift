import Foundation
import LoopbackTools
import Testing

/// The systemd unit in deploy/, checked by systemd's own tools.
@Suite struct DeployUnitTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy").standardized
    static let analyze = "/usr/bin/systemd-analyze"

    /// Runs `systemd-analyze` and returns its exit status and output (stdout, then stderr),
    /// without holding a thread of the cooperative pool while it runs.
    static func systemdAnalyze(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let run = try await runToEnd(URL(fileURLWithPath: analyze), arguments, within: 120)
        return (run.status, run.stdout + run.stderr)
    }

    /// A copy of the unit whose ExecStart names the daemon just built (verify checks that the
    /// binary exists).
    static func unitWithBuiltBinary() throws -> URL {
        let binary = try #require(DaemonUnderSystemdTests.binary, "chargecontrold is not built")
        let text = try String(contentsOf: deploy.appendingPathComponent("chargecontrold.service"), encoding: .utf8)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let unit = folder.appendingPathComponent("chargecontrold.service")
        try text.replacingOccurrences(of: "/usr/bin/chargecontrold", with: binary.path).write(to: unit, atomically: true, encoding: .utf8)
        return unit
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed"))
    func verifyIsClean() async throws {
        let unit = try Self.unitWithBuiltBinary()
        defer { try? FileManager.default.removeItem(at: unit.deletingLastPathComponent()) }
        let run = try await Self.systemdAnalyze(["verify", unit.path])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.isEmpty, "\(run.output)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed"))
    func exposureIsAtMostTwo() async throws {
        let unit = try Self.unitWithBuiltBinary()
        defer { try? FileManager.default.removeItem(at: unit.deletingLastPathComponent()) }
        let run = try await Self.systemdAnalyze(["security", "--offline=true", unit.path])
        #expect(run.status == 0, "\(run.output)")
        // "→ Overall exposure level for chargecontrold.service: 1.2 OK 🙂"
        let line = try #require(run.output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let figure = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(figure <= 2.0, "\(line)")
    }

    @Test func sysusersAndTmpfilesNameTheServiceAccount() throws {
        let sysusers = try String(contentsOf: Self.deploy.appendingPathComponent("chargecontrol.sysusers"), encoding: .utf8)
        #expect(sysusers.contains("u chargecontrol "))
        let tmpfiles = try String(contentsOf: Self.deploy.appendingPathComponent("chargecontrol.tmpfiles"), encoding: .utf8)
        #expect(tmpfiles.contains("/var/lib/chargecontrol 0750 chargecontrol chargecontrol"))
    }
}
