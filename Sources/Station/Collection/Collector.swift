import DLT645
import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization
import Wakeup

/// Reads every account's meter on schedule through its terminal's line and hands the readings to
/// the `IngestQueue`.
///
/// - Each meter has a slot in its strategy's interval (`CollectionSchedule`); a terminal's meters
///   are read in slot order by `readsPerTerminal` workers (the line keeps one request on the
///   wire; a second one queued keeps the bus busy between replies), terminals in parallel.
/// - Each meter's clock is read once per `clockCheckPeriod`; after a start, the first check of
///   a meter read before is spread over the period (`MeterReader.readsBeforeFirstClockCheck`).
/// - A failed read (timeout, offline, no line) is counted in the terminal's stats and the meter
///   waits for its next slot: no immediate retry.
/// - The account list is reloaded every `refreshInterval` and at once after `accountsChanged()`.
///
/// ```swift
/// let ingest = IngestQueue(core: core, logger: logger)
/// let collector = Collector(core: core, lines: lines, ingest: ingest,
///                           configuration: .init(strategy: .init(interval: .seconds(900)), timeZone: zone),
///                           logger: logger)
/// group.addTask { await ingest.run() }
/// group.addTask { await collector.run() }
/// ```
public final class Collector: Sendable {
    public struct Configuration: Sendable {
        /// The strategy of each account (by customer class, when there are classes).
        public var strategy: @Sendable (MeterAssignment) -> ReadingStrategy
        /// The default strategy: its interval is the cycle of the stats, its staleness the
        /// window in which a terminal counts as online.
        public var standard: ReadingStrategy
        /// The meters' civil time zone (the station's).
        public var timeZone: TimeZone
        /// One request's timeout; nil uses the line's own (`[collection] timeout` normally).
        public var readTimeout: Duration?
        /// Reads outstanding per terminal at most.
        public var readsPerTerminal: Int
        /// How often each meter's clock is read (besides its first read).
        public var clockCheckPeriod: Duration
        /// How often the account list is reloaded without `accountsChanged()`.
        public var refreshInterval: Duration
        /// The longest the collector's main loop sleeps (heartbeat for the watchdog).
        public var heartbeatInterval: Duration

        public init(strategy: ReadingStrategy = .standard, timeZone: TimeZone, readTimeout: Duration? = nil,
                    readsPerTerminal: Int = 2, clockCheckPeriod: Duration = .seconds(86_400),
                    refreshInterval: Duration = .seconds(300), heartbeatInterval: Duration = .seconds(10),
                    strategies: (@Sendable (MeterAssignment) -> ReadingStrategy)? = nil) {
            self.standard = strategy
            self.strategy = strategies ?? { _ in strategy }
            self.timeZone = timeZone
            self.readTimeout = readTimeout
            self.readsPerTerminal = max(1, readsPerTerminal)
            self.clockCheckPeriod = clockCheckPeriod
            self.refreshInterval = refreshInterval
            self.heartbeatInterval = heartbeatInterval
        }
    }

    private struct State {
        var queues: [String: MeterReadQueue] = [:]
        var terminals: [String: CollectorStats.TerminalStats] = [:]
        var readsOK = 0
        var readsFailed = 0
        var singleItemMeters = 0
        var heartbeat: Date?
        /// A graceful shutdown asked the collector to stop reading.
        var stopping = false
        var nextToken = 0
        var cycles: CycleTracker
    }

    public let configuration: Configuration
    private let core: StationCore
    private let ingest: IngestQueue
    private let links: @Sendable (String) -> (any MeterLink)?
    private let logger: Logger
    private let random: @Sendable () -> Double
    private let state: Mutex<State>
    private let changes = WakeSignal()

    /// - Parameters:
    ///   - lines: the terminals' shared lines (kept in step with the terminals table by their owner).
    ///   - random: values in `0..<1` for the slots' jitter.
    public convenience init(core: StationCore, lines: TerminalLines, ingest: IngestQueue, configuration: Configuration,
                            logger: Logger, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        let timeout = configuration.readTimeout
        self.init(core: core, links: { id in lines.line(for: id).map { TerminalLineLink(line: $0, timeout: timeout) } },
                  ingest: ingest, configuration: configuration, logger: logger, random: random)
    }

    /// With any way of reaching a terminal's meters (tests, other transports).
    public init(core: StationCore, links: @escaping @Sendable (String) -> (any MeterLink)?, ingest: IngestQueue,
                configuration: Configuration, logger: Logger,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.core = core
        self.links = links
        self.ingest = ingest
        self.configuration = configuration
        self.logger = logger
        self.random = random
        state = Mutex(State(cycles: CycleTracker(interval: configuration.standard.interval)))
    }

    /// Reload the account list now (an account was added, moved or removed).
    public func accountsChanged() { changes.bump() }

    public var stats: CollectorStats {
        let now = core.clock.now
        let window = configuration.standard.staleness
        let ingestStats = ingest.stats
        // Queue locks are taken outside the collector's (a queue calls into the collector under its own).
        let (s, queues) = state.withLock { s in
            (CollectorStats.Snapshot(terminals: s.terminals, readsOK: s.readsOK, readsFailed: s.readsFailed,
                                     singleItemMeters: s.singleItemMeters, heartbeat: s.heartbeat, lastCycle: s.cycles.last),
             s.queues)
        }
        let counts = queues.mapValues(\.meterCount)
        var stats = CollectorStats()
        stats.terminals = s.terminals
        for (id, count) in counts { stats.terminals[id, default: .init()].meters = count }
        for (id, t) in stats.terminals {
            stats.terminals[id]?.isOnline = t.consecutiveFailures == 0 && t.lastSuccess.map { now.timeIntervalSince($0) <= timeInterval(window) } == true
        }
        stats.meters = counts.values.reduce(0, +)
        stats.readsOK = s.readsOK
        stats.readsFailed = s.readsFailed
        stats.singleItemMeters = s.singleItemMeters
        stats.heartbeat = s.heartbeat
        stats.lastCycle = s.lastCycle
        stats.ingest = ingestStats
        stats.abnormalReadings = ingestStats.abnormal
        return stats
    }

    /// The share of the scheduled meters read within their class's interval, by class, with the
    /// first `staleLimit` stale addresses: from the collector's memory, no database query.
    public func coverage(staleLimit: Int = 20) -> CollectionCoverage {
        let queues = state.withLock { Array($0.queues.values) }
        var tally = CoverageTally(at: core.clock.now, staleLimit: staleLimit)
        for queue in queues { queue.addCoverage(to: &tally) }
        return tally.result()
    }

    /// Loads the accounts and reads their meters until cancelled.
    public func run() async {
        await withGracefulShutdownHandler {
            await collect()
        } onGracefulShutdown: {
            // Reads under way are abandoned (a reading not yet taken is read at its next slot);
            // readings already handed to the ingest queue are committed by its own shutdown.
            self.state.withLock { $0.stopping = true }
            self.changes.bump()
        }
    }

    private func collect() async {
        let clock = core.clock
        await withDiscardingTaskGroup { group in
            var nextRefresh = clock.now
            var loadedGeneration: UInt64?
            // A change reloads every account; while accounts are added one by one over the API,
            // back-to-back reloads made provisioning quadratic (issue 7, bench). Reloads after a
            // change are spaced by four times the last reload's duration: at most a fifth of the
            // time goes to reloading, and with few accounts (or a test clock) there is no wait.
            var earliestChangeReload = clock.now
            while !Task.isCancelled && !state.withLock({ $0.stopping }) {
                let generation = changes.generation
                let now = clock.now
                state.withLock { $0.heartbeat = now }
                let changed = generation != loadedGeneration
                if now >= nextRefresh || (changed && now >= earliestChangeReload) {
                    loadedGeneration = generation
                    nextRefresh = now.adding(configuration.refreshInterval)
                    do {
                        // A node of several reads only the meters of the terminals it leases (issue 16).
                        let cluster = core.store.cluster
                        let assignments = try await core.store.meterAssignments()
                            .filter { !cluster.isClustered || cluster.holds(terminal: $0.terminalID) }
                        for queue in reconcile(assignments, at: now) {
                            for _ in 0..<configuration.readsPerTerminal {
                                group.addTask { await self.work(queue) }
                            }
                        }
                    } catch {
                        logger.warning("cannot load the accounts to collect", metadata: ["error": "\(error)"])
                        nextRefresh = now.adding(configuration.heartbeatInterval)
                    }
                    let finished = clock.now
                    earliestChangeReload = finished.addingTimeInterval(4 * max(0, finished.timeIntervalSince(now)))
                }
                // A change not loaded yet wakes us at its reload time; newer ones wake us at once.
                let latest = changes.generation
                let regular = min(nextRefresh, now.adding(configuration.heartbeatInterval))
                let wake = latest == loadedGeneration ? regular : min(regular, max(earliestChangeReload, clock.now))
                await changes.wait(since: latest) { try? await clock.sleep(until: wake) }
            }
            group.cancelAll()
        }
    }

    /// Brings the terminal queues in step with the accounts; returns the new queues.
    private func reconcile(_ assignments: [MeterAssignment], at now: Date) -> [MeterReadQueue] {
        var byTerminal: [String: [(MeterAssignment, ReadingStrategy)]] = [:]
        for a in assignments { byTerminal[a.terminalID, default: []].append((a, configuration.strategy(a))) }
        let (queues, created, removed) = state.withLock { s -> ([String: MeterReadQueue], [MeterReadQueue], [MeterReadQueue]) in
            var created: [MeterReadQueue] = []
            for id in byTerminal.keys where s.queues[id] == nil {
                let q = MeterReadQueue(terminalID: id)
                s.queues[id] = q
                created.append(q)
            }
            // A terminal no account reads through any more: its queue and workers end.
            let gone = s.queues.keys.filter { byTerminal[$0] == nil }
            let removed = gone.compactMap { s.queues.removeValue(forKey: $0) }
            return (s.queues, created, removed)
        }
        for queue in removed { queue.stop() }
        let random = random
        let clockPeriod = configuration.clockCheckPeriod
        for (id, queue) in queues {
            queue.assign(byTerminal[id] ?? [], at: now, nextToken: {
                state.withLock { s in
                    s.nextToken += 1
                    return s.nextToken
                }
            }, firstDue: { meter, strategy in
                CollectionSchedule(strategy: strategy, random: random).nextDue(for: meter, after: now)
            }, firstMemory: { assignment, strategy in
                let every = MeterReader.clockEvery(interval: strategy.interval, period: clockPeriod)
                return MeterReadMemory(readsUntilClock: MeterReader.readsBeforeFirstClockCheck(of: assignment, every: every))
            }, onScheduled: { due in
                state.withLock { $0.cycles.scheduled(due: due) }
            })
        }
        return created
    }

    /// One of a terminal's workers: reads its due meters, one at a time, until cancelled.
    private func work(_ queue: MeterReadQueue) async {
        let clock = core.clock
        let terminal = queue.terminalID
        while var entry = await queue.next(clock: clock, onDropped: { dropped in
            self.state.withLock { $0.cycles.finished(due: dropped.due, ok: nil, at: dropped.due) }
        }) {
            let due = entry.due
            let blockBefore = entry.memory.blockReads
            let reader = MeterReader(timeZone: configuration.timeZone,
                                     clockEvery: MeterReader.clockEvery(interval: entry.strategy.interval,
                                                                        period: configuration.clockCheckPeriod))
            let result: Result<MeterSample, MeterReadError>
            if let link = links(terminal) {
                do {
                    result = .success(try await reader.read(entry.meter, memory: &entry.memory, link: link, clock: clock))
                } catch {
                    result = .failure(error)
                }
            } else {
                result = .failure(.noLine(terminal: terminal))
            }
            if case .failure(let error) = result, error.isCancellation, Task.isCancelled { return }
            let end = clock.now
            let collectedAt = if case .success(let sample) = result { sample.reading.collectedAt } else { Date?.none }
            entry.due = CollectionSchedule(strategy: entry.strategy, random: random)
                .nextDue(for: entry.meterText, afterReadDue: due, endedAt: end, collectedAt: collectedAt)
            let current = queue.isCurrent(entry)
            let nextDue = entry.due
            if queue.reschedule(entry) {
                state.withLock { $0.cycles.scheduled(due: nextDue) }
            }
            let fellBack = blockBefore && !entry.memory.blockReads
            record(result, terminal: terminal, due: due, at: end, fellBack: fellBack)
            var metadata: Logger.Metadata { ["account": "\(entry.accountID)", "meter": "\(entry.meterText)", "terminal": "\(terminal)"] }
            switch result {
            case .success(let sample):
                queue.markRead(entry, at: end)
                if fellBack {
                    logger.info("meter does not answer block reads: single items from now on", metadata: metadata)
                }
                if !sample.notes.isEmpty {
                    logger.debug("meter read with problems: \(sample.notes.joined(separator: "; "))", metadata: metadata)
                }
                if current {
                    await ingest.submit(CollectedReading(accountID: entry.accountID, meterAddress: entry.meterText,
                                                         terminalID: terminal, reading: sample.reading, meter: sample.meter))
                }
            case .failure(let error):
                logger.debug("meter read failed; next try at its next slot", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
        }
    }

    /// Counts a finished read in the terminal's stats and the cycle; logs a terminal going quiet
    /// and coming back.
    private func record(_ result: Result<MeterSample, MeterReadError>, terminal: String, due: Date, at end: Date, fellBack: Bool) {
        let quietAfter = 3
        let transition = state.withLock { s -> String? in
            s.heartbeat = end
            if fellBack { s.singleItemMeters += 1 }
            var t = s.terminals[terminal, default: .init()]
            defer { s.terminals[terminal] = t }
            switch result {
            case .success:
                s.readsOK += 1
                s.cycles.finished(due: due, ok: true, at: end)
                t.readsOK += 1
                let wasQuiet = t.consecutiveFailures >= quietAfter
                t.consecutiveFailures = 0
                t.lastSuccess = end
                return wasQuiet ? "terminal answers again" : nil
            case .failure(let error):
                s.readsFailed += 1
                s.cycles.finished(due: due, ok: false, at: end)
                t.readsFailed += 1
                t.consecutiveFailures += 1
                t.lastFailure = end
                t.lastError = error.description
                return t.consecutiveFailures == quietAfter ? "terminal not answering: \(quietAfter) reads failed in a row (\(error))" : nil
            }
        }
        if let transition { logger.notice("\(transition)", metadata: ["terminal": "\(terminal)"]) }
    }
}

extension CollectorStats {
    /// What the collector's lock holds, copied out in one go.
    struct Snapshot {
        var terminals: [String: TerminalStats]
        var readsOK: Int
        var readsFailed: Int
        var singleItemMeters: Int
        var heartbeat: Date?
        /// A graceful shutdown asked the collector to stop reading.
        var stopping = false
        var lastCycle: CycleSummary?
    }
}

private func timeInterval(_ d: Duration) -> TimeInterval {
    let (s, a) = d.components
    return TimeInterval(s) + TimeInterval(a) / 1e18
}
