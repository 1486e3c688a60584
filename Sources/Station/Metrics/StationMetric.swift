import Prometheus

/// One metric family the station exposes on `/metrics`: its full name (prefix `chargecontrol_`)
/// and its `# HELP` text. The catalogue below is the list the Grafana dashboard and the docs use.
public struct StationMetric: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let help: String

    init(_ name: String, _ help: String) {
        self.name = "chargecontrol_" + name
        self.help = help
    }

    var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }

    public var description: String { name }
}

extension StationMetric {
    // MARK: collection (from the collector's stats)
    static let readsOK = StationMetric("reads_ok_total", "Meter reads that succeeded, by terminal, since the daemon started.")
    static let readsFailed = StationMetric("reads_failed_total", "Meter reads that failed, by terminal, since the daemon started.")
    static let abnormalReadings = StationMetric(
        "abnormal_readings_total", "Readings found abnormal (not billed, listed for review) since the daemon started.")
    static let cycleDuration = StationMetric(
        "collection_cycle_duration_seconds", "Duration of the last complete collection cycle, from its start to its last read.")
    static let cycleMaxLag = StationMetric(
        "collection_cycle_max_lag_seconds", "Latest any read of the last complete cycle finished after its due instant.")
    static let ingestPending = StationMetric("ingest_pending_readings", "Readings waiting for the next group commit.")
    static let ingestFailedTransactions = StationMetric(
        "ingest_failed_transactions_total", "Group-commit transactions that failed as a whole since the daemon started.")

    // MARK: retention (from the retention service)
    static let retentionPruned = StationMetric(
        "retention_pruned_total", "Rows retention removed since the daemon started, by table: reading, outbox, ledger (charges folded into one entry per account and day).")

    // MARK: terminals
    static let terminalUp = StationMetric("terminal_up", "1 when the terminal's last read succeeded recently, else 0.")
    static let terminals = StationMetric("terminals", "Terminals provisioned.")
    static let terminalsOnline = StationMetric("terminals_online", "Terminals whose last read succeeded recently.")

    // MARK: price pushes (from the store)
    static let pricePushMeters = StationMetric(
        "price_push_meters",
        "Meters of the price pushes still to take effect, by state: confirmed (every write read back), review, outstanding.")

    // MARK: commands and review (from the store)
    static let commands = StationMetric(
        "commands", "Commands still to settle, by kind and state (pending, in_flight, review); settled ones: dispatch_*_total.")
    static let queueDepth = StationMetric("command_queue_depth", "Commands pending or in flight (deferred trips included).")
    static let oldestPendingAge = StationMetric(
        "command_oldest_pending_age_seconds",
        "How long the longest-waiting due pending command has waited since it became due (0 when none).")
    static let reviewItemsOpen = StationMetric("review_items_open", "Job-review items still open.")
    static let reviewItemsOverdue = StationMetric("review_items_overdue", "Job-review items open past their due time ([review] due).")
    static let reviewOnTimeRatio = StationMetric(
        "review_on_time_ratio",
        "Job-review items closed by their due time ÷ items closed, last 30 days (NaN with none closed).")

    // MARK: accounts (from the store)
    static let accounts = StationMetric("accounts", "Cost-controlled accounts by control state.")
    static let accountsBelowAlarm = StationMetric(
        "accounts_below_alarm", "Accounts whose balance is at or below their alarm threshold.")
    static let accountsBelowTrip = StationMetric(
        "accounts_below_trip", "Accounts whose balance is at or below their trip threshold (protected ones included).")
    static let accountBookLoading = StationMetric(
        "account_book_loading", "1 while the account book still loads behind the start (accounts are read from their rows meanwhile), else 0.")

    // MARK: dispatch (from the dispatcher's stats)
    static let dispatchSent = StationMetric("dispatch_sent_total", "Remote-control requests put on a line since the daemon started.")
    static let dispatchAcknowledged = StationMetric(
        "dispatch_acknowledged_total", "Commands the meters acknowledged since the daemon started.")
    static let dispatchRetried = StationMetric("dispatch_retried_total", "Failed sends put back for a later attempt.")
    static let dispatchReviewed = StationMetric("dispatch_reviewed_total", "Commands moved to job review by the dispatcher.")
    static let dispatchSuperseded = StationMetric(
        "dispatch_superseded_total", "Commands dropped before sending because the policy no longer wanted them.")
    static let dispatchInFlight = StationMetric("dispatch_in_flight", "Commands being dispatched now.")

    // MARK: payment → reconnection (recorded as acknowledgements happen)
    static let paymentLatency = StationMetric(
        "payment_allow_close_latency_seconds",
        "From a payment's receipt to the meter's acknowledgement of the allow-close or direct close it caused.")
    static let reconnectionsWithoutPayment = StationMetric(
        "reconnections_without_payment_total",
        "Acknowledged allow-close or direct close commands with no payment just before them (not in the latency histogram).")

    // MARK: API connections (from the connection gate, issue 17)
    static let apiConnectionsOpen = StationMetric("api_connections_open", "HTTP API connections open now.")
    static let apiConnectionsCap = StationMetric(
        "api_connections_cap",
        "The most HTTP API connections open at once: [api] max_connections lowered to the descriptor limit minus the reserve and the terminals.")
    static let apiConnectionsRefused = StationMetric(
        "api_connections_refused_total",
        "HTTP API connections the station closed, by reason: cap (new, every connection busy), evicted (idle, to make room), idle_timeout, body_timeout.")

    // MARK: notifications (outbox backlog from the store, deliveries from the notifier)
    static let outboxUndelivered = StationMetric("outbox_undelivered", "Customer notifications written and not yet delivered (failing ones included).")
    static let outboxFailing = StationMetric("outbox_failing", "Undelivered notifications whose delivery failed at least once.")
    static let outboxOldestAge = StationMetric(
        "outbox_oldest_undelivered_age_seconds", "How long the oldest undelivered notification has waited (0 when none).")
    static let webhookDelivered = StationMetric("webhook_delivered_total", "Notifications the webhook took since the daemon started.")
    static let webhookFailed = StationMetric("webhook_failed_total", "Failed webhook attempts (each retried) since the daemon started.")

    // MARK: timings (histograms)
    static let apiRequests = StationMetric("api_requests_total", "HTTP API requests answered, by route template, method and status.")
    static let apiRequestDuration = StationMetric(
        "api_request_duration_seconds", "HTTP API request latency, from the request's arrival to its answer, by route template and method.")
    static let storeCommit = StationMetric(
        "store_commit_seconds", "Duration of the store's group-commit rounds (one write transaction each, start to commit).")
    static let meterRoundTrip = StationMetric(
        "meter_round_trip_seconds", "Meter request round trips (written to the terminal → reply matched), every line together.")

    // MARK: health and versions (issue 14)
    static let collectionCoverage = StationMetric(
        "collection_coverage_ratio",
        "Share of the meters the collector schedules read within their interval, by customer class (class=\"default\": none).")
    static let collectionStaleMeters = StationMetric(
        "collection_stale_meters", "Meters the collector schedules that were not read within their interval.")
    static let sqliteMemory = StationMetric(
        "sqlite_memory_bytes", "Bytes SQLite holds in memory in this process (page caches, statements), every connection together.")
    static let buildInfo = StationMetric("build_info", "Always 1; the version label says which chargecontrold runs.")

    /// Every family, in the order the docs list them.
    public static let all: [StationMetric] = [
        readsOK, readsFailed, abnormalReadings, cycleDuration, cycleMaxLag, ingestPending, ingestFailedTransactions,
        terminalUp, terminals, terminalsOnline, commands, queueDepth, oldestPendingAge, reviewItemsOpen, reviewItemsOverdue, reviewOnTimeRatio,
        accounts, accountsBelowAlarm, accountsBelowTrip, accountBookLoading,
        dispatchSent, dispatchAcknowledged, dispatchRetried, dispatchReviewed, dispatchSuperseded, dispatchInFlight,
        paymentLatency, reconnectionsWithoutPayment,
        apiConnectionsOpen, apiConnectionsCap, apiConnectionsRefused, pricePushMeters, retentionPruned,
        apiRequests, apiRequestDuration, storeCommit, meterRoundTrip,
        outboxUndelivered, outboxFailing, outboxOldestAge, webhookDelivered, webhookFailed,
        collectionCoverage, collectionStaleMeters, sqliteMemory, buildInfo,
    ]
}
