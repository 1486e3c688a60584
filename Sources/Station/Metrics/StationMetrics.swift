import DLT645NIO
import BuildVersion
import Foundation
import Prometheus
import Store

/// The station's Prometheus metrics (`GET /metrics`, text format 0.0.4).
///
/// Gauges and cumulative counts are computed at scrape time from what already exists: the
/// collector's and dispatcher's stats snapshots and one read transaction of store aggregates.
/// No background timer runs. The payment → allow-close latency histogram is recorded as
/// acknowledgements happen, by `latency` (wired into the dispatcher).
///
/// ```swift
/// let latency = PaymentLatencyRecorder(store: store)
/// let dispatcher = Dispatcher(core: core, lines: lines, policy: policy, logger: logger,
///                             onAcknowledged: latency.commandAcknowledged)
/// let metrics = StationMetrics(core: core, latency: latency,
///                              collector: { collector.stats }, dispatcher: { dispatcher.stats })
/// let router = APIServer.buildRouter(core: core, tokens: tokens, settings: settings, metrics: metrics)
/// ```
public final class StationMetrics: Sendable {
    /// The MIME type of the text format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    let core: StationCore
    /// The reconnection latency, recorded by the dispatcher's observer.
    public let latency: PaymentLatencyRecorder
    private let collector: (@Sendable () -> CollectorStats)?
    private let dispatcher: (@Sendable () -> DispatcherStats)?
    private let terminalsOnline: (@Sendable () -> [String: Bool])?
    private let apiConnections: (@Sendable () -> APIConnectionStats)?
    private let roundTrips: (@Sendable () -> RoundTripHistogram)?
    private let notifications: (@Sendable () -> NotificationStats)?
    /// API requests by route and status, recorded by the router's outermost middleware.
    public let apiRequests = APIRequestMetrics()
    private let retention: (@Sendable () -> RetentionStats)?
    private let coverage: (@Sendable () -> CollectionCoverage)?

    /// - Parameters:
    ///   - latency: the recorder the dispatcher feeds; a new one (never fed) when nil.
    ///   - collector: the collector's stats; without it the read, cycle and ingest metrics are absent.
    ///   - dispatcher: the dispatcher's stats; without it the `dispatch_*` metrics are absent.
    ///   - terminalsOnline: terminal health by id; by default taken from the collector's stats.
    ///   - apiConnections: the API connection gate's figures; without it the `api_connections_*`
    ///     metrics are absent.
    ///   - roundTrips: every terminal line's round trips together; an empty histogram without it.
    ///   - notifications: the webhook notifier's counts (zeros without a webhook).
    ///   - retention: the retention service's counts; without it `retention_pruned_total` is absent.
    ///   - coverage: the collector's coverage; without it the `collection_coverage_ratio` and
    ///     `collection_stale_meters` metrics are absent.
    public init(core: StationCore, latency: PaymentLatencyRecorder? = nil,
                collector: (@Sendable () -> CollectorStats)? = nil,
                dispatcher: (@Sendable () -> DispatcherStats)? = nil,
                terminalsOnline: (@Sendable () -> [String: Bool])? = nil,
                apiConnections: (@Sendable () -> APIConnectionStats)? = nil,
                roundTrips: (@Sendable () -> RoundTripHistogram)? = nil,
                retention: (@Sendable () -> RetentionStats)? = nil,
                coverage: (@Sendable () -> CollectionCoverage)? = nil,
                notifications: (@Sendable () -> NotificationStats)? = nil) {
        self.notifications = notifications
        self.roundTrips = roundTrips
        self.retention = retention
        self.core = core
        self.latency = latency ?? PaymentLatencyRecorder(store: core.store)
        self.collector = collector
        self.dispatcher = dispatcher
        self.terminalsOnline = terminalsOnline
        self.apiConnections = apiConnections
        self.coverage = coverage
    }

    /// The metrics in the Prometheus text format, as of now.
    public func scrape() async throws -> String {
        String(decoding: try await scrapeBytes(), as: UTF8.self)
    }

    /// `scrape()` as UTF-8 bytes.
    public func scrapeBytes() async throws -> [UInt8] {
        let rules = core.evaluator.rules
        let figures = try await core.store.metricsFigures(defaultAlarm: rules.defaultAlarm.balance,
                                                          defaultTrip: rules.defaultTrip.balance, at: core.clock.now)
        let collected = collector?()
        let online = terminalsOnline?() ?? collected?.terminals.mapValues(\.isOnline) ?? [:]
        let scrape = ScrapeRegistry()
        Self.record(figures, online: online, into: scrape)
        if let collected { Self.record(collected, terminals: figures.terminalIDs, into: scrape) }
        if let dispatched = dispatcher?() { Self.record(dispatched, into: scrape) }
        if let connections = apiConnections?() { Self.record(connections, into: scrape) }
        if let pruned = retention?() {
            scrape.counter(.retentionPruned, pruned.prunedReadings, labels: [("table", "reading")])
            scrape.counter(.retentionPruned, pruned.prunedOutbox, labels: [("table", "outbox")])
            scrape.counter(.retentionPruned, pruned.compactedCharges, labels: [("table", "ledger")])
        }
        if let coverage = coverage?() { Self.record(coverage, into: scrape) }
        scrape.gauge(.buildInfo, 1, labels: [("version", BuildVersion.version)])
        scrape.gauge(.accountBookLoading, core.store.bookIsLoading ? 1 : 0)
        scrape.gauge(.sqliteMemory, StationStore.sqliteMemoryBytes)
        Self.record(try await core.store.pricePushes(), at: core.clock.now, into: scrape)
        Self.record(try await core.reviewTimeliness(), into: scrape)
        Self.record(try await core.store.outboxBacklog(), notifications: notifications?() ?? NotificationStats(), at: core.clock.now,
                    into: scrape)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8192)
        latency.registry.emit(into: &buffer)
        apiRequests.emit(into: &buffer)
        scrape.emit(into: &buffer)
        let commits = core.store.commitTimes
        HistogramText.emit(.storeCommit, buckets: Self.cumulative(CommitTimes.bounds, commits.counts), count: commits.count,
                           sum: commits.sumSeconds, into: &buffer)
        let trips = roundTrips?() ?? RoundTripHistogram()
        // Every fourth of the lines' 48 buckets (×2.44 apart, 1 ms to 18 s): enough for quantiles.
        HistogramText.emit(.meterRoundTrip, buckets: trips.cumulativeBuckets(every: 4).map { ($0.upperBoundSeconds, $0.count) },
                           count: trips.count, sum: Double(trips.sumMicroseconds) / 1e6, into: &buffer)
        return buffer
    }

    /// Per-bucket counts (the last one past every bound) as cumulative counts at each bound.
    static func cumulative(_ bounds: [Double], _ counts: [Int]) -> [(upperBound: Double, cumulative: Int)] {
        var seen = 0
        return bounds.indices.map { index in
            seen += counts[index]
            return (bounds[index], seen)
        }
    }

    static func record(_ f: StoreMetricsFigures, online: [String: Bool], into r: ScrapeRegistry) {
        for (key, count) in f.commands {
            r.gauge(.commands, count, labels: [("kind", key.kind), ("state", key.state)])
        }
        r.gauge(.queueDepth, f.queueDepth)
        r.gauge(.oldestPendingAge, f.oldestPendingAge.inSeconds)
        r.gauge(.reviewItemsOpen, f.openReviewItems)
        for (state, count) in f.accountsByState {
            r.gauge(.accounts, count, labels: [("state", state)])
        }
        r.gauge(.accountsBelowAlarm, f.accountsAtOrBelowAlarm)
        r.gauge(.accountsBelowTrip, f.accountsAtOrBelowTrip)
        r.gauge(.terminals, f.terminalIDs.count)
        var up = 0
        for id in f.terminalIDs {
            let isUp = online[id] == true
            if isUp { up += 1 }
            r.gauge(.terminalUp, isUp ? 1 : 0, labels: [("terminal", id)])
        }
        r.gauge(.terminalsOnline, up)
    }

    /// `terminals` (the provisioned ones) get zero read counts until the collector has read
    /// through them, so that rates start from the first scrape.
    static func record(_ c: CollectorStats, terminals: [String], into r: ScrapeRegistry) {
        var byTerminal = c.terminals
        for id in terminals where byTerminal[id] == nil { byTerminal[id] = CollectorStats.TerminalStats() }
        for (terminal, t) in byTerminal {
            r.counter(.readsOK, t.readsOK, labels: [("terminal", terminal)])
            r.counter(.readsFailed, t.readsFailed, labels: [("terminal", terminal)])
        }
        r.counter(.abnormalReadings, c.abnormalReadings)
        if let cycle = c.lastCycle {
            r.gauge(.cycleDuration, cycle.duration.inSeconds)
            r.gauge(.cycleMaxLag, cycle.maxLag.inSeconds)
        }
        r.gauge(.ingestPending, c.ingest.pending)
        r.counter(.ingestFailedTransactions, c.ingest.failedTransactions)
    }

    static func record(_ d: DispatcherStats, into r: ScrapeRegistry) {
        r.counter(.dispatchSent, d.sent)
        r.counter(.dispatchAcknowledged, d.acknowledged)
        r.counter(.dispatchRetried, d.retried)
        r.counter(.dispatchReviewed, d.reviewed)
        r.counter(.dispatchSuperseded, d.superseded)
        r.gauge(.dispatchInFlight, d.inFlight)
    }

    /// Summed over the pushes still to take effect (zeros when none), so that an alert can ask
    /// "meters not confirmed before a price change"; each push's figures are in the API.
    static func record(_ pushes: [PricePushProgress], at now: Date, into r: ScrapeRegistry) {
        let upcoming = pushes.filter { $0.effective > now }
        r.gauge(.pricePushMeters, upcoming.map(\.confirmed).reduce(0, +), labels: [("state", "confirmed")])
        r.gauge(.pricePushMeters, upcoming.map(\.inReview).reduce(0, +), labels: [("state", "review")])
        r.gauge(.pricePushMeters, upcoming.map(\.outstanding).reduce(0, +), labels: [("state", "outstanding")])
    }

    static func record(_ backlog: OutboxCounts, notifications n: NotificationStats, at now: Date, into r: ScrapeRegistry) {
        r.gauge(.outboxUndelivered, backlog.undelivered)
        r.gauge(.outboxFailing, backlog.failing)
        r.gauge(.outboxOldestAge, backlog.oldestUndeliveredAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        r.counter(.webhookDelivered, n.delivered)
        r.counter(.webhookFailed, n.failed)
    }

    static func record(_ review: ReviewTimeliness, into r: ScrapeRegistry) {
        r.gauge(.reviewItemsOverdue, review.overdueOpen)
        // NaN with none closed: no ratio, not a perfect one (Prometheus takes NaN).
        r.gauge(.reviewOnTimeRatio, review.onTimeRatio ?? .nan)
    }

    /// Every class the collector schedules, and the stale count (0 included).
    static func record(_ c: CollectionCoverage, into r: ScrapeRegistry) {
        for (name, coverage) in c.classes {
            r.gauge(.collectionCoverage, coverage.ratio, labels: [("class", name)])
        }
        r.gauge(.collectionStaleMeters, c.staleCount)
    }

    /// Every reason is written, zero included, so that rates start from the first scrape.
    static func record(_ a: APIConnectionStats, into r: ScrapeRegistry) {
        r.gauge(.apiConnectionsOpen, a.open)
        r.gauge(.apiConnectionsCap, a.cap)
        for reason in APIConnectionRefusal.allCases {
            r.counter(.apiConnectionsRefused, a.refused[reason] ?? 0, labels: [("reason", reason.rawValue)])
        }
    }
}
