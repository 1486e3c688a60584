import ChargeControl
import Foundation
import Synchronization

/// Writes the dispatcher's command outcomes several at a time: outcomes that finish while a
/// write of them is waiting or under way are gathered and written together in the next one
/// (`CommandQueue.record(_:in:)`: each with its own result, a lost race failing alone). A
/// caller still returns only once its outcome is durable.
///
/// Why: each outcome was its own group-commit job (a closure, a savepoint, a continuation, a
/// task wake-up); at p3's rate that was a large part of the writer's time (issue 15). The first
/// caller to find no write queued submits one and awaits it; the write takes everything
/// gathered when it runs, and that caller hands each result over once the round has committed.
///
/// A reconnection's outcome (an allow-close acknowledged) does not wait in the batch: it is
/// written on the reconnection lane at once, so a bulk write under way yields to it.
public final class CommandOutcomeBatcher: Sendable {
    private struct Item: Sendable {
        let id: Int64
        let outcome: CommandOutcome
        let at: Date
        let slot: OutcomeSlot
    }

    private struct State {
        var gathered: [Item] = []
        /// A write that will take `gathered` is submitted and has not taken them yet.
        var writeQueued = false
    }

    /// What one write took, for handing the results (or its failure) over.
    private final class Taken: Sendable {
        let items = Mutex<[Item]>([])
    }

    private let store: StationStore
    private let state = Mutex(State())

    public init(store: StationStore) {
        self.store = store
    }

    /// Records `outcome` of command `id` (see `CommandOutcome`); returns the review item opened
    /// (`.review` only) once the write holding it is durable. `reconnection`: written at once
    /// on the reconnection lane.
    @discardableResult
    public func record(_ outcome: CommandOutcome, of id: Int64, at now: Date, reconnection: Bool = false) async throws -> Int64? {
        if reconnection { return try await store.record(outcome, of: id, at: now, reconnection: true) }
        let slot = OutcomeSlot()
        let leads = state.withLock { s -> Bool in
            s.gathered.append(Item(id: id, outcome: outcome, at: now, slot: slot))
            defer { s.writeQueued = true }
            return !s.writeQueued
        }
        if leads { await writeGathered() }
        return try await slot.value()
    }

    /// One write of everything gathered when it runs; results handed over after the commit.
    private func writeGathered() async {
        let taken = Taken()
        do {
            let results = try await store.write { db in
                let batch = self.takeGathered()
                taken.items.withLock { $0 = batch }
                return CommandQueue.record(batch.map { (id: $0.id, outcome: $0.outcome, at: $0.at) }, in: db)
            }
            for (item, result) in zip(taken.items.withLock { $0 }, results) { item.slot.deliver(result) }
        } catch {
            // The round failed; if it never ran this write, what was gathered fails with it
            // (nobody else would write it).
            var batch = taken.items.withLock { $0 }
            if batch.isEmpty { batch = takeGathered() }
            for item in batch { item.slot.deliver(.failure(error)) }
        }
    }

    private func takeGathered() -> [Item] {
        state.withLock { s in
            defer {
                s.gathered.removeAll(keepingCapacity: true)
                s.writeQueued = false
            }
            return s.gathered
        }
    }
}

/// One outcome's result: delivered once, awaited once, in either order.
final class OutcomeSlot: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Int64?, any Error>?)
        case done(Result<Int64?, any Error>)
    }

    private let state = Mutex(State.waiting(nil))

    func deliver(_ result: Result<Int64?, any Error>) {
        let waiter = state.withLock { s -> CheckedContinuation<Int64?, any Error>? in
            guard case .waiting(let waiter) = s else { return nil }
            s = .done(result)
            return waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> Int64? {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { s -> Result<Int64?, any Error>? in
                switch s {
                case .done(let result): return result
                case .waiting: s = .waiting(continuation); return nil
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
