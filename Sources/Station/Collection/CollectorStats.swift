import Foundation

/// A snapshot of the collector, for status, stats, metrics and the watchdog.
public struct CollectorStats: Sendable, Hashable {
    /// One terminal's reads.
    public struct TerminalStats: Sendable, Hashable {
        /// Accounts read through this terminal.
        public var meters = 0
        public var readsOK = 0
        public var readsFailed = 0
        /// Failed reads since the last good one (any meter of the terminal).
        public var consecutiveFailures = 0
        public var lastSuccess: Date?
        public var lastFailure: Date?
        public var lastError: String?
        /// The last read succeeded, recently (within the default strategy's staleness).
        public var isOnline = false

        public init() {}
    }

    /// One collection cycle: the reads whose slot fell in one interval of the epoch-aligned grid
    /// of the default strategy.
    public struct CycleSummary: Sendable, Hashable {
        public var index: Int64
        /// The start of the cycle's interval.
        public var start: Date
        public var readsOK: Int
        public var readsFailed: Int
        /// From the start of the interval to the end of its last read: about one interval when the
        /// collector keeps up, more when reads run late.
        public var duration: Duration
        /// The latest any read of the cycle finished after its due instant.
        public var maxLag: Duration
    }

    public var terminals: [String: TerminalStats] = [:]
    /// Accounts scheduled.
    public var meters = 0
    public var readsOK = 0
    public var readsFailed = 0
    /// Meters found not to answer block reads, read item by item.
    public var singleItemMeters = 0
    /// Abnormal readings (not billed, listed for review), as committed.
    public var abnormalReadings = 0
    public var lastCycle: CycleSummary?
    /// The duration of the last complete cycle.
    public var lastCycleDuration: Duration? { lastCycle?.duration }
    /// When the collector last showed it is alive (a loop turn or a finished read), for the
    /// systemd watchdog.
    public var heartbeat: Date?
    /// The group-commit queue.
    public var ingest = IngestStats()

    public init() {}
}

/// Counts the reads of each open cycle and closes cycles in order: a cycle is complete once it
/// is the oldest open one and every read scheduled into it has finished (or been dropped). Reads
/// scheduled into a cycle come from the previous cycle's reads, so by then none can be added.
struct CycleTracker {
    private struct Open {
        var scheduled = 0
        var finished = 0
        var ok = 0
        var failed = 0
        var lastEnd: Date?
        var maxLag: Duration = .zero
    }

    let grid: CollectionSchedule
    private var open: [Int64: Open] = [:]
    private(set) var last: CollectorStats.CycleSummary?

    init(interval: Duration) {
        grid = CollectionSchedule(strategy: ReadingStrategy(interval: interval))
    }

    mutating func scheduled(due: Date) {
        open[grid.cycle(containing: due), default: Open()].scheduled += 1
    }

    /// A read due at `due` finished at `end` (`ok` nil: dropped unread).
    mutating func finished(due: Date, ok: Bool?, at end: Date) {
        let k = grid.cycle(containing: due)
        guard var c = open[k] else { return }
        c.finished += 1
        if let ok {
            if ok { c.ok += 1 } else { c.failed += 1 }
            c.lastEnd = max(c.lastEnd ?? end, end)
            let lag = Duration.milliseconds(max(0, CollectionSchedule.millis(end) - CollectionSchedule.millis(due)))
            c.maxLag = max(c.maxLag, lag)
        }
        open[k] = c
        closeCompleted()
    }

    private mutating func closeCompleted() {
        while let k = open.keys.min(), let c = open[k], c.finished >= c.scheduled {
            open.removeValue(forKey: k)
            guard let end = c.lastEnd else { continue }
            let start = grid.start(ofCycle: k)
            last = CollectorStats.CycleSummary(
                index: k, start: start, readsOK: c.ok, readsFailed: c.failed,
                duration: .milliseconds(max(0, CollectionSchedule.millis(end) - CollectionSchedule.millis(start))),
                maxLag: c.maxLag)
        }
    }
}
