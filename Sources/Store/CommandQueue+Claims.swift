import ChargeControl
import Foundation

/// What claiming one command of a batch came to (`StationStore.claim(_:at:reconnection:recheck:)`).
public enum CommandClaim<Recheck: Sendable>: Sendable {
    /// In flight now: the command as stored after the claim, and what the re-check returned
    /// (its failure rolled back alone: the command stays in flight and the attempt fails).
    case claimed(CommandRecord, Result<Recheck, any Error>)
    /// No longer pending (superseded, cancelled, already claimed) or gone: nothing written.
    case notPending
    /// Its meter's terminal is not leased by this node (any more, or not with time to spare):
    /// nothing written; the terminal's holder sends it (issue 16).
    case notLeased(terminal: String)
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
            let fence = try leaseFence(command: id, at: now, in: db)
            if case .notLeased(let terminal) = fence { return .notLeased(terminal: terminal) }
            let claimed = try db.cachedSavepoint { () throws -> CommandRecord? in
                do {
                    let command = try apply(.claim, to: id, from: .pending, at: now, detail: "sending", in: db).command
                    if case .leased(let node, let generation) = fence {
                        try db.executeCached(sql: "UPDATE command SET claimed_by = ?, claim_generation = ? WHERE id = ?",
                                             arguments: [node, generation, id])
                    }
                    return command
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

extension CommandQueue {
    /// What a claim is fenced by (issue 16).
    enum LeaseFence {
        /// A solo daemon: every terminal is its own.
        case solo
        /// Claimed under this node's lease, at this generation (written on the command).
        case leased(node: String, generation: Int64)
        case notLeased(terminal: String)
    }

    /// The lease a claim of command `id` goes under: this node must hold its meter's terminal
    /// with time to spare (`ClusterMembership`), and the database must still say so at the
    /// generation it holds. A node paused past its lease finds another holder or generation
    /// there, and claims nothing.
    static func leaseFence(command id: Int64, at now: Date, in db: SQLSession) throws -> LeaseFence {
        guard let cluster = AccountBook.current?.cluster, cluster.isClustered else { return .solo }
        guard let terminal = try String.fetchOne(db.cachedStatement(sql: """
            SELECT a.terminal_id FROM command AS c JOIN account AS a ON a.id = c.account_id WHERE c.id = ?
            """), arguments: [id]) else { return .solo }  // gone: the claim finds it so
        guard let (node, lease) = cluster.lease(terminal: terminal) else { return .notLeased(terminal: terminal) }
        let generation = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT generation FROM terminal_lease WHERE terminal_id = ? AND node = ? AND expires_at > ?
            """), arguments: [terminal, node, StoredInstant.millis(now)])
        guard generation == lease.generation else { return .notLeased(terminal: terminal) }
        return .leased(node: node, generation: lease.generation)
    }
}
