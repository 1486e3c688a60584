import ChargeControl
import DLT645
import DLT645NIO
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals
import StationConfig
import Store
import StorePostgres
import Synchronization
import Systemd
import Tariffs

/// The running station: the store, the rules, the terminal lines and every long-running part
/// as a `Service`, wired from a loaded configuration into one `ServiceGroup` (DocC: Services).
/// `chargecontrold` parses its arguments, sets up logging and runs this; tests run it in process.
public struct StationServices: Sendable {
    public let loaded: LoadedConfiguration
    let logger: Logger
    let logLevel: LogLevelControl
    /// The `--tokens-file` override, kept for reloads.
    let tokensFile: String?
    /// The ingest queue's group commit (tests hold readings back with a long `maxDelay`).
    public var ingest = IngestQueue.Configuration()
    /// Whether READY=1, STATUS=, WATCHDOG=1 and STOPPING=1 go to `NOTIFY_SOCKET` (false in
    /// process tests: the variable is the test process's).
    public var notifiesSystemd = true

    public init(loaded: LoadedConfiguration, logger: Logger, logLevel: LogLevelControl, tokensFile: String? = nil) {
        self.loaded = loaded
        self.logger = logger
        self.logLevel = logLevel
        self.tokensFile = tokensFile
    }

    /// The group and the parts a caller may watch (tests: the ingest queue's figures, readiness).
    public struct Running: Sendable {
        public let group: ServiceGroup
        public let core: StationCore
        public let ingest: IngestQueue
        public let collector: Collector
        public let dispatcher: Dispatcher
        /// The names of the services in start order (they stop in the reverse order).
        public let order: [String]
        /// True once the API is bound and READY=1 has gone out.
        public let isReady: @Sendable () -> Bool
    }

    /// Builds and runs the station until SIGTERM or SIGINT shuts it down gracefully.
    public func run() async throws {
        let running = try await build(gracefulShutdownSignals: [.sigterm, .sigint])
        try await running.group.run()
        logger.notice("stopped", metadata: ["event": "stopped"])
    }

    /// Opens the store and builds every service, in this order (a group stops them in reverse):
    /// the terminal lines (stop last: the dispatcher and collector use them), the account rows
    /// written behind (stop after the ingest queue, folding every reading it committed), the ingest queue
    /// (commits what the collector handed it), the collector, the dispatcher (finishes the
    /// dispatches under way), the notifier when a webhook is set, retention unless both its
    /// limits are off, the work-order watch, the watchdog, the reloader, the API (stops taking
    /// requests early), and the stop notice (first to hear of a shutdown, so systemd learns at once).
    public func build(gracefulShutdownSignals: [UnixSignal] = []) async throws -> Running {
        let configuration = loaded.configuration
        // First, so that the database and the lines open under the raised limit.
        let descriptors = DescriptorBudget.raisingSoftLimit()
        let notifier = ServiceNotifier(enabled: notifiesSystemd)
        let clock = SystemStationClock()
        let store = try await openStore(configuration.station.database, clock: clock, notifier: notifier)
        // A PostgreSQL station's daemon is one node of several: it acts only for the terminals it
        // leases, stopping a third of the lease time before a lease it could not renew lapses.
        let postgres = PostgresLocation.isURL(configuration.station.database) ? try PostgresLocation(url: configuration.station.database) : nil
        if postgres != nil { store.cluster.join(node: configuration.cluster.node, margin: configuration.cluster.lease / 3) }
        // Before any service can open a review item.
        try await store.setReviewDueTimes(ReviewDueTimes(configuration.review))
        let core = StationCore(store: store, evaluator: Evaluator(rules: EvaluationRules(configuration, tariffs: loaded.tariffs)), clock: clock, logger: logger)

        // Commands a crash left in flight are put back by the dispatcher when it starts.
        let lines = TerminalLines { terminal in
            TerminalLineConfiguration(host: terminal.host, port: terminal.port, requestTimeout: configuration.collection.timeout)
        }
        let terminalCount = TerminalCount()
        let terminals = try await store.terminals()
        // The lines a node opens follow its leases (`LeaseService`); a solo daemon opens them all.
        let leased: @Sendable ([TerminalRecord]) -> [TerminalRecord] = { [cluster = store.cluster] terminals in
            cluster.isClustered ? terminals.filter { cluster.holds(terminal: $0.id) } : terminals
        }
        lines.update(leased(terminals))
        terminalCount.set(terminals)

        let ingest = IngestQueue(core: core, configuration: self.ingest, logger: logger)
        let collection = configuration.collection
        let collector = Collector(
            core: core, lines: lines, ingest: ingest,
            configuration: Collector.Configuration(
                strategy: ReadingStrategy(collection.standard), timeZone: configuration.station.timeZone,
                clockCheckPeriod: collection.clockCheck,
                // A node of several hears of accounts another node's API added only here.
                refreshInterval: postgres != nil ? .seconds(30) : .seconds(300),
                strategies: { ReadingStrategy(collection.strategy(forClass: $0.customerClass)) }),
            logger: logger)
        let latency = PaymentLatencyRecorder(store: store, logger: logger)
        let dispatcher = Dispatcher(core: core, lines: lines, policy: try dispatchPolicy(), logger: logger,
                                    onAcknowledged: latency.commandAcknowledged)
        let connections = apiConnectionGate(descriptors, terminals: terminalCount)
        let retention = RetentionService(store: store, settings: configuration.retention, clock: clock, logger: logger,
                                         timeZone: configuration.station.timeZone)
        // Outbox rows are always written with the decisions; they are delivered when a webhook is configured.
        let delivery = configuration.notify.url.map {
            NotificationDelivery(store: store, url: $0, clock: clock, logger: logger, signal: core.outboxSignal)
        }
        let metrics = StationMetrics(core: core, latency: latency, collector: { collector.stats }, dispatcher: { dispatcher.stats },
                                     terminalsOnline: { collector.stats.terminals.mapValues(\.isOnline) },
                                     apiConnections: { connections.stats },
                                     roundTrips: { lines.health.values.reduce(RoundTripHistogram()) { $0.merged(with: $1.roundTrips) } },
                                     retention: { retention.stats }, coverage: { collector.coverage() },
                                     notifications: { delivery?.stats ?? NotificationStats() })
        // The watchdog's signals, judged loop by loop, and the store's writes.
        let healthCheck = HealthCheck(gate: WatchdogGate(freshness: WatchdogGate.standardFreshness, startedAt: clock.now))
        let health: @Sendable () -> [HealthProblem] = {
            healthCheck.problems(collectorHeartbeat: collector.stats.heartbeat, dispatcherHeartbeat: dispatcher.stats.lastHeartbeat,
                                 store: store.writeHealth, at: clock.now)
        }
        core.whenProvisioningChanges { [logger] in
            do {
                let terminals = try await store.terminals()
                lines.update(leased(terminals))
                terminalCount.set(terminals)
            } catch {
                logger.error("cannot reload terminals: \(error)")
            }
            collector.accountsChanged()
        }

        let ready = ReadyFlag()
        let tokens = LiveTokens(loaded.tokens)
        let api = try await apiServer(core: core, tokens: tokens, metrics: metrics, connections: connections, notifier: notifier,
                                      ready: ready, terminalsOnline: { collector.stats.terminals.mapValues(\.isOnline) },
                                      lines: lines, terminalReads: { collector.stats.terminals }, health: health,
                                      coverage: { collector.coverage() })
        let watchdog = watchdogService(store: store, notifier: notifier, collector: collector, dispatcher: dispatcher, ready: ready)
        let reloader = Reloader(file: loaded.file, tokensFile: tokensFile, initial: loaded, core: core, tokens: tokens, notifier: notifier,
                                logLevel: logLevel, logger: logger)
        var services: [(name: String, service: any Service)] = []
        if let postgres {
            // First, so last to stop: its leases are released once nothing acts under them.
            services.append(("leases", LeaseService(store: store, settings: configuration.cluster, clock: clock, logger: logger) { _ in
                do {
                    lines.update(leased(try await store.terminals()))
                } catch {
                    logger.error("cannot read the terminals to follow the leases: \(error)", metadata: ["event": "lease"])
                }
                collector.accountsChanged()
                dispatcher.leasesChanged()
            }))
            services.append(("cluster changes", ClusterChangesService(location: postgres, store: store, dispatcher: dispatcher, logger: logger)))
        }
        services += [
            ("terminal lines", lines), ("account rows", AccountRowsService(store: store, logger: logger)), ("ingest", ingest), ("collector", collector), ("dispatcher", dispatcher),
        ]
        if let delivery { services.append(("notifications", delivery)) }
        if configuration.retention.readings != nil || configuration.retention.outbox != nil {
            services.append(("retention", retention))
        }
        services += [("work orders", WorkOrderWatch(store: store, clock: clock, logger: logger)),
                     ("watchdog", watchdog), ("reload", reloader), ("api", api), ("stop notice", StopNotice(notifier: notifier))]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { .init(service: $0.service) },
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger))
        return Running(group: group, core: core, ingest: ingest, collector: collector, dispatcher: dispatcher,
                       order: services.map(\.name), isReady: { ready.isSet })
    }

    /// The HTTP API: READY=1 goes out once it is bound.
    private func apiServer(core: StationCore, tokens: LiveTokens, metrics: StationMetrics, connections: APIConnectionGate, notifier: ServiceNotifier,
                           ready: ReadyFlag, terminalsOnline: @escaping @Sendable () -> [String: Bool], lines: TerminalLines,
                           terminalReads: @escaping @Sendable () -> [String: CollectorStats.TerminalStats],
                           health: @escaping @Sendable () -> [HealthProblem],
                           coverage: @escaping @Sendable () -> CollectionCoverage) async throws
        -> some Service
    {
        let configuration = loaded.configuration
        let accounts = try await core.store.accountCount()
        let listen = configuration.api.listen
        var settings = APIServerSettings(timeZone: configuration.station.timeZone, dispatchDeadline: configuration.dispatch.deadline,
                                         terminalsOnline: terminalsOnline, lines: lines, terminalReads: terminalReads)
        settings.readingDay = configuration.billing.readingDay
        settings.liveReadBound = configuration.meters.liveReadTimeout
        settings.backups = StationBackups(core: core, folder: configuration.station.backups, database: configuration.station.database)
        settings.health = health
        settings.coverage = coverage
        if core.store.cluster.isClustered { settings.clusterLease = configuration.cluster.lease }
        return APIServer.application(
            router: APIServer.buildRouter(core: core, tokens: tokens, settings: settings, metrics: metrics),
            host: listen.host, port: listen.port, logger: logger, connections: connections,
            onServerRunning: { [logger] in
                notifier.ready()
                ready.set()
                notifier.status("\(accounts) accounts; API on \(listen)")
                logger.notice("ready: \(accounts) accounts, API on \(listen)", metadata: ["event": "ready"])
            })
    }

    /// The systemd watchdog: pings while collection and dispatch show heartbeats; keeps STATUS=
    /// current (commands, review, collection coverage, last cycle).
    private func watchdogService(store: StationStore, notifier: ServiceNotifier, collector: Collector, dispatcher: Dispatcher,
                                 ready: ReadyFlag) -> WatchdogService {
        WatchdogService(
            notifier: notifier, logger: logger, heartbeats: { [collector.stats.heartbeat, dispatcher.stats.lastHeartbeat] },
            isReady: { ready.isSet },
            status: {
                guard let counts = try? await store.commandCounts(), let review = try? await store.openReviewCount() else { return nil }
                let pending = (counts[.pending] ?? 0) + (counts[.inFlight] ?? 0)
                let cycle = collector.stats.lastCycleDuration
                    .map { " last cycle \($0.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))" } ?? ""
                return "commands pending \(pending), review \(review), \(collector.coverage(staleLimit: 0).statusText)\(cycle)"
            })
    }

    /// The API's connection gate: the cap follows the descriptor budget and the terminals
    /// provisioned at each new connection. Logs the limit and the cap it starts with.
    private func apiConnectionGate(_ descriptors: DescriptorBudget, terminals: TerminalCount) -> APIConnectionGate {
        let api = loaded.configuration.api
        let cap: @Sendable () -> Int = { descriptors.apiCap(configured: api.maxConnections, terminals: terminals.value) }
        let raised = descriptors.raisedFrom.map { " (raised from \($0))" } ?? ""
        let failure = descriptors.raiseFailure.map { "; could not raise the soft limit to the hard one: \($0)" } ?? ""
        let left = descriptors.left(terminals: terminals.value)
        logger.notice("""
            descriptor limit \(descriptors.softLimit)\(raised), hard \(descriptors.hardLimit)\(failure); API connections capped at \(cap()) \
            (max_connections \(api.maxConnections); limit − reserve \(DescriptorBudget.fixedReserve) − \(terminals.value) terminals = \
            \(left)), idle_timeout \(api.idleTimeout.configText), body_timeout \(api.bodyTimeout.configText)
            """, metadata: ["event": "api_limits"])
        if left < DescriptorBudget.minimumCap {
            logger.warning("""
                the descriptor limit \(descriptors.softLimit) leaves no room for API connections beside \(terminals.value) terminals: \
                raise LimitNOFILE
                """, metadata: ["event": "api_limits"])
        }
        return APIConnectionGate(limits: APIConnectionLimits(cap: cap, idleTimeout: api.idleTimeout, bodyTimeout: api.bodyTimeout),
                                 logger: logger)
    }

    /// Opens the database: a SQLite file, creating its folder when it is missing (the demo's
    /// `demo-run/`; under systemd `StateDirectory=` makes it), or a PostgreSQL station. While
    /// migrations run, systemd's start timeout is extended (a large database may take minutes);
    /// a newer schema is refused untouched.
    private func openStore(_ database: String, clock: some StationClock, notifier: ServiceNotifier) async throws -> StationStore {
        var timeout: StartTimeoutExtension?
        defer { timeout?.stop() }
        let announce = { [logger] (schema: SchemaState) in
            let status = "migrating schema to \(schema.latestKnown) (\(schema.pending.count) migrations)"
            logger.notice("\(status): \(schema.pending.joined(separator: ", "))", metadata: ["event": "migrate"])
            timeout = StartTimeoutExtension(notifier: notifier, status: status)
        }
        // The account book loads behind READY=1 (`AccountRowsService`): p6, a million accounts.
        if PostgresLocation.isURL(database) {
            let location = try PostgresLocation(url: database)
            logger.notice("station database: PostgreSQL at \(location)", metadata: ["event": "database"])
            return try await StationStore.open(postgres: location, now: { clock.now }, loadBookBehind: true, beforeMigrating: announce)
        }
        let folder = (database as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        }
        return try StationStore.open(path: database, now: { clock.now }, loadBookBehind: true, beforeMigrating: announce)
    }

    /// The dispatcher's settings from `[dispatch]`, `[meters]` and the station zone.
    private func dispatchPolicy() throws -> DispatchPolicy {
        let c = loaded.configuration
        return DispatchPolicy(
            maxAttempts: c.dispatch.maxAttempts, backoffInitial: c.dispatch.backoffInitial, backoffMax: c.dispatch.backoffMax,
            password: try Password(c.meters.password.secretHexDigits), operatorCode: try OperatorCode(c.meters.operatorCode.hexDigits),
            timeZone: c.station.timeZone, clockToleranceSeconds: c.meters.clockTolerance.components.seconds)
    }
}

/// The terminals provisioned now (one line, one descriptor each), for the API's cap.
final class TerminalCount: Sendable {
    private let count = Mutex(0)
    func set(_ terminals: [TerminalRecord]) { count.withLock { $0 = terminals.count } }
    var value: Int { count.withLock { $0 } }
}

/// Set once the API is bound and READY=1 has gone out.
final class ReadyFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

/// Tells systemd STOPPING=1 as soon as a graceful shutdown begins: last in the group, so the
/// first to hear of it, then done.
struct StopNotice: Service {
    let notifier: ServiceNotifier

    func run() async {
        // Thrown on cancellation: a group cancelled (not shut down) tells systemd nothing more.
        guard (try? await gracefulShutdown()) != nil else { return }
        notifier.stopping()
    }
}

extension TerminalLines: Service {}
extension IngestQueue: Service {}
extension Collector: Service {}
extension Dispatcher: Service {}
extension NotificationDelivery: Service {}
extension WatchdogService: Service {}
