import DLT645
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// Where a running simulator can be reached.
public struct SimEndpoints: Sendable, Hashable {
    /// Host the terminals listen on.
    public var host: String
    /// Terminal i's port is `terminalPorts[i]` (consecutive).
    public var terminalPorts: [Int]
    /// The admin API, when configured.
    public var admin: HostAndPort?
    /// Addresses of the first and last meter.
    public var firstMeter: MeterAddress, lastMeter: MeterAddress

    /// The line `meter-sim` prints when ready, e.g.
    /// `meter-sim: 2 terminals on 127.0.0.1:9100-9101, 20 meters 000000000001-000000000020, admin on 127.0.0.1:9180`.
    public var readyLine: String {
        let ports = terminalPorts.count == 1 ? "\(terminalPorts[0])" : "\(terminalPorts[0])-\(terminalPorts[terminalPorts.count - 1])"
        let count = (lastMeter.number ?? 0) - (firstMeter.number ?? 0) + 1
        var line = "meter-sim: \(terminalPorts.count) terminal\(terminalPorts.count == 1 ? "" : "s") on "
            + "\(host.contains(":") ? "[\(host)]" : host):\(ports), "
            + "\(count) meter\(count == 1 ? "" : "s") \(firstMeter)-\(lastMeter)"
        if let admin { line += ", admin on \(admin)" }
        return line
    }
}

/// Runs a `MeterFleet` on TCP: the terminals, and the admin HTTP API when configured.
///
/// In a test:
/// ```swift
/// let fleet = try MeterFleet(configuration: SimConfiguration(terminals: 2, meters: 20), clock: ManualClock(unixSeconds: 1_750_000_000))
/// try await MeterSimulator.withRunning(fleet) { endpoints in
///     // connect to 127.0.0.1:endpoints.terminalPorts[0] …
/// }
/// ```
public enum MeterSimulator {
    /// Binds every listener, runs `body` with the endpoints, then stops everything.
    public static func withRunning<T: Sendable>(
        _ fleet: MeterFleet, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ body: (SimEndpoints) async throws -> T
    ) async throws -> T {
        let configuration = fleet.configuration
        let listeners = try await TerminalServer.bind(host: configuration.host, basePort: configuration.basePort,
                                                      count: configuration.terminals, group: group)
        let ports = listeners.map { $0.channel.localAddress?.port ?? 0 }
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (index, listener) in listeners.enumerated() {
                tasks.addTask { try await TerminalServer.serve(listener, terminal: index, fleet: fleet) }
            }
            var admin: HostAndPort?
            if let adminAddress = configuration.admin {
                let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
                var logger = Logger(label: "meter-sim.admin")
                logger.logLevel = .critical
                let app = Application(
                    router: AdminAPI.router(fleet: fleet),
                    configuration: .init(address: .hostname(adminAddress.host, port: adminAddress.port), serverName: nil),
                    onServerRunning: { channel in
                        portContinuation.yield(channel.localAddress?.port ?? adminAddress.port)
                        portContinuation.finish()
                    },
                    eventLoopGroupProvider: .shared(group),
                    logger: logger
                )
                tasks.addTask {
                    defer { portContinuation.finish() }
                    try await app.run()
                }
                var ports = portStream.makeAsyncIterator()
                guard let port = await ports.next() else {
                    tasks.cancelAll()
                    throw SimulatorError.adminNotStarted
                }
                admin = HostAndPort(host: adminAddress.host, port: port)
            }
            let endpoints = SimEndpoints(host: configuration.host, terminalPorts: ports, admin: admin,
                                         firstMeter: fleet.address(ofMeter: 0),
                                         lastMeter: fleet.address(ofMeter: configuration.meters - 1))
            do {
                let result = try await body(endpoints)
                tasks.cancelAll()
                return result
            } catch {
                tasks.cancelAll()
                throw error
            }
        }
    }

    /// Runs until the calling task is cancelled, calling `onReady` once everything listens.
    public static func run(
        _ fleet: MeterFleet, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onReady: @Sendable (SimEndpoints) async -> Void
    ) async throws {
        try await withRunning(fleet, group: group) { endpoints in
            await onReady(endpoints)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(3600))
            }
        }
    }
}
