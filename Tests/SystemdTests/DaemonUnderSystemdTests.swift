import LoopbackTools
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `chargecontrold` as systemd runs it: a notification socket and a watchdog timeout in its
/// environment, its log going to a real journald (when one can be had here).
@Suite("chargecontrold under systemd's protocols", .serialized)
struct DaemonUnderSystemdTests {
    static let binary: URL? = {
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("chargecontrold")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    static let tariffs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/tariffs").standardized.path

    /// A configuration in a fresh folder: SQLite file, tokens (0600), API on a free-ish port.
    /// POSTs JSON to the daemon as the operator; the status code.
    static func post(_ path: String, _ body: String, port: Int) async throws -> Int {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("Bearer systemd-test-operator-token-1", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    static func configuration(logTarget: String) throws -> (folder: URL, file: String, port: Int) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tokens = folder.appendingPathComponent("tokens").path
        try "viewer systemd-test-viewer-token-1\noperator systemd-test-operator-token-1\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        chmod(tokens, 0o600)
        let port = try freeLoopbackPort()
        let file = folder.appendingPathComponent("chargecontrold.toml").path
        try """
            [station]
            database = "station.sqlite"
            tariffs = "\(tariffs)"
            [api]
            listen = "127.0.0.1:\(port)"
            tokens_file = "tokens"
            [log]
            target = "\(logTarget)"
            level = "info"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        return (folder, file, port)
    }

    @Test(.enabled(if: binary != nil, "chargecontrold is not built (swift build --build-tests)"))
    func readyWatchdogStoppingAndJournalEntries() async throws {
        let journal = try JournaldFixture.start()
        defer { journal?.stop() }
        let (folder, file, port) = try Self.configuration(logTarget: journal == nil ? "stderr" : "journald")
        defer { try? FileManager.default.removeItem(at: folder) }
        let socket = try NotifySocket()

        let process = Process()
        process.executableURL = try #require(Self.binary)
        process.arguments = ["--config", file]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = socket.path
        environment["WATCHDOG_USEC"] = "1000000"  // ping every 0.5 s
        environment.removeValue(forKey: "WATCHDOG_PID")
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.interrupt() } }

        // READY=1 comes once the store is open and the API is bound; then status and watchdog pings.
        var seen: [String] = []
        while seen.filter({ $0 == "WATCHDOG=1" }).count < 2, let message = socket.receive() {
            seen.append(message)
        }
        #expect(seen.first == "READY=1", "\(seen)")
        #expect(seen.contains { $0.hasPrefix("STATUS=") }, "\(seen)")
        #expect(seen.filter { $0 == "WATCHDOG=1" }.count >= 2, "\(seen)")

        // An account with 5.00 yuan is below the 20.00 alarm threshold: the daemon decides an
        // alarm at once and says so in the journal with METER= and EVENT=alarm.
        #expect(try await Self.post("/v1/terminals", #"{"terminal_id": "T1", "host": "127.0.0.1", "port": 9}"#, port: port) == 201)
        #expect(try await Self.post("/v1/accounts", """
            {"account_id": "A1", "meter_address": "000000000001", "terminal_id": "T1",
             "tariff": "zhejiang-residential-tou-tiered", "region": "north", "opening_balance_yuan": "5.00"}
            """, port: port) == 201)

        kill(process.processIdentifier, SIGTERM)
        var stopping = false
        while !stopping, let message = socket.receive() { stopping = message == "STOPPING=1" }
        #expect(stopping)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        guard let journal else { return }  // JournaldFixture printed why it skipped
        let entry = try await journal.waitForEntry(matching: "_PID=\(process.processIdentifier)", and: "EVENT=ready")
        #expect(entry["SYSLOG_IDENTIFIER"] == "chargecontrold")
        #expect(entry["PRIORITY"] == "5")
        #expect(entry["MESSAGE"]?.hasPrefix("ready:") == true)
        let alarm = try await journal.waitForEntry(matching: "_PID=\(process.processIdentifier)", and: "EVENT=alarm")
        #expect(alarm["METER"] == "000000000001")
        #expect(alarm["ACCOUNT"] == "A1")
        #expect(alarm["PRIORITY"] == "5")
        #expect(alarm["COMMAND_ID"] != nil)
    }
}

/// SIGHUP (`systemctl reload`): the daemon says RELOADING=1, applies the new file, logs what
/// changed, says READY=1 again; a broken file is refused and the daemon keeps running.
@Suite("chargecontrold reload", .serialized)
struct DaemonReloadTests {
    @Test(.enabled(if: DaemonUnderSystemdTests.binary != nil, "chargecontrold is not built (swift build --build-tests)"))
    func sighupAppliesAGoodFileAndRefusesABadOne() async throws {
        let (folder, file, _) = try DaemonUnderSystemdTests.configuration(logTarget: "stderr")
        defer { try? FileManager.default.removeItem(at: folder) }
        let socket = try NotifySocket()
        let log = folder.appendingPathComponent("daemon.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = try #require(DaemonUnderSystemdTests.binary)
        process.arguments = ["--config", file]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = socket.path
        environment.removeValue(forKey: "WATCHDOG_USEC")
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        defer { if process.isRunning { process.interrupt() } }

        func next(_ wanted: String) -> Bool {
            while let message = socket.receive() {
                if message == wanted { return true }
            }
            return false
        }
        #expect(next("READY=1"))
        let original = try String(contentsOfFile: file, encoding: .utf8)
        try (original + "\n[control]\nalarm_yuan = \"25.00\"\n").write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(next("RELOADING=1"))
        #expect(next("READY=1"))
        try (original + "\n[control]\nalarm_yuan = \"25.001\"\n").write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(next("READY=1"))
        #expect(process.isRunning)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("reload: control.alarm_yuan: 20.00 → 25.00"), "\(text)")
        #expect(text.contains("reload refused; the running configuration stays"), "\(text)")
        #expect(text.contains("control.alarm_yuan"), "\(text)")
    }
}
