import ChargeControl
import DLT645NIO
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Station
import StationConfig
import Store
import Systemd
import Tariffs

/// The running daemon: the store, the rules, the terminal lines and the services, wired and run
/// in one `ServiceGroup` that stops gracefully on SIGTERM or SIGINT.
struct StationDaemon {
    let loaded: LoadedConfiguration
    let logger: Logger

    func run() async throws {
        let configuration = loaded.configuration
        let notifier = ServiceNotifier()
        let store = try openStore(configuration.station.database)
        let clock = SystemStationClock()
        let core = StationCore(store: store, evaluator: Evaluator(rules: rules()), clock: clock, logger: logger)

        let recovered = try await store.recoverInFlight(at: clock.now)
        if recovered > 0 {
            logger.notice("\(recovered) commands were in flight at the last stop; they go out again", metadata: ["event": "recovery"])
        }
        let lines = TerminalLines { terminal in
            TerminalLineConfiguration(host: terminal.host, port: terminal.port, requestTimeout: configuration.collection.timeout)
        }
        lines.update(try await store.terminals())
        core.whenProvisioningChanges { [logger] in
            do { lines.update(try await store.terminals()) } catch {
                logger.error("cannot reload terminals: \(error)")
            }
        }

        let accounts = try await store.allAccounts().count
        let listen = configuration.api.listen
        let api = APIServer.application(
            router: APIServer.buildRouter(
                core: core, tokens: loaded.tokens,
                settings: APIServerSettings(timeZone: configuration.station.timeZone, dispatchDeadline: configuration.dispatch.deadline,
                                            terminalsOnline: { lines.health.mapValues(\.isConnected) })),
            host: listen.host, port: listen.port, logger: logger,
            onServerRunning: { [logger] in
                notifier.ready()
                notifier.status("\(accounts) accounts; API on \(listen)")
                logger.notice("ready: \(accounts) accounts, API on \(listen)", metadata: ["event": "ready"])
            })

        let services: [any Service] = [RunService(name: "terminal lines", lines.run, stop: lines.shutdown), api]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        notifier.stopping()
        logger.notice("stopped", metadata: ["event": "stopped"])
    }

    /// Opens the database, creating its folder when it is missing (the demo's `demo-run/`;
    /// under systemd `StateDirectory=` makes it).
    private func openStore(_ path: String) throws -> StationStore {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        }
        return try StationStore.open(path: path)
    }

    /// The evaluation rules from the configuration and the loaded tariffs.
    private func rules() -> EvaluationRules {
        let c = loaded.configuration
        return EvaluationRules(
            tariffs: loaded.tariffs, policy: ControlPolicy(calendar: c.control.calendar), limits: c.validation,
            defaultAlarm: c.control.defaults.alarm, defaultTrip: c.control.defaults.trip,
            reconnectMargin: c.control.defaults.reconnectMargin, commandLifetime: c.dispatch.deadline)
    }
}

/// Adapts a `run()` that returns on cancellation into a ServiceLifecycle service.
struct RunService: Service {
    let name: String
    let body: @Sendable () async -> Void
    let stop: @Sendable () -> Void

    init(name: String, _ body: @escaping @Sendable () async -> Void, stop: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.body = body
        self.stop = stop
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await body()
        } onGracefulShutdown: {
            stop()
        }
    }
}
