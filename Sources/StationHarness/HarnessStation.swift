import Glibc
import LoopbackTools
import Foundation
import StationConfig
import Store
import StorePostgres

/// One station's world: a temporary folder with the config, tokens, tariffs and SQLite file; a
/// `meter-sim` and a `chargecontrold` process on 127.0.0.1; an HTTP client with the tokens.
/// Shared by the process tests, the crash rounds, the fault soak and the bench.
public final class HarnessStation: @unchecked Sendable {
    public let name: String
    /// The daemon reads changes at its next start (the config is written then).
    public var options: StationOptions
    public let folder: URL
    public let http: HTTPClient
    public let operatorToken = "op-" + UUID().uuidString
    public let paymentsToken = "pay-" + UUID().uuidString
    public let viewerToken = "view-" + UUID().uuidString
    /// An operator token with a name (`ROLE NAME TOKEN`): its actions carry `alice` as the actor.
    public let aliceToken = "alice-" + UUID().uuidString
    public let tariff = "zhejiang-residential-tou-tiered"

    public private(set) var sim: ManagedProcess?
    public private(set) var daemon: ManagedProcess?
    public private(set) var terminalPorts: [Int] = []
    public private(set) var adminPort = 0
    public private(set) var apiPort = 0

    public var configURL: URL { folder.appendingPathComponent("chargecontrold.toml") }
    public var databasePath: String { folder.appendingPathComponent("station.sqlite").path }
    /// Where the station's database is: `databasePath`, or the PostgreSQL database of `options.database`.
    public var databaseLocation: String { options.database ?? databasePath }
    public var daemonLog: URL { folder.appendingPathComponent("chargecontrold.log") }
    public var simLog: URL { folder.appendingPathComponent("meter-sim.log") }
    public var api: String { "http://127.0.0.1:\(apiPort)" }
    public var admin: String { "http://127.0.0.1:\(adminPort)" }

    /// Makes the folder (config, tokens mode 0600, tariffs); starts nothing.
    public init(name: String, options: StationOptions, http: HTTPClient = HTTPClient()) throws {
        self.name = name
        self.options = options
        self.http = http
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(options.folderPrefix)-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: options.tariffs, to: folder.appendingPathComponent("tariffs"))
        let tokens = "# harness\noperator \(operatorToken)\npayments \(paymentsToken)\nviewer \(viewerToken)\noperator alice \(aliceToken)\n"
        guard FileManager.default.createFile(atPath: folder.appendingPathComponent("tokens").path, contents: Data(tokens.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw HarnessFailure("cannot write the tokens file in \(folder.path)")
        }
    }

    /// Runs `body` with a started simulator and daemon; stops both afterwards, also when `body`
    /// throws. The folder is removed after a pass (unless `E2E_KEEP` is set) and kept (its path
    /// printed, with the logs' last lines) after a failure, or when `keep` says so of the result
    /// (a report with problems).
    public static func with<T>(_ name: String, _ options: StationOptions = StationOptions(),
                               keep: (T) -> Bool = { _ in false },
                               _ body: (HarnessStation) async throws -> T) async throws -> T {
        let station = try HarnessStation(name: name, options: options)
        let result: T
        do {
            try await station.startSim()
            try await station.startDaemon()
            result = try await body(station)
        } catch {
            print("[\(name)] FAILED: \(error)\n\(station.diagnostics())\n[\(name)] files kept in \(station.folder.path)")
            await station.shutdown()
            throw error
        }
        await station.shutdown()
        if keep(result) {
            print("[\(name)] problems found\n\(station.diagnostics())\n[\(name)] files kept in \(station.folder.path)")
        } else if ProcessInfo.processInfo.environment["E2E_KEEP"] == nil {
            station.removeFolder()
        } else {
            print("[\(name)] files kept in \(station.folder.path)")
        }
        return result
    }

    /// Stops the daemon, then the simulator.
    public func shutdown() async {
        await daemon?.stop()
        await sim?.stop()
    }

    public func removeFolder() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The last lines of both logs.
    public func diagnostics(lines: Int = 40) -> String {
        """
        --- chargecontrold (\(daemon?.exitDescription ?? "not started")), last \(lines) lines of \(daemonLog.path):
        \(tail(of: daemonLog, lines: lines))
        --- meter-sim (\(sim?.exitDescription ?? "not started")), last 10 lines:
        \(tail(of: simLog, lines: 10))
        """
    }

    private func binary(_ name: String) throws -> URL {
        guard let binaries = options.binaries else {
            throw HarnessFailure("\(name) is not built next to the tests: run `swift build --build-tests`")
        }
        return try binaries.url(name)
    }

    // MARK: Processes

    /// Starts `meter-sim` (stopping one this station started before) and learns its ports from
    /// the ready line. `meters`/`terminals` override the options for this simulator only.
    public func startSim(meters: Int? = nil, terminals: Int? = nil) async throws {
        await sim?.stop()
        let o = options
        let terminals = terminals ?? o.terminals
        var arguments = ["--listen", "127.0.0.1:0", "--terminals", "\(terminals)", "--meters", "\(meters ?? o.meters)",
                         "--first-address", Self.address(1), "--admin", "127.0.0.1:0", "--seed", "\(o.simSeed)",
                         "--load-kw", o.loadKW, "--time-scale", o.timeScale, "--initial-kwh", o.initialKWh]
        if let password = o.simPassword { arguments += ["--password", password] }
        if o.recordControls { arguments.append("--record-controls") }
        arguments += o.simExtra
        let process = try ManagedProcess(name: "meter-sim", executable: try binary("meter-sim"), arguments: arguments,
                                         logURL: simLog, pipeStdout: true)
        sim = process
        guard let line = await process.firstLine(within: o.simReadySeconds) else {
            throw HarnessFailure("meter-sim printed no ready line (\(process.exitDescription))")
        }
        // "meter-sim: 2 terminals on 127.0.0.1:P-Q, 10 meters A-B, admin on 127.0.0.1:N"
        let parts = line.components(separatedBy: ", ")
        guard parts.count == 3, let ports = parts[0].split(separator: ":").last,
              let first = ports.split(separator: "-").first.flatMap({ Int($0) }),
              let adminText = parts[2].split(separator: ":").last, let admin = Int(adminText) else {
            throw HarnessFailure("cannot parse the meter-sim ready line: \(line)")
        }
        terminalPorts = (0..<terminals).map { first + $0 }
        adminPort = admin
    }

    /// Writes the config and starts the daemon, waiting until its API answers our token. A port
    /// taken in between gets a fresh one.
    public func startDaemon() async throws {
        for attempt in 1...3 {
            try writeConfig(freshPort: attempt > 1)
            let process = try launchDaemon()
            if try await waitUntilUp(process) { return }
            let log = tail(of: daemonLog, lines: 20)
            guard log.contains("in use") || log.contains("EADDRINUSE") else {
                throw HarnessFailure("chargecontrold stopped during start-up (\(process.exitDescription))")
            }
        }
        throw HarnessFailure("chargecontrold could not bind an API port")
    }

    /// SIGKILL the daemon (nothing flushed, nothing said goodbye).
    public func killDaemon() async {
        await daemon?.kill9()
    }

    /// Starts the daemon again on the same database and port.
    public func restartDaemon() async throws {
        await daemon?.stop()
        try await startDaemon()
    }

    /// True once our daemon answers; false when it exited first.
    private func waitUntilUp(_ process: ManagedProcess) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(options.daemonReadySeconds)
        while ContinuousClock.now < deadline {
            if !process.isRunning { return false }
            if let health = try? await http.send("GET", "\(api)/healthz"), health.status == 200,
               let mine = try? await http.send("GET", "\(api)/v1/stats", token: viewerToken), mine.status == 200 {
                return true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessFailure("chargecontrold did not answer /healthz within \(options.daemonReadySeconds) s")
    }

    /// Starts the daemon on the config last written, without waiting for it (`environment`:
    /// added to ours, e.g. `NOTIFY_SOCKET`).
    @discardableResult
    public func launchDaemon(environment: [String: String] = [:]) throws -> ManagedProcess {
        var executable = try binary("chargecontrold")
        var arguments = ["--config", configURL.path]
        if let limit = options.descriptorLimit {
            // prlimit sets the limit and execs the daemon: the process id stays the daemon's.
            let prlimit = "/usr/bin/prlimit"
            guard FileManager.default.isExecutableFile(atPath: prlimit) else {
                throw HarnessFailure("a descriptor limit needs prlimit (util-linux) at \(prlimit)")
            }
            arguments = ["--nofile=\(limit):\(limit)", "--", executable.path] + arguments
            executable = URL(fileURLWithPath: prlimit)
        }
        let process = try ManagedProcess(name: "chargecontrold", executable: executable,
                                         arguments: arguments, logURL: daemonLog, pipeStdout: false,
                                         environment: environment)
        daemon = process
        return process
    }

    /// Writes the daemon's config from the current options, on the API port chosen before (a
    /// free one the first time, or when `freshPort`).
    public func writeConfig(freshPort: Bool = false) throws {
        if apiPort == 0 || freshPort { apiPort = try freeLoopbackPort() }
        let o = options
        let text = """
            # generated by StationHarness (\(name))
            [station]
            database = "\(o.database ?? "station.sqlite")"
            timezone = "Asia/Shanghai"
            tariffs = "tariffs"

            [api]
            listen = "127.0.0.1:\(apiPort)"
            tokens_file = "tokens"
            \(apiLimitLines)

            [collection]
            interval = "\(o.collectionInterval)"
            timeout = "\(o.requestTimeout)"
            jitter = "0s"
            staleness = "\(o.staleness)"
            clock_check = "\(o.clockCheck)"

            [control]
            alarm_yuan = "20.00"
            trip_yuan = "0.00"
            reconnect_margin_yuan = "5.00"
            trip_windows = ["Mon-Sun 00:00-24:00"]
            holidays = []

            [dispatch]
            max_attempts = \(o.maxAttempts)
            backoff_initial = "\(o.backoffInitial)"
            backoff_max = "\(o.backoffMax)"
            deadline = "\(o.deadline)"

            [meters]
            password = "\(StationOptions.daemonPassword)"
            operator = "00000001"

            [log]
            target = "stderr"
            level = "\(o.logLevel)"

            [validation]
            # The meters consume 3600 times faster than real time: an interval holds far more
            # energy than a real meter could register, so raise the rated-power limit (demo.toml).
            rated_power_kw = "10000000"
            clock_skew = "5m"
            register_sum_tolerance_kwh = "\(o.registerSumTolerance)"

            \(o.extraConfig)
            """
        try text.write(to: configURL, atomically: true, encoding: .utf8)
    }

    /// The `[api]` limit keys the options set, one a line.
    private var apiLimitLines: String {
        let o = options
        return [o.apiMaxConnections.map { "max_connections = \($0)" }, o.apiIdleTimeout.map { "idle_timeout = \"\($0)\"" },
                o.apiBodyTimeout.map { "body_timeout = \"\($0)\"" }].compactMap { $0 }.joined(separator: "\n")
    }

    // MARK: Waiting

    /// Polls `probe` every 100 ms until it returns a value, for at most `seconds`; on timeout
    /// throws with what was awaited and the last error seen.
    @discardableResult
    public func eventually<T: Sendable>(_ what: String, within seconds: Double = 30,
                                        _ probe: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var lastError: (any Error)?
        while true {
            do {
                if let value = try await probe() { return value }
            } catch {
                lastError = error
            }
            for process in [daemon, sim].compactMap({ $0 }) where process.endedOnItsOwn {
                throw HarnessFailure("[\(name)] \(process.name) ended (\(process.exitDescription)) while waiting for \(what)")
            }
            if ContinuousClock.now >= deadline {
                throw HarnessFailure("[\(name)] timed out after \(seconds) s waiting for \(what)"
                    + (lastError.map { "; last error: \($0)" } ?? ""))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// SIGHUP to the daemon: it reloads its configuration and tariffs folder.
    public func reloadDaemon() throws {
        guard let daemon, daemon.isRunning else { throw HarnessFailure("[\(name)] no daemon to reload") }
        Glibc.kill(daemon.pid, SIGHUP)
    }

    /// Opens the station's SQLite file from the harness (a second connection: WAL allows it).
    public func openStore() throws -> StationStore {
        try StationStore.open(path: databasePath)
    }

    /// The station's database as the harness checks it: the SQLite file (`openStore`), or a
    /// PostgreSQL station read-only (no account book: balances from the rows and the readings
    /// they lack), beside the nodes running on it.
    public func openStationStore() async throws -> StationStore {
        guard let database = options.database, PostgresLocation.isURL(database) else { return try openStore() }
        return try await StationStore.openReadOnly(postgres: PostgresLocation(url: database))
    }

    /// Another node of `other`'s station: the same simulator's terminals and admin API (its
    /// daemon is started with `startDaemon`, on the same database).
    public func shareSimulator(of other: HarnessStation) {
        terminalPorts = other.terminalPorts
        adminPort = other.adminPort
    }
}
