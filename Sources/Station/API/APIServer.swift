import Foundation
import Hummingbird
import HummingbirdCore
import Logging

/// What the API needs besides the station itself.
public struct APIServerSettings: Sendable {
    /// Instants in responses are written in this zone (the station's).
    public var timeZone: TimeZone
    /// A command retried from job review gets a new validity deadline this far from now
    /// (`[dispatch] deadline`).
    public var dispatchDeadline: Duration
    /// Terminal health by terminal id (true = online), owned by the collector; terminals it does
    /// not list count as offline in the stats.
    public var terminalsOnline: @Sendable () -> [String: Bool]
    /// The terminal lines, for on-demand reads and terminal condition (nil: no lines, every
    /// terminal offline and live reads answer 504).
    public var lines: TerminalLines?
    /// The collector's reads per terminal id.
    public var terminalReads: @Sendable () -> [String: CollectorStats.TerminalStats]
    /// The bound of one on-demand read (`GET /v1/meters/ADDR/live`), all its requests together.
    public var liveReadBound: Duration
    /// The day billing months start on (`[billing] reading_day`), for statements.
    public var readingDay: Int = 1
    /// Where `POST /v1/backup` writes; nil: the route answers 503.
    public var backups: StationBackups?
    /// What keeps the station from making progress now (`/healthz`; `HealthCheck`); none: healthy.
    public var health: @Sendable () -> [HealthProblem]
    /// The collector's coverage of the controlled meters (`/v1/stats`); nil: no collector.
    public var coverage: (@Sendable () -> CollectionCoverage)?
    /// `[cluster] lease` of a node of several (`GET /v1/cluster`); nil for a solo daemon.
    public var clusterLease: Duration?

    public init(timeZone: TimeZone, dispatchDeadline: Duration,
                terminalsOnline: @escaping @Sendable () -> [String: Bool] = { [:] },
                lines: TerminalLines? = nil,
                terminalReads: @escaping @Sendable () -> [String: CollectorStats.TerminalStats] = { [:] },
                liveReadBound: Duration = .seconds(5), backups: StationBackups? = nil,
                health: @escaping @Sendable () -> [HealthProblem] = { [] },
                coverage: (@Sendable () -> CollectionCoverage)? = nil) {
        self.backups = backups
        self.timeZone = timeZone
        self.dispatchDeadline = dispatchDeadline
        self.terminalsOnline = terminalsOnline
        self.lines = lines
        self.terminalReads = terminalReads
        self.liveReadBound = liveReadBound
        self.health = health
        self.coverage = coverage
    }
}

/// The station's HTTP API (INTERFACES.md "HTTP API"): routes, bearer tokens with roles, JSON
/// errors, and `GET /metrics` (Prometheus text, viewer or operator token).
public enum APIServer {
    /// Every route of the API on one router: `/healthz` without authentication, `/v1/…` and
    /// `/metrics` behind bearer tokens. Without `metrics`, `/metrics` shows the store's figures
    /// and terminal health only (no collector, dispatcher or latency figures).
    public static func buildRouter(core: StationCore, tokens: APITokens, settings: APIServerSettings,
                                   metrics: StationMetrics? = nil) -> Router<APIRequestContext> {
        buildRouter(core: core, tokens: LiveTokens(tokens), settings: settings, metrics: metrics)
    }

    /// `buildRouter` with tokens a reload can replace while it serves.
    public static func buildRouter(core: StationCore, tokens: LiveTokens, settings: APIServerSettings,
                                   metrics: StationMetrics? = nil) -> Router<APIRequestContext> {
        let metrics = metrics ?? StationMetrics(core: core, terminalsOnline: settings.terminalsOnline)
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: APIMetricsMiddleware(metrics: metrics.apiRequests))
        router.add(middleware: APIErrorMiddleware())
        HealthRoutes.register(on: router, health: settings.health)
        let v1 = router.group("v1").add(middleware: BearerAuthMiddleware(tokens: tokens))
        let routes = APIRoutes(group: v1, station: APIStation(core: core, settings: settings))
        TerminalRoutes.register(routes)
        AccountRoutes.register(routes)
        AccountListRoutes.register(routes)
        StatementRoutes.register(routes)
        PaymentRoutes.register(routes)
        AdjustmentRoutes.register(routes)
        FeeControlRoutes.register(routes)
        PricePushRoutes.register(routes)
        CommandRoutes.register(routes)
        MeterRoutes.register(routes)
        ReviewRoutes.register(routes)
        WorkOrderRoutes.register(routes)
        StatsRoutes.register(routes)
        ClusterRoutes.register(routes)
        AuditRoutes.register(routes)
        BackupRoutes.register(routes)
        MetricsRoute.register(on: router, tokens: tokens, station: routes.station,
                              metrics: metrics)
        return router
    }

    /// A Hummingbird application serving `router` on `host:port`; run it as a service of the
    /// daemon's `ServiceGroup` (it is one). `onServerRunning` is called once the socket is bound
    /// (the place for `READY=1`). With `connections`, every connection passes its gate: capped,
    /// idle ones evicted for new ones, and cut when its request head or body is too slow.
    public static func application(
        router: Router<APIRequestContext>, host: String, port: Int, logger: Logger,
        connections: APIConnectionGate? = nil,
        onServerRunning: @escaping @Sendable () async -> Void = {}
    ) -> Application<RouterResponder<APIRequestContext>> {
        // The gate's handler replaces Hummingbird's idleTimeout (left nil), which a byte a
        // second would keep resetting.
        let server: HTTPServerBuilder = connections.map { gate in
            .http1(configuration: HTTP1Channel.Configuration(additionalChannelHandlers: [gate.makeHandler()]))
        } ?? .http1()
        return Application(router: router, server: server,
                           configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "chargecontrold",
                                                                   availableConnectionsDelegate: connections?.acceptBackstop),
                           onServerRunning: { _ in await onServerRunning() }, logger: logger)
    }
}

/// `GET /healthz`, no token needed: 200 `{"status": "ok"}` while collection, dispatch and the
/// store make progress, else 503 `{"status": "degraded", "problems": [{"code", "detail"}]}`
/// (`HealthProblem.Code` lists the codes).
enum HealthRoutes {
    struct Degraded: Encodable {
        let status = "degraded"
        let problems: [HealthProblem]
    }

    static func register(on router: Router<APIRequestContext>, health: @escaping @Sendable () -> [HealthProblem]) {
        router.get("healthz") { _, _ in
            let problems = health()
            return problems.isEmpty ? try JSONResponse.make(["status": "ok"])
                : try JSONResponse.make(Degraded(problems: problems), status: .serviceUnavailable)
        }
    }
}
