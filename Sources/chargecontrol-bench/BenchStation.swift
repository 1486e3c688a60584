import StationHarness
import Foundation

/// A failure of a process scenario (a process that would not start, a wait that timed out).
typealias BenchFailure = HarnessFailure

/// Config/tariffs of the checkout this bench was built from (or `--tariffs`).
func benchTariffsFolder(_ override: String?) throws -> URL {
    if let override { return URL(fileURLWithPath: override) }
    let folder = StationBinaries.tariffsFolder
    guard FileManager.default.fileExists(atPath: folder.path) else {
        throw BenchFailure("no tariffs folder at \(folder.path): pass --tariffs PATH (the repository's Config/tariffs)")
    }
    return folder
}

extension StationOptions {
    /// A measured station: release executables next to this bench (`swift build -c release`
    /// builds them all into one folder), meters at real time and 0.5 kW, a quiet daemon with
    /// patient dispatch, and generous start-up waits (a million meters take a while).
    static func bench(meters: Int, terminals: Int, tariffs: URL) -> StationOptions {
        var options = StationOptions(binaries: .nextToExecutable)
        options.tariffs = tariffs
        options.folderPrefix = "chargecontrol-bench"
        options.meters = meters
        options.terminals = terminals
        options.loadKW = "0.5"
        options.timeScale = "1"
        options.simReadySeconds = 120
        options.requestTimeout = "5s"
        options.maxAttempts = 10
        options.backoffMax = "2s"
        options.logLevel = "warning"
        options.daemonReadySeconds = 120
        return options
    }
}

extension HarnessStation {
    /// Runs `body` with a station in a temporary folder (nothing started); stops every process
    /// and removes the folder afterwards (unless `keepFolder`: for profiling by hand), also when
    /// `body` throws (the error then carries the daemon's last log lines). Nothing goes to stdout,
    /// which carries the bench's JSON.
    static func bench<T>(_ name: String, _ options: StationOptions, keepFolder: Bool = false,
                         _ body: (HarnessStation) async throws -> T) async throws -> T {
        let station = try HarnessStation(name: name, options: options, http: HTTPClient(timeout: 30, connectionsPerHost: 64))
        InterruptCleanup.shared.add(folder: station.folder)
        func finish() async {
            await station.shutdown()
            if keepFolder {
                FileHandle.standardError.write(Data("chargecontrol-bench: kept \(station.folder.path)\n".utf8))
            } else {
                station.removeFolder()
            }
            InterruptCleanup.shared.remove(folder: station.folder)
        }
        do {
            let result = try await body(station)
            await finish()
            return result
        } catch {
            let log = FileManager.default.fileExists(atPath: station.daemonLog.path)
                ? "\n--- chargecontrold log, last lines:\n" + tail(of: station.daemonLog, lines: 15) : ""
            await finish()
            throw BenchFailure("\(error)\(log)")
        }
    }

    /// Starts `chargecontrold` with `NOTIFY_SOCKET` set to `notify` and waits for its `READY=1`
    /// (no HTTP polling): returns the time from just before the exec to the datagram's arrival.
    func startDaemon(readyFrom notify: NotifyListener, within seconds: Double = 600) async throws -> Duration {
        try writeConfig()
        notify.drain()
        let started = ContinuousClock.now
        let process = try launchDaemon(environment: ["NOTIFY_SOCKET": notify.path])
        return try await notify.waitForReady(of: process, within: seconds) - started
    }

    /// As `startDaemon`, then waits for the daemon's log to say the account book loaded behind
    /// READY=1 (the `notice` line `event=account_book`; the station's log level must show it):
    /// both times from just before the exec.
    func startDaemonAndLoadBook(readyFrom notify: NotifyListener, within seconds: Double = 600) async throws
        -> (ready: Duration, bookLoaded: Duration)
    {
        let before = bookLoadedLines()
        try writeConfig()
        notify.drain()
        let started = ContinuousClock.now
        let process = try launchDaemon(environment: ["NOTIFY_SOCKET": notify.path])
        let ready = try await notify.waitForReady(of: process, within: seconds) - started
        while bookLoadedLines() <= before {
            guard ContinuousClock.now - started < .seconds(seconds) else { throw BenchFailure("the account book did not load") }
            guard daemon?.isRunning == true else { throw BenchFailure("chargecontrold stopped before its account book loaded") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return (ready, ContinuousClock.now - started)
    }

    /// Lines of the daemon's log that say its account book loaded.
    private func bookLoadedLines() -> Int {
        guard let text = try? String(contentsOf: daemonLog, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").lazy.filter { $0.contains("event=account_book") && $0.contains("account book loaded") }.count
    }

    /// The simulated meter's relay (`closed`, `open`, `armed`).
    func relay(ofMeter n: Int) async throws -> String {
        guard let relay = try await simMeter(n)["relay"]?.string else { throw BenchFailure("admin GET meter \(n): no relay") }
        return relay
    }
}

extension HarnessStation {
    /// The station's options as node `name` of a PostgreSQL station (`--nodes`).
    static func node(_ name: String, of options: StationOptions) -> StationOptions {
        var o = options
        // Into the `[cluster]` section the options may have already (a lease time), else a new one.
        if o.extraConfig.contains("[cluster]\n") {
            o.extraConfig = o.extraConfig.replacingOccurrences(of: "[cluster]\n", with: "[cluster]\nnode = \"\(name)\"\n")
        } else {
            o.extraConfig += "\n[cluster]\nnode = \"\(name)\"\n"
        }
        return o
    }

    /// `count` more nodes (b1, b2, …) on this station's database and simulator, started; returns
    /// them once every node leases a terminal. The caller stops them and removes their folders.
    func startPeers(_ count: Int, baseOptions: StationOptions, progress: (String) -> Void) async throws -> [HarnessStation] {
        var peers: [HarnessStation] = []
        do {
            for index in 1...count {
                let peer = try HarnessStation(name: "\(name)-b\(index)", options: Self.node("b\(index)", of: baseOptions),
                                              http: HTTPClient(timeout: 30, connectionsPerHost: 64))
                peer.shareSimulator(of: self)
                peers.append(peer)
                try await peer.startDaemon()
            }
            try await eventually("every node leasing a terminal", within: 60) { () async throws -> Bool? in
                let leases = try await FailoverRounds.clusterLeases(self)
                return leases.count == count + 1 && leases.values.allSatisfy { !$0.isEmpty } ? true : nil
            }
        } catch {
            for peer in peers {
                await peer.shutdown()
                peer.removeFolder()
            }
            throw error
        }
        progress("\(count + 1) nodes share the terminals")
        return peers
    }
}
