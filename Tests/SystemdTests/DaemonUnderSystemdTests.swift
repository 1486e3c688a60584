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
/// environment; in a second run its log goes to a real journald (where one can be had).
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

    /// What one run of the daemon showed.
    struct Run {
        let pid: Int32
        /// The notifications up to the second watchdog ping.
        let started: [String]
        let stopping: Bool
        let exited: Bool
        let status: Int32
    }

    /// Runs the daemon as systemd would, logging to `logTarget`: waits for READY=1, STATUS and two
    /// watchdog pings; adds a terminal and an account with 5.00 yuan, below the 20.00 alarm
    /// threshold, so the daemon decides an alarm at once; then SIGTERM, STOPPING=1 and the exit.
    static func run(logTarget: String) async throws -> Run {
        let (folder, file, port) = try configuration(logTarget: logTarget)
        defer { try? FileManager.default.removeItem(at: folder) }
        let socket = try NotifySocket()

        let process = Process()
        process.executableURL = try #require(binary)
        process.arguments = ["--config", file]
        process.environment = childEnvironment(adding: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "1000000"])  // ping every 0.5 s
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.interrupt() } }

        var started: [String] = []
        while started.filter({ $0 == "WATCHDOG=1" }).count < 2, let message = await socket.receive() {
            started.append(message)
        }
        // Read on while posting, as systemd does. The socket holds ten datagrams: unread through
        // slow posts, it filled with pings, the daemon's sends waited, and it exited with
        // STOPPING=1 still queued behind them.
        async let stopping = socket.waitFor("STOPPING=1")
        #expect(try await post("/v1/terminals", #"{"terminal_id": "T1", "host": "127.0.0.1", "port": 9}"#, port: port) == 201)
        #expect(try await post("/v1/accounts", """
            {"account_id": "A1", "meter_address": "000000000001", "terminal_id": "T1",
             "tariff": "zhejiang-residential-tou-tiered", "region": "north", "opening_balance_yuan": "5.00"}
            """, port: port) == 201)

        kill(process.processIdentifier, SIGTERM)
        let exited = await waitForExit(of: process, within: 30)
        return Run(pid: process.processIdentifier, started: started, stopping: await stopping, exited: exited,
                   status: exited ? process.terminationStatus : -1)
    }

    @Test(.enabled(if: binary != nil, "chargecontrold is not built (swift build --build-tests)"))
    func readyWatchdogAndStopping() async throws {
        let run = try await Self.run(logTarget: "stderr")
        // The fresh database's migrations extend the start timeout first, saying why.
        let migrating = run.started.first ?? ""
        #expect(migrating.hasPrefix("EXTEND_TIMEOUT_USEC=90000000\nSTATUS=migrating schema to v"), "\(run.started)")
        // READY=1 comes once the store is open and the API is bound; then status and watchdog pings.
        #expect(run.started.drop { $0.hasPrefix("EXTEND_TIMEOUT_USEC=") }.first == "READY=1", "\(run.started)")
        #expect(run.started.contains { $0.hasPrefix("STATUS=") }, "\(run.started)")
        #expect(run.started.filter { $0 == "WATCHDOG=1" }.count >= 2, "\(run.started)")
        #expect(run.stopping)
        #expect(run.exited && run.status == 0)
    }

    /// The same run logging to journald: its entries carry the event and the account's fields.
    @Test(.enabled(if: binary != nil, "chargecontrold is not built (swift build --build-tests)"), .journald)
    func journalEntries() async throws {
        let journal = try await JournaldFixture.start()
        let run = try await Self.run(logTarget: "journald")
        #expect(run.started.drop { $0.hasPrefix("EXTEND_TIMEOUT_USEC=") }.first == "READY=1", "\(run.started)")
        #expect(run.exited && run.status == 0)

        let entry = try await journal.waitForEntry(matching: "_PID=\(run.pid)", and: "EVENT=ready")
        #expect(entry["SYSLOG_IDENTIFIER"] == "chargecontrold")
        #expect(entry["PRIORITY"] == "5")
        #expect(entry["MESSAGE"]?.hasPrefix("ready:") == true)
        let alarm = try await journal.waitForEntry(matching: "_PID=\(run.pid)", and: "EVENT=alarm")
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
        process.environment = childEnvironment(adding: ["NOTIFY_SOCKET": socket.path])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        defer { if process.isRunning { process.interrupt() } }

        #expect(await socket.waitFor("READY=1"))
        let original = try String(contentsOfFile: file, encoding: .utf8)
        try (original + "\n[control]\nalarm_yuan = \"25.00\"\n").write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        // RELOADING=1 carries the monotonic clock, as Type=notify-reload wants it.
        var reloading: String?
        while let message = await socket.receive() {
            if message.hasPrefix("RELOADING=1") {
                reloading = message
                break
            }
        }
        #expect(reloading?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true, "\(reloading ?? "nothing")")
        #expect(await socket.waitFor("READY=1"))
        try (original + "\n[control]\nalarm_yuan = \"25.001\"\n").write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(await socket.waitFor("READY=1"))
        #expect(process.isRunning)

        kill(process.processIdentifier, SIGTERM)
        #expect(await waitForExit(of: process, within: 30))
        #expect(process.terminationStatus == 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("reload: control.alarm_yuan: 20.00 → 25.00"), "\(text)")
        #expect(text.contains("reload refused; the running configuration stays"), "\(text)")
        #expect(text.contains("control.alarm_yuan"), "\(text)")
    }
}
