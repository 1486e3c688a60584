import Foundation
import LoopbackTools
import Testing

/// The systemd units in deploy/, checked by systemd's own tools.
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

    /// The nightly backup timer and its service (README "Backup and restore"), verified together
    /// with the service's ExecStart pointing at the chargectl just built.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed"))
    func backupTimerAndServiceVerifyClean() async throws {
        let daemon = try #require(DaemonUnderSystemdTests.binary, "chargecontrold is not built")
        let chargectl = daemon.deletingLastPathComponent().appendingPathComponent("chargectl")
        try #require(FileManager.default.isExecutableFile(atPath: chargectl.path), "chargectl is not built next to chargecontrold")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var units: [String] = []
        for name in ["chargecontrol-backup.service", "chargecontrol-backup.timer"] {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent(name), encoding: .utf8)
            let unit = folder.appendingPathComponent(name)
            try text.replacingOccurrences(of: "/usr/bin/chargectl", with: chargectl.path).write(to: unit, atomically: true, encoding: .utf8)
            units.append(unit.path)
        }
        let service = try String(contentsOf: Self.deploy.appendingPathComponent("chargecontrol-backup.service"), encoding: .utf8)
        #expect(service.contains("ExecStart=/usr/bin/chargectl backup"))
        let run = try await Self.systemdAnalyze(["verify"] + units)
        #expect(run.status == 0, "\(run.output)")
        // verify names units it cannot find (chargecontrold.service is not installed here): only
        // those lines are allowed.
        let problems = run.output.split(separator: "\n").filter { !$0.contains("chargecontrold.service") }
        #expect(problems.isEmpty, "\(run.output)")
    }

    /// `systemctl reload` runs the unit's ExecReload= lines in order and stops at the first that
    /// fails: the check of the new files comes before the signal, and fails on a bad key.
    @Test(.enabled(if: DaemonUnderSystemdTests.binary != nil, "chargecontrold is not built (swift build --build-tests)"))
    func reloadChecksTheFilesBeforeSignalling() async throws {
        let text = try String(contentsOf: Self.deploy.appendingPathComponent("chargecontrold.service"), encoding: .utf8)
        let reloads = text.split(separator: "\n").filter { $0.hasPrefix("ExecReload=") }.map { $0.dropFirst("ExecReload=".count) }
        #expect(reloads.count == 2, "\(reloads)")
        #expect(reloads.last == "/bin/kill -HUP $MAINPID")
        let check = try #require(reloads.first).split(separator: " ").map(String.init)
        #expect(check.first == "/usr/bin/chargecontrold" && check.contains("--check-config"), "\(check)")

        // The check as systemd would run it, on a good file and then on one with a bad key.
        let (folder, file, _) = try DaemonUnderSystemdTests.configuration(logTarget: "stderr")
        defer { try? FileManager.default.removeItem(at: folder) }
        let arguments = check.dropFirst().map {
            $0.replacingOccurrences(of: "/etc/chargecontrol/chargecontrold.toml", with: file)
                .replacingOccurrences(of: "${CREDENTIALS_DIRECTORY}/tokens", with: folder.appendingPathComponent("tokens").path)
        }
        let binary = try #require(DaemonUnderSystemdTests.binary)
        let good = try await runToEnd(binary, Array(arguments), within: 60)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(!good.stdout.isEmpty)
        let original = try String(contentsOfFile: file, encoding: .utf8)
        try (original + "\n[control]\nalarm_yuan = \"twenty\"\n").write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try await runToEnd(binary, Array(arguments), within: 60)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("control.alarm_yuan"), "\(bad.stderr)")
    }

    @Test func sysusersAndTmpfilesNameTheServiceAccount() throws {
        let sysusers = try String(contentsOf: Self.deploy.appendingPathComponent("chargecontrol.sysusers"), encoding: .utf8)
        #expect(sysusers.contains("u chargecontrol "))
        let tmpfiles = try String(contentsOf: Self.deploy.appendingPathComponent("chargecontrol.tmpfiles"), encoding: .utf8)
        #expect(tmpfiles.contains("/var/lib/chargecontrol 0750 chargecontrol chargecontrol"))
    }
}
