import ChargeControl
import Foundation

/// What claiming one command of a batch came to (`StationStore.claim(_:at:reconnection:recheck:)`).
public enum CommandClaim<Recheck: Sendable>: Sendable {
    /// In flight now: the command as stored after the claim, and what the re-check returned
    /// (its failure rolled back alone: the command stays in flight and the attempt fails).
    case claimed(CommandRecord, Result<Recheck, any Error>)
    /// No longer pending (superseded, cancelled, already claimed) or gone: nothing written.
    case notPending
    /// Its row cannot be read: moved to job review in the same write, with the problem named.
    case unreadable(problem: String)
    /// The claim itself failed (rolled back alone); the command is as it was.
    case failed(any Error)
}

extension StationStore {
    /// Claims several commands in one store write: for each, pending → in flight (counting the
    /// attempt; a compare-and-set, so a command someone else moved on is `.notPending`), then
    /// `recheck` in its own savepoint (the dispatcher's re-evaluation of the account). Each claim
    /// runs in its own savepoint: one that fails is rolled back alone and the others commit.
    /// Returns one outcome per id, in order, once the write is durable. `reconnection`: a
    /// customer waits for these (see `transaction(reconnection:_:)`).
    public func claim<Recheck: Sendable>(
        _ ids: [Int64], at now: Date, reconnection: Bool = false,
        recheck: @escaping @Sendable (StoreTransaction, CommandRecord) throws -> Recheck
    ) async throws -> [CommandClaim<Recheck>] {
        guard !ids.isEmpty else { return [] }
        return try await write(reconnection ? .reconnection : .urgent) { db in
            ids.map { id in CommandQueue.claim(id, at: now, in: db, recheck: recheck) }
        }
    }
}

extension CommandQueue {
    /// One claim of a batch, in its own savepoint (see `StationStore.claim`).
    static func claim<Recheck: Sendable>(_ id: Int64, at now: Date, in db: SQLSession,
                                         recheck: (StoreTransaction, CommandRecord) throws -> Recheck) -> CommandClaim<Recheck> {
        do {
            let claimed = try db.cachedSavepoint { () throws -> CommandRecord? in
                do {
                    return try apply(.claim, to: id, from: .pending, at: now, detail: "sending", in: db).command
                } catch StoreError.lostRace, StoreError.unknownCommand {
                    return nil
                }
            }
            guard let claimed else { return .notPending }
            let seen = Result { try db.cachedSavepoint { try recheck(StoreTransaction(db: db), claimed) } }
            return .claimed(claimed, seen)
        } catch StoreError.undecodableRow(_, _, let problem) {
            do {
                try db.cachedSavepoint { try quarantine(command: id, problem: problem, at: now, in: db) }
                return .unreadable(problem: problem)
            } catch {
                return .failed(error)
            }
        } catch {
            return .failed(error)
        }
    }
}
