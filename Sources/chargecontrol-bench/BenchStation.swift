import LoopbackTools
import StationHarness
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A failure of a process scenario (a process that would not start, a wait that timed out).
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where `meter-sim` and `chargecontrold` are: next to this executable (`swift build -c release`
/// builds them all into one folder).
enum BenchBinaries {
    static var folder: URL {
        (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent()
    }

    static func url(_ name: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw BenchFailure("\(name) is not built next to chargecontrol-bench (\(folder.path)): "
                + "run `swift build -c release` (all products), then run the bench from .build/release")
        }
        return url
    }

    /// Config/tariffs of the checkout this bench was built from (or `--tariffs`).
    static func tariffsFolder(_ override: String?) throws -> URL {
        if let override { return URL(fileURLWithPath: override) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("Config/tariffs")
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw BenchFailure("no tariffs folder at \(folder.path): pass --tariffs PATH (the repository's Config/tariffs)")
        }
        return folder
    }
}

/// A child process: output to a log file, stopped with SIGTERM (then SIGKILL), its VmRSS readable.
final class BenchProcess: @unchecked Sendable {
    let name: String
    private let process = Process()
    private let stdout: Pipe?
    private var stopped = false

    /// - Parameter environment: added to the bench's own environment (`NOTIFY_SOCKET`).
    init(name: String, executable: URL, arguments: [String], log: URL, pipeStdout: Bool,
         environment: [String: String] = [:]) throws {
        self.name = name
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        if pipeStdout {
            let pipe = Pipe()
            process.standardOutput = pipe
            stdout = pipe
        } else {
            process.standardOutput = handle
            stdout = nil
        }
        try process.run()
        try? handle.close()
        BenchCleanup.shared.add(pid: process.processIdentifier)
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// The process's resident set (VmRSS) in bytes.
    var residentBytes: Int { procStatusField("VmRSS", pid: pid) }

    /// The first stdout line (the ready line), nil when the process ends or stays silent `seconds`.
    func firstLine(within seconds: Double) async -> String? {
        guard let handle = stdout?.fileHandleForReading else { return nil }
        let pid = self.pid
        let watchdog = Task {
            try await Task.sleep(for: .seconds(seconds))
            Glibc.kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        return await offThePool {
            var bytes: [UInt8] = []
            while true {
                guard let byte = handle.readData(ofLength: 1).first else {
                    return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(byte)
            }
        }
    }

    /// Consumed CPU (user + system) so far, from /proc/PID/stat; 0 once the process is gone.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGKILL (a crash, as kill -9 makes one); waits for the exit.
    func kill() async {
        guard !stopped else { return }
        stopped = true
        let process = self.process
        Glibc.kill(pid, SIGKILL)
        await offThePool { process.waitUntilExit() }
        BenchCleanup.shared.remove(pid: pid)
    }

    /// SIGTERM, SIGKILL after `grace` seconds; waits for the exit.
    func stop(grace: Double = 5) async {
        guard !stopped else { return }
        stopped = true
        let process = self.process
        let pid = self.pid
        if process.isRunning { process.terminate() }
        await offThePool {
            let deadline = Date().addingTimeInterval(grace)
            var killed = false
            while process.isRunning {
                if !killed && Date() > deadline {
                    Glibc.kill(pid, SIGKILL)
                    killed = true
                }
                usleep(10_000)
            }
        }
        BenchCleanup.shared.remove(pid: pid)
    }
}

/// One measured world in a temporary folder: config, tokens (mode 0600), tariffs, SQLite file;
/// a `meter-sim` and a `chargecontrold` on 127.0.0.1. `shutdown()` stops both and removes the folder.
final class BenchStation: @unchecked Sendable {
    struct Options {
        var meters: Int
        var terminals: Int
        var loadKW = "0.5"
        var timeScale = "1"
        var collectionInterval = "2s"
        /// At least `collectionInterval` (the configuration refuses less).
        var staleness = "60s"
        var tariffs: URL
        /// Leave the folder (config, database, logs) behind, for profiling by hand.
        var keepFolder = false
    }

    var options: Options
    let folder: URL
    let http = HTTPClient(timeout: 30, connectionsPerHost: 64)
    let operatorToken = "op-" + UUID().uuidString
    let paymentsToken = "pay-" + UUID().uuidString
    let viewerToken = "view-" + UUID().uuidString
    let tariff = "zhejiang-residential-tou-tiered"

    private(set) var sim: BenchProcess?
    private(set) var daemon: BenchProcess?
    private(set) var terminalPorts: [Int] = []
    private(set) var adminPort = 0
    private(set) var apiPort = 0

    var api: String { "http://127.0.0.1:\(apiPort)" }
    /// The daemon's SQLite file (`[station] database`), which a scenario may write before the
    /// daemon starts.
    var database: URL { folder.appendingPathComponent("station.sqlite") }
    var admin: String { "http://127.0.0.1:\(adminPort)" }

    init(_ options: Options) throws {
        self.options = options
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("chargecontrol-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        BenchCleanup.shared.add(folder: folder)
        try FileManager.default.copyItem(at: options.tariffs, to: folder.appendingPathComponent("tariffs"))
        let tokens = "# bench\noperator \(operatorToken)\npayments \(paymentsToken)\nviewer \(viewerToken)\n"
        guard FileManager.default.createFile(atPath: folder.appendingPathComponent("tokens").path, contents: Data(tokens.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw BenchFailure("cannot write the tokens file in \(folder.path)")
        }
    }

    /// Runs `body` with this station; stops every process and removes the folder afterwards,
    /// also when `body` throws (the error then carries the daemon's last log lines).
    static func with<T>(_ options: Options, _ body: (BenchStation) async throws -> T) async throws -> T {
        let station = try BenchStation(options)
        do {
            let result = try await body(station)
            await station.shutdown()
            return result
        } catch {
            let logURL = station.folder.appendingPathComponent("chargecontrold.log")
            let log = FileManager.default.fileExists(atPath: logURL.path)
                ? "\n--- chargecontrold log, last lines:\n" + tail(logURL, lines: 15) : ""
            await station.shutdown()
            throw BenchFailure("\(error)\(log)")
        }
    }

    func shutdown() async {
        await daemon?.stop()
        await sim?.stop()
        if options.keepFolder {
            FileHandle.standardError.write(Data("chargecontrol-bench: kept \(folder.path)\n".utf8))
        } else {
            try? FileManager.default.removeItem(at: folder)
        }
        BenchCleanup.shared.remove(folder: folder)
    }

    static func address(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }

    func terminal(ofMeter n: Int) -> Int {
        Self.terminal(ofMeter: n, meters: options.meters, terminals: options.terminals)
    }

    /// Meter n's (1-based) terminal index: contiguous blocks, as meter-sim lays them out.
    static func terminal(ofMeter n: Int, meters: Int, terminals: Int) -> Int {
        let per = (meters + terminals - 1) / terminals
        return (n - 1) / per
    }

    // MARK: Processes

    func startSim(meters: Int? = nil, terminals: Int? = nil) async throws {
        await sim?.stop()
        let meters = meters ?? options.meters
        let terminals = terminals ?? options.terminals
        let process = try BenchProcess(
            name: "meter-sim", executable: try BenchBinaries.url("meter-sim"),
            arguments: ["--listen", "127.0.0.1:0", "--terminals", "\(terminals)", "--meters", "\(meters)",
                        "--first-address", Self.address(1), "--admin", "127.0.0.1:0", "--seed", "7",
                        "--load-kw", options.loadKW, "--time-scale", options.timeScale],
            log: folder.appendingPathComponent("meter-sim.log"), pipeStdout: true)
        sim = process
        guard let line = await process.firstLine(within: 120) else {
            throw BenchFailure("meter-sim printed no ready line; see its log")
        }
        // "meter-sim: 2 terminals on 127.0.0.1:P-Q, 10 meters A-B, admin on 127.0.0.1:N"
        let parts = line.components(separatedBy: ", ")
        guard parts.count == 3, let ports = parts[0].split(separator: ":").last,
              let first = ports.split(separator: "-").first.flatMap({ Int($0) }),
              let adminText = parts[2].split(separator: ":").last, let adminPort = Int(adminText) else {
            throw BenchFailure("cannot parse the meter-sim ready line: \(line)")
        }
        terminalPorts = (0..<terminals).map { first + $0 }
        self.adminPort = adminPort
    }

    func startDaemon() async throws {
        apiPort = try freeLoopbackPort()
        try writeConfig()
        let process = try BenchProcess(
            name: "chargecontrold", executable: try BenchBinaries.url("chargecontrold"),
            arguments: ["--config", folder.appendingPathComponent("chargecontrold.toml").path],
            log: folder.appendingPathComponent("chargecontrold.log"), pipeStdout: false)
        daemon = process
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw BenchFailure("chargecontrold stopped during start-up") }
            if let stats = try? await http.send("GET", "\(api)/v1/stats", token: viewerToken), stats.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchFailure("chargecontrold did not answer within 120 s")
    }

    /// Starts `chargecontrold` with `NOTIFY_SOCKET` set to `notify` and waits for its `READY=1`
    /// (no HTTP polling): returns the time from just before the exec to the datagram's arrival.
    func startDaemon(readyFrom notify: NotifyListener, within seconds: Double = 600) async throws -> Duration {
        if apiPort == 0 { apiPort = try freeLoopbackPort() }
        try writeConfig()
        notify.drain()
        let started = ContinuousClock.now
        let process = try BenchProcess(
            name: "chargecontrold", executable: try BenchBinaries.url("chargecontrold"),
            arguments: ["--config", folder.appendingPathComponent("chargecontrold.toml").path],
            log: folder.appendingPathComponent("chargecontrold.log"), pipeStdout: false,
            environment: ["NOTIFY_SOCKET": notify.path])
        daemon = process
        return try await notify.waitForReady(of: process, within: seconds) - started
    }

    private func writeConfig() throws {
        let text = """
            # generated by chargecontrol-bench
            [station]
            database = "station.sqlite"
            timezone = "Asia/Shanghai"
            tariffs = "tariffs"

            [api]
            listen = "127.0.0.1:\(apiPort)"
            tokens_file = "tokens"

            [collection]
            interval = "\(options.collectionInterval)"
            timeout = "5s"
            jitter = "0s"
            staleness = "\(options.staleness)"

            [control]
            alarm_yuan = "20.00"
            trip_yuan = "0.00"
            reconnect_margin_yuan = "5.00"
            trip_windows = ["Mon-Sun 00:00-24:00"]
            holidays = []

            [dispatch]
            max_attempts = 10
            backoff_initial = "200ms"
            backoff_max = "2s"
            deadline = "1h"

            [meters]
            password = "02000000"
            operator = "00000001"

            [log]
            target = "stderr"
            level = "warning"

            [validation]
            rated_power_kw = "10000000"
            clock_skew = "5m"
            register_sum_tolerance_kwh = "0.02"

            """
        try text.write(to: folder.appendingPathComponent("chargecontrold.toml"), atomically: true, encoding: .utf8)
    }

    // MARK: Provisioning

    /// Registers the simulator's terminals as T0, T1, … (`unreachable`: on a closed port each, so
    /// nothing is read until they are registered again with the real ports).
    func provisionTerminals(unreachable: Bool = false) async throws {
        for (index, realPort) in terminalPorts.enumerated() {
            let port = unreachable ? try freeLoopbackPort() : realPort
            let answer = try await http.send("POST", "\(api)/v1/terminals", token: operatorToken,
                                             json: "{\"terminal_id\": \"T\(index)\", \"host\": \"127.0.0.1\", \"port\": \(port)}")
            guard answer.status == 201 || answer.status == 200 else { throw BenchFailure("POST /v1/terminals: \(answer.status) \(answer.text)") }
        }
    }

    /// Accounts A1…AN on meters 1…N, `concurrency` POST /v1/accounts in flight.
    func provisionAccounts(_ count: Int, opening: String, concurrency: Int = 16) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 1
            func add(_ n: Int) {
                let body = "{\"account_id\": \"A\(n)\", \"meter_address\": \"\(Self.address(n))\", \"terminal_id\": \"T\(terminal(ofMeter: n))\", "
                    + "\"tariff\": \"\(tariff)\", \"region\": \"bench\", \"opening_balance_yuan\": \"\(opening)\"}"
                group.addTask { [http, api, operatorToken] in
                    let answer = try await http.send("POST", "\(api)/v1/accounts", token: operatorToken, json: body)
                    guard answer.status == 201 else { throw BenchFailure("POST /v1/accounts A\(n): \(answer.status) \(answer.text)") }
                }
            }
            while next <= min(count, concurrency) { add(next); next += 1 }
            while try await group.next() != nil {
                if next <= count { add(next); next += 1 }
            }
        }
    }

    // MARK: Looking

    /// The simulated meter's relay (`closed`, `open`, `armed`).
    func relay(ofMeter n: Int) async throws -> String {
        let answer = try await http.send("GET", "\(admin)/meters/\(Self.address(n))")
        guard answer.status == 200, let relay = answer.json?["relay"]?.string else {
            throw BenchFailure("admin GET meter \(n): \(answer.status) \(answer.text)")
        }
        return relay
    }

    /// How many simulated meters have this relay state.
    func count(relay: String) async throws -> Int {
        let answer = try await http.send("GET", "\(admin)/meters?relay=\(relay)")
        guard answer.status == 200, let list = answer.json else { throw BenchFailure("admin GET meters: \(answer.status)") }
        return list.array.count
    }

    /// The sum of a counter family on /metrics (all label sets).
    func metric(_ name: String) async throws -> Double {
        let answer = try await http.send("GET", "\(api)/metrics", token: viewerToken)
        guard answer.status == 200 else { throw BenchFailure("GET /metrics: \(answer.status)") }
        return prometheusSum(of: name, in: answer.text)
    }
}

func tail(_ url: URL, lines count: Int) -> String {
    guard let data = try? Data(contentsOf: url) else { return "(no log)" }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(count).joined(separator: "\n")
}

/// Child processes and temporary folders alive right now, so that SIGINT/SIGTERM to the bench
/// stops them and removes the folders before it exits.
final class BenchCleanup: @unchecked Sendable {
    static let shared = BenchCleanup()
    private let lock = NSLock()
    private var pids: Set<Int32> = []
    private var folders: Set<String> = []
    private var sources: [any DispatchSourceSignal] = []

    func add(pid: Int32) { lock.withLock { _ = pids.insert(pid) } }
    func remove(pid: Int32) { lock.withLock { _ = pids.remove(pid) } }
    func add(folder: URL) { lock.withLock { _ = folders.insert(folder.path) } }
    func remove(folder: URL) { lock.withLock { _ = folders.remove(folder.path) } }

    /// Installs the SIGINT/SIGTERM handlers (once, at start-up).
    func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                let (pids, folders) = lock.withLock { (self.pids, self.folders) }
                for pid in pids { Glibc.kill(pid, SIGTERM) }
                let deadline = Date().addingTimeInterval(5)
                for pid in pids {
                    while Glibc.kill(pid, 0) == 0, waitpid(pid, nil, WNOHANG) == 0, Date() < deadline { usleep(20_000) }
                    Glibc.kill(pid, SIGKILL)
                }
                for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
                FileHandle.standardError.write(Data("chargecontrol-bench: interrupted; processes stopped, temporary files removed\n".utf8))
                exit(130)
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }
}
