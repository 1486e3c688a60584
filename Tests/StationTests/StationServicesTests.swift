import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import LoopbackTools
import MeterSim
import ServiceLifecycle
import Station
import Store
import Systemd
import Testing

/// The station's service graph in process (issue 12): `StationServices` builds it from a real
/// configuration file, it starts against an in-process meter-sim on 127.0.0.1 and a real SQLite
/// file, and on a graceful shutdown it stops in order, with the readings the ingest queue still
/// held committed, not lost.
@Suite struct StationServicesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A configuration file, tokens file and database in a fresh folder; the repository's tariffs.
    func writeStation(apiPort: Int) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("station-services-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tariffs = Self.repository.appendingPathComponent("Config/tariffs").path
        try """
            [station]
            database = "station.sqlite"
            tariffs = "\(tariffs)"
            [api]
            listen = "127.0.0.1:\(apiPort)"
            tokens_file = "tokens"
            [collection]
            interval = "1s"
            jitter = "0s"
            staleness = "5s"
            timeout = "2s"
            [control]
            trip_windows = ["Mon-Sun 00:00-24:00"]
            [validation]
            rated_power_kw = "10000"
            """.write(to: folder.appendingPathComponent("chargecontrold.toml"), atomically: true, encoding: .utf8)
        guard FileManager.default.createFile(atPath: folder.appendingPathComponent("tokens").path,
                                             contents: Data("operator test-operator-token-0123456789\n".utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return folder
    }

    @Test func startsDrainsOnGracefulShutdownAndStops() async throws {
        let apiPort = try freeLoopbackPort()
        let folder = try writeStation(apiPort: apiPort)
        defer { try? FileManager.default.removeItem(at: folder) }
        let loaded = try LoadedConfiguration.load(path: folder.appendingPathComponent("chargecontrold.toml").path, tokensFile: nil)
        var services = StationServices(loaded: loaded, logger: collectLogger(), logLevel: LogLevelControl(.critical))
        // Readings wait in the ingest queue for an hour: only the shutdown's drain commits them.
        services.ingest = IngestQueue.Configuration(maxBatch: 10_000, maxDelay: .seconds(3600))
        services.notifiesSystemd = false  // NOTIFY_SOCKET belongs to the systemd tests running beside this one
        let running = try await services.build()
        #expect(running.order == ["terminal lines", "account rows", "ingest", "collector", "dispatcher", "retention", "work orders", "watchdog", "reload", "api",
                                  "stop notice"])

        let now = Int64(Date().timeIntervalSince1970)
        let fleet = try MeterFleet(configuration: SimConfiguration(terminals: 2, meters: 4, loadWatts: 0, initialHundredths: 100_000),
                                   clock: ManualClock(unixSeconds: now))
        try await MeterSimulator.withRunning(fleet) { endpoints in
            for (i, port) in endpoints.terminalPorts.enumerated() {
                try await running.core.upsertTerminal(TerminalRecord(id: "T\(i + 1)", host: endpoints.host, port: port))
            }
            for i in 0..<4 {
                let address = fleet.address(ofMeter: i)
                _ = try await running.core.upsertAccount(AccountProvisioning(
                    accountID: "A\(i + 1)", meterAddress: address.description,
                    terminalID: "T\((fleet.locate(address)?.terminal.index ?? 0) + 1)",
                    tariff: "zhejiang-residential-tou-tiered", region: "north", openingBalance: yuan("50.00")))
            }
            let pendingAtShutdown = try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask {
                    try await running.group.run()
                    return nil
                }
                try await eventually("ready, and a reading of every meter waiting in the ingest queue") {
                    running.isReady() && running.ingest.stats.pending >= 4
                }
                let pending = running.ingest.stats.pending
                #expect(running.ingest.stats.readingsCommitted == 0, "nothing committed before the shutdown")
                await running.group.triggerGracefulShutdown()
                group.addTask {
                    // A bound on the shutdown, generous for a loaded machine: a hang fails here.
                    try await Task.sleep(for: .seconds(60))
                    throw CancellationError()
                }
                _ = try await group.next()
                group.cancelAll()
                return pending
            }
            let stats = running.ingest.stats
            #expect(stats.pending == 0 && stats.readingsCommitted >= pendingAtShutdown, "\(stats)")
            for i in 1...4 {
                #expect(try await running.core.store.account("A\(i)")?.lastReadingAt != nil, "A\(i)'s reading on disk")
            }
        }
        // Stopped: nothing listens on the API's port any more.
        #expect(!acceptsConnections(port: apiPort))
    }

    /// Whether a TCP connect to 127.0.0.1:`port` succeeds (a refused one returns at once).
    func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
