import Foundation
import Synchronization

/// Group commit of write transactions: writes submitted while a commit is running wait for it,
/// then commit together in one SQLite transaction (so one WAL fsync under `synchronous = FULL`),
/// each in its own savepoint.
///
/// Why: an fsync costs milliseconds, and the station's small writes (payments, every step of a
/// command's life) come in bursts of hundreds. Committed one by one they are bounded by the
/// fsync rate; grouped, a burst costs one fsync per round.
///
/// Each write keeps its own outcome: one that throws is rolled back to its savepoint and its
/// caller gets the error, the others commit. A caller is resumed only once its round has
/// committed (or failed as a whole), so "returned" still means "durable".
///
/// Rounds take every waiting small write and at most one `.bulk` write (a group commit of
/// readings), so a payment waits for at most one bulk write ahead of it. A `.reconnection` write
/// (a payment, a reconnection command's step) also asks the bulk write under way to commit early
/// (`reconnectionWaiting`): the bulk write checks between readings.
final class GroupCommit: Sendable {
    /// How a write is scheduled.
    enum Lane: Sendable {
        /// Small and latency-bound: command transitions, provisioning.
        case urgent
        /// Small, and a customer waits for it: payments and the steps of a reconnection. Like
        /// `.urgent`, and a bulk write under way yields to it.
        case reconnection
        /// Large: one per round.
        case bulk
    }

    /// A submitted write, type-erased: `run` executes it in a savepoint and returns how to
    /// deliver its outcome once the round has committed; `fail` delivers a failed round.
    private struct Job: Sendable {
        /// Runs the write; returns how to deliver its outcome and the storage failure it met, if any.
        let run: @Sendable (SQLSession) -> (deliver: @Sendable () -> Void, storageFailure: (any Error)?)
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var urgent: [Job] = []
        var bulk: [Job] = []
        var committing = false
        var rounds = 0
        /// `.reconnection` writes waiting for the next round.
        var reconnectionsWaiting = 0
        /// The round being committed holds `.reconnection` writes.
        var reconnectionsInRound = false
        var commitTimes = CommitTimes()
    }

    private let writer: any StoreEngine
    /// Staged by the writes, published when their round commits (nil: a read-only store).
    private let book: AccountBook?
    private let state = Mutex(State())
    /// Whether rounds commit (`/healthz`).
    let health: StoreWriteHealthRecorder

    init(writer: any StoreEngine, book: AccountBook?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.writer = writer
        self.book = book
        health = StoreWriteHealthRecorder(now: now)
    }

    /// Rounds committed (or failed) so far.
    var rounds: Int { state.withLock { $0.rounds } }

    /// How long the rounds took so far.
    var commitTimes: CommitTimes { state.withLock { $0.commitTimes } }

    /// Writes waiting for the next round.
    var waiting: Int { state.withLock { $0.urgent.count + $0.bulk.count } }

    /// A `.reconnection` write waits for the next round, or for the round under way to commit:
    /// a bulk write should finish soon.
    var reconnectionWaiting: Bool { state.withLock { $0.reconnectionsWaiting > 0 || $0.reconnectionsInRound } }

    /// Runs `body` in the next round and returns its result once that round has committed.
    func write<T: Sendable>(_ lane: Lane = .urgent, _ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let book = self.book
            let job = Job(
                run: { db in
                    // The savepoint and the book's staging roll back together (`cachedSavepoint`);
                    // rows other writes changed are read again before the savepoint is released.
                    let outcome = AccountBook.$current.withValue(book) {
                        Result { () throws -> T in
                            try db.cachedSavepoint {
                                let value = try body(db)
                                try book?.refreshTouched(in: db)
                                return value
                            }
                        }
                    }
                    // A write the file or disk refused rolls back alone, and its round may commit
                    // the others: the failure still counts against the store's health.
                    let storageFailure: (any Error)? = switch outcome {
                    case .failure(let error) where StoreWriteHealth.isStorageFailure(error): error
                    default: nil
                    }
                    return ({ continuation.resume(with: outcome) }, storageFailure)
                },
                fail: { continuation.resume(throwing: $0) })
            let start = state.withLock { s -> Bool in
                switch lane {
                case .urgent: s.urgent.append(job)
                case .reconnection:
                    s.urgent.append(job)
                    s.reconnectionsWaiting += 1
                case .bulk: s.bulk.append(job)
                }
                defer { s.committing = true }
                return !s.committing
            }
            if start { commitNextRound() }
        }
    }

    /// Takes the waiting writes and commits them; chains the next round from the completion,
    /// until nothing waits.
    private func commitNextRound() {
        let round = state.withLock { s -> [Job] in
            var round = s.urgent
            s.urgent.removeAll(keepingCapacity: true)
            // Small writes run first in the round: the bulk write at its end can see them waiting.
            s.reconnectionsInRound = s.reconnectionsWaiting > 0
            s.reconnectionsWaiting = 0
            if !s.bulk.isEmpty { round.append(s.bulk.removeFirst()) }
            if round.isEmpty { s.committing = false }
            return round
        }
        guard !round.isEmpty else { return }
        health.roundStarted()
        // From submission to commit, as the health's round: but for bulk loads the group commit is the
        // writer's only client, so that is the transaction's own time.
        let started = ContinuousClock.now
        writer.asyncWrite({ db in
            round.map { $0.run(db) }
        }, completion: { result in
            let took = ContinuousClock.now - started
            // Counted before the callers resume: one that looks finds its round done.
            self.state.withLock { s in
                s.rounds += 1
                s.reconnectionsInRound = false
                s.commitTimes.record(seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
            }
            switch result {
            case .success(let outcomes):
                // Before anyone resumes: a caller that reads the account finds what it wrote.
                self.book?.publish()
                self.health.roundEnded(failure: outcomes.lazy.compactMap(\.storageFailure).first)
                for outcome in outcomes { outcome.deliver() }
            case .failure(let error):
                self.book?.discard()
                self.health.roundEnded(failure: error)
                for job in round { job.fail(error) }
            }
            self.commitNextRound()
        })
    }
}
