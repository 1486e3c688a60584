import ChargeControl
import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization
import Wakeup

/// A reading on its way to the evaluator.
public struct CollectedReading: Sendable, Hashable {
    public var accountID: String
    public var meterAddress: String
    public var terminalID: String
    public var reading: MeterReading
    /// The meter's state from status word 3, read along with the registers.
    public var meter: MeterState?

    public init(accountID: String, meterAddress: String, terminalID: String, reading: MeterReading, meter: MeterState?) {
        self.accountID = accountID
        self.meterAddress = meterAddress
        self.terminalID = terminalID
        self.reading = reading
        self.meter = meter
    }
}

/// Running totals of the ingest queue, each only growing (except `pending`).
public struct IngestStats: Sendable, Hashable {
    /// Group transactions committed.
    public var transactions = 0
    /// Readings evaluated in committed transactions (baselines, billed, abnormal).
    public var readingsCommitted = 0
    public var baselines = 0
    public var billed = 0
    /// Abnormal readings: not billed, listed for review (or audited, while their account is
    /// already on hold).
    public var abnormal = 0
    /// Readings of accounts on hold (an open abnormal-reading item): stored, not billed.
    public var held = 0
    /// Readings whose evaluation failed; rolled back alone, the rest of their batch committed.
    public var evaluationErrors = 0
    /// Transactions that failed as a whole; their readings were dropped (the meters are read
    /// again at their next slot, and registers are cumulative, so nothing goes unbilled).
    public var failedTransactions = 0
    public var droppedReadings = 0
    /// The largest batch committed.
    public var largestBatch = 0
    /// Readings waiting now.
    public var pending = 0

    public init() {}
}

/// Group commit of collected readings: up to `maxBatch` readings, or whatever arrived within
/// `maxDelay` of the oldest, are evaluated in one store transaction (one fsync) for at most
/// `evaluationBudget` (readings left over go first into the next one); a reading whose
/// evaluation fails is logged and rolled back without losing the others (the batch is evaluated
/// again with a savepoint per reading). After a commit that queued commands the dispatcher's
/// doorbell is rung.
///
/// `submit` applies back-pressure: when `capacity` readings wait, it waits for the next commit,
/// so readers slow down to what the store sustains instead of growing memory.
///
/// ```swift
/// let ingest = IngestQueue(core: core, logger: logger)
/// group.addTask { await ingest.run() }     // until cancelled; drains what is pending
/// ```
public final class IngestQueue: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Readings per transaction at most.
        public var maxBatch: Int
        /// How long one transaction may evaluate readings before it commits what it has (the
        /// rest go first into the next). A batch is bounded by time, not only by count: on a fast
        /// machine it grows (fewer fsyncs), on a slow or busy one it shrinks (issue 7).
        public var evaluationBudget: Duration
        /// Once a payment or a reconnection step waits for the store, the batch under way commits
        /// after at most this much evaluation (`StationStore.reconnectionWritesWaiting`): a
        /// reconnection waits for a few milliseconds of readings, not for a whole budget, at each
        /// of its three writes (payment, claim, acknowledgement).
        public var yieldAfter: Duration
        /// How long the oldest waiting reading may wait for its batch to fill.
        public var maxDelay: Duration
        /// Readings waiting before `submit` waits.
        public var capacity: Int

        public init(maxBatch: Int = 5_000, evaluationBudget: Duration = .milliseconds(50), yieldAfter: Duration = .milliseconds(5),
                    maxDelay: Duration = .milliseconds(250), capacity: Int = 20_000) {
            self.maxBatch = max(1, maxBatch)
            self.evaluationBudget = evaluationBudget
            self.yieldAfter = yieldAfter
            self.maxDelay = maxDelay
            self.capacity = max(self.maxBatch, capacity)
        }
    }

    private struct State {
        var pending: [CollectedReading] = []
        var oldestAt: ContinuousClock.Instant?
        var stats = IngestStats()
        /// A graceful shutdown asked the loop to commit what is left and return.
        var stopping = false
    }

    public let configuration: Configuration
    private let core: StationCore
    private let logger: Logger
    private let state = Mutex(State())
    /// Bumped when the first reading arrives and when a batch fills.
    private let arrivals = WakeSignal()
    /// Bumped after each batch is taken: room for waiting submitters.
    private let room = WakeSignal()

    public init(core: StationCore, configuration: Configuration = Configuration(), logger: Logger) {
        self.core = core
        self.configuration = configuration
        self.logger = logger
    }

    public var stats: IngestStats {
        state.withLock { s in
            var stats = s.stats
            stats.pending = s.pending.count
            return stats
        }
    }

    /// Queues a reading for the next group commit; waits while the queue is full.
    public func submit(_ reading: CollectedReading) async {
        while true {
            let generation = room.generation
            let (accepted, wake) = state.withLock { s -> (Bool, Bool) in
                guard s.pending.count < configuration.capacity || Task.isCancelled else { return (false, false) }
                s.pending.append(reading)
                if s.pending.count == 1 { s.oldestAt = .now }
                return (true, s.pending.count == 1 || s.pending.count == configuration.maxBatch)
            }
            if accepted {
                if wake { arrivals.bump() }
                return
            }
            await room.wait(since: generation)
        }
    }

    /// Commits batches until a graceful shutdown (then commits what is still pending and
    /// returns: the station's other services have stopped submitting by then) or cancellation.
    public func run() async {
        await withGracefulShutdownHandler {
            await loop()
        } onGracefulShutdown: {
            self.state.withLock { $0.stopping = true }
            self.arrivals.bump()
        }
        if Task.isCancelled {
            // Cancelled, not shut down: commit what is left outside the cancelled task, so the store runs it.
            while let batch = takeBatch() {
                await Task { await self.commit(batch) }.value
            }
        } else {
            while let batch = takeBatch() { await commit(batch) }
        }
    }

    private func loop() async {
        while !Task.isCancelled && !state.withLock({ $0.stopping }) {
            let generation = arrivals.generation
            let (count, oldest) = state.withLock { ($0.pending.count, $0.oldestAt) }
            guard count > 0, let oldest else {
                await arrivals.wait(since: generation)
                continue
            }
            if count < configuration.maxBatch {
                let deadline = oldest.advanced(by: configuration.maxDelay)
                if ContinuousClock.now < deadline {
                    await arrivals.wait(since: generation) { try? await Task.sleep(until: deadline, clock: .continuous) }
                    continue
                }
            }
            if let batch = takeBatch() { await commit(batch) }
        }
    }

    private func takeBatch() -> [CollectedReading]? {
        let batch = state.withLock { s -> [CollectedReading]? in
            guard !s.pending.isEmpty else { return nil }
            let batch: [CollectedReading]
            if s.pending.count <= configuration.maxBatch {
                batch = s.pending
                s.pending = []
                s.pending.reserveCapacity(configuration.maxBatch)
            } else {
                batch = Array(s.pending.prefix(configuration.maxBatch))
                s.pending.removeFirst(configuration.maxBatch)
            }
            s.oldestAt = s.pending.isEmpty ? nil : .now
            return batch
        }
        if batch != nil { room.bump() }
        return batch
    }

    /// Readings a transaction had no time for: first in line for the next one.
    private func putBack(_ rest: ArraySlice<CollectedReading>) {
        state.withLock { s in
            s.pending.insert(contentsOf: rest, at: 0)
            // Due at once: they have waited for a batch already.
            s.oldestAt = ContinuousClock.now - configuration.maxDelay
        }
        arrivals.bump()
    }

    /// Why one reading of a batch was not evaluated (logged with the reading's account).
    struct Failure: Error, Sendable, CustomStringConvertible {
        let description: String
    }

    /// The journal fields of a reading (`ACCOUNT=`, `METER=`, `TERMINAL=`) plus `extra`.
    private static func metadata(_ item: CollectedReading, _ extra: Logger.Metadata) -> Logger.Metadata {
        extra.merging(["account": "\(item.accountID)", "meter": "\(item.meterAddress)", "terminal": "\(item.terminalID)"]) { $1 }
    }

    /// One transaction for the batch (or the part of it evaluated within the budget); a reading
    /// that fails is rolled back alone. What the budget left is first in line for the next one.
    private func commit(_ taken: [CollectedReading]) async {
        let evaluation = BatchEvaluation(evaluator: core.evaluator, now: core.clock.now, store: core.store,
                                         budget: configuration.evaluationBudget, yieldAfter: configuration.yieldAfter)
        let results: [Result<Evaluation, Failure>]
        do {
            results = try await core.store.bulkTransaction { tx in try evaluation.evaluate(taken, in: tx) }
        } catch {
            state.withLock { s in
                s.stats.failedTransactions += 1
                s.stats.droppedReadings += taken.count
            }
            logger.error("group commit failed: \(taken.count) readings dropped (read again at their next slots)",
                         metadata: ["error": "\(error)"])
            return
        }
        if results.count < taken.count { putBack(taken[results.count...]) }
        record(Array(zip(taken.prefix(results.count), results)))
    }

    /// Logs and counts what a committed batch did, then wakes the dispatcher and the notifier.
    private func record(_ batch: [(CollectedReading, Result<Evaluation, Failure>)]) {
        var evaluations: [Evaluation] = []
        evaluations.reserveCapacity(batch.count)
        var counts = IngestStats()
        for (item, result) in batch {
            switch result {
            case .failure(let failure):
                counts.evaluationErrors += 1
                logger.error("reading not evaluated", metadata: Self.metadata(item, ["error": "\(failure)"]))
            case .success(let evaluation):
                counts.readingsCommitted += 1
                evaluations.append(evaluation)
                core.logDecisions(evaluation, terminal: item.terminalID)
                log(evaluation, of: item, counting: &counts)
            }
        }
        state.withLock { s in
            s.stats.transactions += 1
            s.stats.readingsCommitted += counts.readingsCommitted
            s.stats.baselines += counts.baselines
            s.stats.billed += counts.billed
            s.stats.abnormal += counts.abnormal
            s.stats.held += counts.held
            s.stats.evaluationErrors += counts.evaluationErrors
            s.stats.largestBatch = max(s.stats.largestBatch, batch.count)
        }
        core.announce(evaluations)
    }

    /// The journal line of one evaluated reading (`EVENT=abnormal` always; `EVENT=reading` at debug).
    private func log(_ evaluation: Evaluation, of item: CollectedReading, counting counts: inout IngestStats) {
        let debug = logger.logLevel <= .debug
        switch evaluation.outcome {
        case .abnormal(let reasons):
            counts.abnormal += 1
            logger.warning("abnormal reading: \(reasons.map(\.description).joined(separator: "; "))",
                           metadata: Self.metadata(item, ["event": "abnormal", "reasons": "\(reasons.map(\.code).joined(separator: ","))",
                                                          "total_kwh": "\(item.reading.total.kWhString)",
                                                          "balance": "\(evaluation.balance.yuanString)"]))
        case .billed(let charge, let energy):
            counts.billed += 1
            if debug {
                logger.debug("reading billed", metadata: Self.metadata(item, [
                    "event": "reading", "total_kwh": "\(item.reading.total.kWhString)", "energy_kwh": "\(energy.kWhString)",
                    "charge": "\(charge.yuanString)", "balance": "\(evaluation.balance.yuanString)"]))
            }
        case .held(let reasons, let reviewItem):
            counts.held += 1
            if !reasons.isEmpty {
                counts.abnormal += 1
                logger.warning("abnormal reading, account on hold by review item \(reviewItem): \(reasons.map(\.description).joined(separator: "; "))",
                               metadata: Self.metadata(item, ["event": "abnormal", "reasons": "\(reasons.map(\.code).joined(separator: ","))",
                                                              "review_item": "\(reviewItem)", "total_kwh": "\(item.reading.total.kWhString)",
                                                              "balance": "\(evaluation.balance.yuanString)"]))
            } else if debug {
                logger.debug("reading held: review item \(reviewItem) open", metadata: Self.metadata(item, [
                    "event": "reading", "review_item": "\(reviewItem)", "total_kwh": "\(item.reading.total.kWhString)",
                    "balance": "\(evaluation.balance.yuanString)"]))
            }
        case .baseline, .reevaluated:
            counts.baselines += 1
            if debug {
                logger.debug("baseline reading", metadata: Self.metadata(item, [
                    "event": "reading", "total_kwh": "\(item.reading.total.kWhString)", "balance": "\(evaluation.balance.yuanString)"]))
            }
        }
    }
}
