import LoopbackTools
import Foundation
import Store

/// Where the built executables are (STACK.md pitfall 15: `swift build --build-tests` builds every
/// product into the folder the test bundle is in, `swift build --show-bin-path`).
enum Binaries {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let folder: URL? = {
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug"))
        return candidates.first { folder in
            ["meter-sim", "chargecontrold"].allSatisfy {
                FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path)
            }
        }
    }()

    static var available: Bool {
        if folder == nil {
            print("EndToEndTests skipped: meter-sim and chargecontrold are not built next to the tests; run `swift build --build-tests` (make test does)")
        }
        return folder != nil
    }

    static func url(_ name: String) throws -> URL {
        guard let folder else { throw E2EFailure("\(name) is not built: run swift build --build-tests") }
        return folder.appendingPathComponent(name)
    }
}

/// How one scenario's simulator and daemon are set up. Meters consume fast (20 kW at 3600×:
/// 20 kWh, about 11 yuan, per real second) so credit runs out within seconds.
struct StationOptions: Sendable {
    var terminals = 2
    var meters = 10
    var loadKW = "20"
    var timeScale = "3600"
    var initialKWh = "0"
    /// The simulated meters' control password; nil: the same as the daemon's.
    var simPassword: String?
    var simExtra: [String] = []
    var collectionInterval = "2s"
    var requestTimeout = "2s"
    var maxAttempts = 6
    var backoffInitial = "200ms"
    var backoffMax = "1s"
    var deadline = "1h"
    var registerSumTolerance = "0.02"
    static let daemonPassword = "02000000"
}

/// One scenario's world: a temporary folder with the config, tokens, tariffs and SQLite file; a
/// `meter-sim` and a `chargecontrold` process on 127.0.0.1; an HTTP client with the tokens.
final class E2EStation: @unchecked Sendable {
    let name: String
    let options: StationOptions
    let folder: URL
    let http = HTTPClient()
    let operatorToken = "op-" + UUID().uuidString
    let paymentsToken = "pay-" + UUID().uuidString
    let viewerToken = "view-" + UUID().uuidString
    let tariff = "zhejiang-residential-tou-tiered"

    private(set) var sim: ManagedProcess?
    private(set) var daemon: ManagedProcess?
    private(set) var terminalPorts: [Int] = []
    private(set) var adminPort = 0
    private(set) var apiPort = 0

    var configURL: URL { folder.appendingPathComponent("chargecontrold.toml") }
    var databasePath: String { folder.appendingPathComponent("station.sqlite").path }
    var daemonLog: URL { folder.appendingPathComponent("chargecontrold.log") }
    var simLog: URL { folder.appendingPathComponent("meter-sim.log") }
    var api: String { "http://127.0.0.1:\(apiPort)" }
    var admin: String { "http://127.0.0.1:\(adminPort)" }

    private init(name: String, options: StationOptions) throws {
        self.name = name
        self.options = options
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("chargecontrol-e2e-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Config/tariffs"),
                                         to: folder.appendingPathComponent("tariffs"))
        let tokens = "# e2e\noperator \(operatorToken)\npayments \(paymentsToken)\nviewer \(viewerToken)\n"
        guard FileManager.default.createFile(atPath: folder.appendingPathComponent("tokens").path, contents: Data(tokens.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw E2EFailure("cannot write the tokens file in \(folder.path)")
        }
    }

    /// Runs `body` with a started simulator and daemon; stops both afterwards, also when `body`
    /// throws. The folder is removed after a pass (unless `E2E_KEEP` is set) and kept (its path
    /// printed) after a failure.
    static func with(_ name: String, _ options: StationOptions = StationOptions(),
                     _ body: (E2EStation) async throws -> Void) async throws {
        let station = try E2EStation(name: name, options: options)
        do {
            try await station.startSim()
            try await station.startDaemon()
            try await body(station)
        } catch {
            print("[\(name)] FAILED: \(error)\n\(station.diagnostics())\n[\(name)] files kept in \(station.folder.path)")
            await station.shutdown()
            throw error
        }
        await station.shutdown()
        if ProcessInfo.processInfo.environment["E2E_KEEP"] == nil {
            try? FileManager.default.removeItem(at: station.folder)
        } else {
            print("[\(name)] files kept in \(station.folder.path)")
        }
    }

    func shutdown() async {
        await daemon?.stop()
        await sim?.stop()
    }

    /// The last lines of both logs.
    func diagnostics(lines: Int = 40) -> String {
        """
        --- chargecontrold (\(daemon?.exitDescription ?? "not started")), last \(lines) lines of \(daemonLog.path):
        \(tail(of: daemonLog, lines: lines))
        --- meter-sim (\(sim?.exitDescription ?? "not started")), last 10 lines:
        \(tail(of: simLog, lines: 10))
        """
    }

    // MARK: Processes

    func startSim() async throws {
        var arguments = ["--listen", "127.0.0.1:0", "--terminals", "\(options.terminals)", "--meters", "\(options.meters)",
                         "--first-address", Self.address(1), "--admin", "127.0.0.1:0", "--seed", "7",
                         "--load-kw", options.loadKW, "--time-scale", options.timeScale, "--initial-kwh", options.initialKWh]
        if let password = options.simPassword { arguments += ["--password", password] }
        arguments += options.simExtra
        let process = try ManagedProcess(name: "meter-sim", executable: try Binaries.url("meter-sim"), arguments: arguments,
                                         logURL: simLog, pipeStdout: true)
        sim = process
        guard let line = await process.firstLine(within: 30) else {
            throw E2EFailure("meter-sim printed no ready line (\(process.exitDescription))")
        }
        // "meter-sim: 2 terminals on 127.0.0.1:P-Q, 10 meters A-B, admin on 127.0.0.1:N"
        let parts = line.components(separatedBy: ", ")
        guard parts.count == 3, let ports = parts[0].split(separator: ":").last,
              let first = ports.split(separator: "-").first.flatMap({ Int($0) }),
              let adminText = parts[2].split(separator: ":").last, let admin = Int(adminText) else {
            throw E2EFailure("cannot parse the meter-sim ready line: \(line)")
        }
        terminalPorts = (0..<options.terminals).map { first + $0 }
        adminPort = admin
    }

    /// Writes the config (first time) and starts the daemon, waiting until its API answers our
    /// token. A port taken in between gets a fresh one.
    func startDaemon() async throws {
        for attempt in 1...3 {
            if apiPort == 0 || attempt > 1 {
                apiPort = try freeLoopbackPort()
                try writeConfig()
            }
            let process = try ManagedProcess(name: "chargecontrold", executable: try Binaries.url("chargecontrold"),
                                             arguments: ["--config", configURL.path], logURL: daemonLog, pipeStdout: false)
            daemon = process
            if try await waitUntilUp(process) { return }
            let log = tail(of: daemonLog, lines: 20)
            guard log.contains("in use") || log.contains("EADDRINUSE") else {
                throw E2EFailure("chargecontrold stopped during start-up (\(process.exitDescription))")
            }
        }
        throw E2EFailure("chargecontrold could not bind an API port")
    }

    /// SIGKILL the daemon (nothing flushed, nothing said goodbye).
    func killDaemon() async {
        await daemon?.kill9()
    }

    /// Starts the daemon again on the same database and port.
    func restartDaemon() async throws {
        await daemon?.stop()
        try await startDaemon()
    }

    /// True once our daemon answers; false when it exited first.
    private func waitUntilUp(_ process: ManagedProcess) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if !process.isRunning { return false }
            if let health = try? await http.send("GET", "\(api)/healthz"), health.status == 200,
               let mine = try? await http.send("GET", "\(api)/v1/stats", token: viewerToken), mine.status == 200 {
                return true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw E2EFailure("chargecontrold did not answer /healthz within 60 s")
    }

    private func writeConfig() throws {
        let o = options
        let text = """
            # generated by EndToEndTests (\(name))
            [station]
            database = "station.sqlite"
            timezone = "Asia/Shanghai"
            tariffs = "tariffs"

            [api]
            listen = "127.0.0.1:\(apiPort)"
            tokens_file = "tokens"

            [collection]
            interval = "\(o.collectionInterval)"
            timeout = "\(o.requestTimeout)"
            jitter = "0s"
            staleness = "60s"

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
            level = "info"

            [validation]
            # The meters consume 3600 times faster than real time: an interval holds far more
            # energy than a real meter could register, so raise the rated-power limit (demo.toml).
            rated_power_kw = "10000000"
            clock_skew = "5m"
            register_sum_tolerance_kwh = "\(o.registerSumTolerance)"

            """
        try text.write(to: configURL, atomically: true, encoding: .utf8)
    }

    // MARK: Meters

    static func address(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }

    /// The terminal (0-based) serving meter `n` (1-based): contiguous blocks of ceil(M/T).
    func terminal(ofMeter n: Int) -> Int {
        let per = (options.meters + options.terminals - 1) / options.terminals
        return (n - 1) / per
    }

    /// The simulated meter as the admin API shows it.
    func simMeter(_ n: Int) async throws -> JSONValue {
        let answer = try await http.send("GET", "\(admin)/meters/\(Self.address(n))")
        guard answer.status == 200, let json = answer.json else { throw E2EFailure("admin GET meter \(n): \(answer)") }
        return json
    }

    /// Changes a simulated meter (`offline`, `relay`, `total_kwh`, `press_button`, `block_reads`, …).
    @discardableResult
    func changeMeter(_ n: Int, _ change: String) async throws -> JSONValue {
        let answer = try await http.send("POST", "\(admin)/meters/\(Self.address(n))", json: change)
        guard answer.status == 200, let json = answer.json else { throw E2EFailure("admin POST meter \(n) \(change): \(answer)") }
        return json
    }

    // MARK: API

    func call(_ method: String, _ path: String, token: String? = nil, json: String? = nil) async throws -> HTTPAnswer {
        try await http.send(method, "\(api)\(path)", token: token ?? operatorToken, json: json)
    }

    /// Registers every simulator terminal as T0, T1, …
    func provisionTerminals() async throws {
        for (index, port) in terminalPorts.enumerated() {
            let answer = try await call("POST", "/v1/terminals",
                                        json: jsonObject(["terminal_id": "T\(index)", "host": "127.0.0.1", "port": port]))
            guard answer.status == 201 || answer.status == 200 else { throw E2EFailure("POST /v1/terminals: \(answer)") }
        }
    }

    /// Adds an account on simulated meter `n`.
    @discardableResult
    func addAccount(_ id: String, meter n: Int, opening: String, protected: Bool = false, region: String = "east",
                    alarm: String? = nil, trip: String? = nil) async throws -> JSONValue {
        var body = jsonObject(["account_id": id, "meter_address": Self.address(n), "terminal_id": "T\(terminal(ofMeter: n))",
                               "tariff": tariff, "region": region, "opening_balance_yuan": opening, "protected": protected])
        if let alarm { body = String(body.dropLast()) + ", \"alarm_yuan\": \(jsonString(alarm))}" }
        if let trip { body = String(body.dropLast()) + ", \"trip_yuan\": \(jsonString(trip))}" }
        let answer = try await call("POST", "/v1/accounts", json: body)
        guard answer.status == 201, let json = answer.json else { throw E2EFailure("POST /v1/accounts \(id): \(answer)") }
        return json
    }

    func account(_ id: String) async throws -> JSONValue {
        let answer = try await call("GET", "/v1/accounts/\(id)")
        guard answer.status == 200, let json = answer.json else { throw E2EFailure("GET /v1/accounts/\(id): \(answer)") }
        return json
    }

    /// The account's commands, newest first.
    func commands(_ id: String) async throws -> [JSONValue] {
        let answer = try await call("GET", "/v1/commands?account_id=\(id)")
        guard answer.status == 200, let json = answer.json else { throw E2EFailure("GET /v1/commands \(id): \(answer)") }
        return json.array
    }

    /// Open job-review items.
    func review() async throws -> [JSONValue] {
        let answer = try await call("GET", "/v1/review")
        guard answer.status == 200, let json = answer.json else { throw E2EFailure("GET /v1/review: \(answer)") }
        return json.array
    }

    func pay(_ order: String, account: String, amount: String, channel: String = "mobile_app") async throws -> HTTPAnswer {
        try await call("POST", "/v1/payments", token: paymentsToken,
                       json: jsonObject(["order_no": order, "account_id": account, "amount_yuan": amount, "channel": channel]))
    }

    // MARK: Waiting

    /// Polls `probe` every 100 ms until it returns a value, for at most `seconds`; on timeout
    /// throws with what was awaited, the last value seen, and the daemon's last log lines.
    func eventually<T: Sendable>(_ what: String, within seconds: Double = 30,
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
                throw E2EFailure("[\(name)] \(process.name) ended (\(process.exitDescription)) while waiting for \(what)")
            }
            if ContinuousClock.now >= deadline {
                throw E2EFailure("[\(name)] timed out after \(seconds) s waiting for \(what)"
                    + (lastError.map { "; last error: \($0)" } ?? ""))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Opens the station's SQLite file from the test (a second connection: WAL allows it).
    func openStore() throws -> StationStore {
        try StationStore.open(path: databasePath)
    }
}
