import Foundation
import Store

/// The evaluation of one batch inside its store transaction, within a time budget.
struct BatchEvaluation: Sendable {
    let evaluator: Evaluator
    let now: Date
    let store: StationStore
    let budget: Duration
    let yieldAfter: Duration

    /// The readings evaluated within the budget, each a success or its failure.
    ///
    /// Fast path: the batch in one savepoint. A savepoint per reading cost 9 % of the daemon's
    /// CPU in SQLite's savepoint bookkeeping (issue 7, p2 profile), and a reading that fails is
    /// rare; when one does, the batch is rolled back and evaluated again, reading by reading.
    func evaluate(_ taken: [CollectedReading], in tx: StoreTransaction) throws -> [Result<Evaluation, IngestQueue.Failure>] {
        if let results = try? tx.savepoint({ try evaluateBatch(taken, isolated: false, in: tx) }) { return results }
        return try evaluateBatch(taken, isolated: true, in: tx)
    }

    /// `isolated`: each reading in its own savepoint, a failure recorded and rolled back alone;
    /// else the first failure throws. Stops when the budget is spent, or early when a payment or
    /// reconnection waits for the writer.
    private func evaluateBatch(_ taken: [CollectedReading], isolated: Bool,
                               in tx: StoreTransaction) throws -> [Result<Evaluation, IngestQueue.Failure>] {
        let started = ContinuousClock.now
        var results: [Result<Evaluation, IngestQueue.Failure>] = []
        results.reserveCapacity(taken.count)
        for item in taken {
            if !results.isEmpty {
                let elapsed = ContinuousClock.now - started
                if elapsed > budget || (elapsed > yieldAfter && store.reconnectionWritesWaiting) { break }
            }
            guard isolated else {
                results.append(.success(try evaluate(item, in: tx)))
                continue
            }
            do {
                results.append(.success(try tx.savepoint { try evaluate(item, in: tx) }))
            } catch {
                results.append(.failure(IngestQueue.Failure(description: "\(error)")))
            }
        }
        return results
    }

    private func evaluate(_ item: CollectedReading, in tx: StoreTransaction) throws -> Evaluation {
        let (account, baseline) = try tx.accountForReading(item.accountID)
        // A terminal lost to another node meanwhile: its new holder reads the meter again.
        guard tx.actsFor(terminal: account.terminalID) else {
            throw IngestQueue.Failure(description: "terminal \(account.terminalID) is no longer leased by this node: reading dropped")
        }
        guard account.meterAddress == item.meterAddress else {
            throw IngestQueue.Failure(description: "account \(item.accountID) now has meter \(account.meterAddress), "
                                      + "not \(item.meterAddress): reading dropped")
        }
        return try evaluator.apply(reading: item.reading, meter: item.meter, to: account, baseline: baseline, at: now, in: tx)
    }
}
