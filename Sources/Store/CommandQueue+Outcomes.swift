import ChargeControl
import Foundation

/// What became of a command the dispatcher held in flight, as the store records it.
public enum CommandOutcome: Sendable, Hashable {
    /// The meter did it (in flight → acknowledged); `meterState`: the meter's control state as
    /// now known, recorded on the account in the same write (nil: a write or clock setting,
    /// which leave it as it is).
    case acknowledged(meterState: MeterState?, detail: String)
    /// A failure that retrying may fix: in flight → pending, due again at `next`.
    case retry(error: String, next: Date)
    /// The decision no longer holds (the dispatcher's re-check): in flight → superseded.
    case superseded(reason: String)
    /// Not sent (a deferred trip whose window closed again, a send interrupted by shutdown):
    /// in flight → pending until `until`, without counting the attempt.
    case putBack(until: Date, reason: String)
    /// A person takes over: to job review from whatever state it is in now, an item opened.
    case review(reason: String)
}

extension CommandQueue {
    /// Records `outcome` of command `id` in the caller's transaction. Returns the review item
    /// opened (`.review` only). A command no longer in flight: `StoreError.lostRace`, nothing written.
    @discardableResult
    static func record(_ outcome: CommandOutcome, of id: Int64, at now: Date, in db: SQLSession) throws -> Int64? {
        switch outcome {
        case .acknowledged(let meterState, let detail):
            let command = try apply(.acknowledge, to: id, from: .inFlight, at: now, detail: detail, in: db).command
            if let meterState {
                let tx = StoreTransaction(db: db)
                try tx.setControlState(account: command.accountID, state: try tx.account(command.accountID).state,
                                       meter: meterState, at: now)
            }
        case .retry(let error, let next):
            try apply(.failed(error: error, retryAt: next), to: id, from: .inFlight, at: now, detail: "retry at \(next)", in: db)
        case .superseded(let reason):
            try apply(.supersede, to: id, from: .inFlight, at: now, detail: reason, in: db)
        case .putBack(let until, let reason):
            try apply(.notSent(until: until), to: id, from: .inFlight, at: now, detail: "not sent: \(reason); due again at \(until)",
                      in: db)
        case .review(let reason):
            return try moveToReview(id, reason: reason, at: now, in: db)
        }
        return nil
    }

    /// To job review from `expected` (nil: whatever state it is in now); returns the item opened.
    static func moveToReview(_ id: Int64, from expected: CommandState? = nil, reason: String, at now: Date,
                             in db: SQLSession) throws -> Int64 {
        let applied = try apply(.giveUp(reason: reason), to: id, from: expected, at: now, detail: "moved to job review", in: db)
        // giveUp always opens one (CommandLifecycle); a lifecycle that did not is a bug, named as such.
        guard let item = applied.reviewItem else { throw StoreError.noReviewItemOpened(command: id) }
        return item
    }

    /// Records several outcomes in the caller's transaction, each with its own result. Written
    /// together in one savepoint first (a lost race is rare); when one fails, that is rolled
    /// back and each is written again in a savepoint of its own, so the failure is rolled back
    /// alone (as ingestion does with a batch of readings).
    static func record(_ batch: [(id: Int64, outcome: CommandOutcome, at: Date)], in db: SQLSession) -> [Result<Int64?, any Error>] {
        if let together = try? db.cachedSavepoint({ try batch.map { try record($0.outcome, of: $0.id, at: $0.at, in: db) } }) {
            return together.map { .success($0) }
        }
        return batch.map { item in Result { try db.cachedSavepoint { try record(item.outcome, of: item.id, at: item.at, in: db) } } }
    }
}

extension StationStore {
    /// Records one outcome in a store write of its own; `reconnection`: a customer waits for it
    /// (an allow-close's acknowledgement), see `transaction(reconnection:_:)`.
    @discardableResult
    public func record(_ outcome: CommandOutcome, of id: Int64, at now: Date, reconnection: Bool = false) async throws -> Int64? {
        try await write(reconnection ? .reconnection : .urgent) { db in try CommandQueue.record(outcome, of: id, at: now, in: db) }
    }
}

extension StationStore {
    /// Pending commands whose validity deadline passed while they could have gone (`not_before`
    /// come) but waited for their meter, behind its other commands: moved to job review now
    /// ("deadline passed while waiting for its meter"), instead of when the line reaches them.
    /// A command claimed or ended meanwhile is left as it is. Returns each moved command's id
    /// and its review item.
    public func reviewCommandsPastDeadline(at now: Date) async throws -> [(command: Int64, reviewItem: Int64)] {
        let ms = StoredInstant.millis(now)
        let ids = try await writer.read { db in
            try Int64.fetchAll(db.cachedStatement(sql: """
                SELECT id FROM command WHERE state = 'pending' AND deadline_at <= ? AND not_before <= ? ORDER BY id
                """), arguments: [ms, ms])
        }
        guard !ids.isEmpty else { return [] }
        return try await write { db in
            var moved: [(command: Int64, reviewItem: Int64)] = []
            for id in ids {
                let item = try? db.cachedSavepoint {
                    try CommandQueue.moveToReview(id, from: .pending, reason: "deadline passed while waiting for its meter", at: now,
                                                  in: db)
                }
                if let item { moved.append((id, item)) }
            }
            return moved
        }
    }
}
