import Foundation
import Logging
import ServiceLifecycle
import StationConfig
import Store
import Synchronization

/// Rows retention has deleted since the daemon started, and its last run.
public struct RetentionStats: Sendable, Hashable {
    public var prunedReadings = 0
    public var prunedOutbox = 0
    /// Charge entries folded into one per account and day (`ChargeCompaction`).
    public var compactedCharges = 0
    /// When the last run finished.
    public var lastRun: Date?
}

/// What one run deleted.
public struct RetentionRun: Sendable, Hashable {
    public var readings = 0
    public var outbox = 0
    public var compactedCharges = 0
    /// Transactions it took.
    public var batches = 0
}

/// Deletes old readings and delivered outbox rows (`[retention]`, the rules in `Store.Retention`)
/// every `interval`, in batches of `batch` rows, one bulk-lane transaction each: a payment or a
/// reconnection step that arrives meanwhile commits in the next round, behind one batch at most.
/// Between batches it yields, so the collector's readings and the API get their turn too.
///
/// Runs first at start, then every `interval` by the injected clock; a graceful shutdown stops
/// it between two batches. Each run is logged (`EVENT=retention`), and counted for `/metrics`.
public final class RetentionService: Service, Sendable {
    private let store: StationStore
    private let settings: RetentionSettings
    private let clock: any StationClock
    private let logger: Logger
    /// Charges are folded per day of this zone (the station's: statement months start at its midnights).
    private let timeZone: TimeZone
    private let box = Mutex(RetentionStats())

    public init(store: StationStore, settings: RetentionSettings, clock: any StationClock, logger: Logger,
                timeZone: TimeZone = .current) {
        self.timeZone = timeZone
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    public var stats: RetentionStats { box.withLock { $0 } }

    public func run() async throws {
        if let readings = settings.readings, settings.isShorterThanStatements {
            logger.warning("""
                [retention] readings = "\(readings.configText)" is shorter than statements look back \
                (\(RetentionSettings.statementHorizon.configText)): older months lose their register readings
                """, metadata: ["event": "retention"])
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.runOnce()
                    try await self.clock.sleep(until: self.clock.now.adding(self.settings.interval))
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.error("retention failed: \(error)", metadata: ["event": "retention"])
                    try? await self.clock.sleep(until: self.clock.now.adding(self.settings.interval))
                }
            }
        }
    }

    /// One run at the clock's instant: readings, then the outbox, batch after batch until
    /// nothing older than the cutoffs is left.
    @discardableResult
    public func runOnce() async throws -> RetentionRun {
        let now = clock.now
        let started = ContinuousClock.now
        var run = RetentionRun()
        if let keep = settings.readings {
            let cutoff = now.adding(.zero - keep)
            // A reading stays until its account row has it (a restart replays it): the rows first.
            try await store.foldWaitingAccountRows(batch: settings.batch)
            var cursor: Int64? = 0
            while let after = cursor {
                try Task.checkCancellation()
                let batch = try await store.pruneReadings(before: cutoff, after: after, limit: settings.batch, zone: timeZone)
                record(&run, readings: batch.deleted, compacted: batch.folded)
                cursor = batch.resumeAfter
                await Task.yield()
            }
        }
        if let keep = settings.outbox {
            let cutoff = now.adding(.zero - keep)
            var more = true
            while more {
                try Task.checkCancellation()
                let batch = try await store.pruneDeliveredOutbox(before: cutoff, limit: settings.batch)
                record(&run, outbox: batch.deleted)
                more = batch.resumeAfter != nil
                await Task.yield()
            }
        }
        box.withLock { $0.lastRun = clock.now }
        let elapsed = (ContinuousClock.now - started).inSeconds
        let message: Logger.Message = """
            retention: \(run.readings) readings, \(run.outbox) delivered notifications deleted, \(run.compactedCharges) charges folded \
            in \(run.batches) batches
            """
        let metadata: Logger.Metadata = [
            "event": "retention", "readings": "\(run.readings)", "outbox": "\(run.outbox)", "batches": "\(run.batches)",
            "charges_folded": "\(run.compactedCharges)",
            "seconds": "\(String(format: "%.3f", elapsed))",
        ]
        if run.readings + run.outbox + run.compactedCharges > 0 {
            logger.notice(message, metadata: metadata)
        } else {
            logger.info(message, metadata: metadata)
        }
        return run
    }

    private func record(_ run: inout RetentionRun, readings: Int = 0, outbox: Int = 0, compacted: Int = 0) {
        run.batches += 1
        run.readings += readings
        run.outbox += outbox
        run.compactedCharges += compacted
        box.withLock {
            $0.prunedReadings += readings
            $0.prunedOutbox += outbox
            $0.compactedCharges += compacted
        }
    }
}
