import ChargeControl
import Foundation

/// The queue operations the dispatcher needs beyond `CommandQueue.swift`: per-meter ordering,
/// an acknowledgement that records the meter's state in the same transaction, and putting a
/// command back without counting the attempt.
extension StationStore {
    /// Pending commands the dispatcher may send now, at most one per meter: each meter's commands
    /// form a queue (reconnections first, then oldest first, the one in flight ahead of all), and
    /// only the head of that queue goes, once it is due. A command waiting for its retry therefore
    /// holds back the meter's younger commands (an alarm goes before the trip that follows it),
    /// but a trip deferred to a later window holds back nothing. Reconnections first, then the
    /// oldest due first, like `dueCommands(at:limit:)`.
    ///
    /// The due commands are walked in that order through the partial index
    /// `command_dispatch_order`, each kept unless an earlier live command of its meter exists
    /// (an index probe on `command_meter`): the cost grows with the commands returned and skipped,
    /// not with the queue: 2 ms for 1,000 of 200,000 queued, where the window over every live
    /// command it replaces took 0.3 s, and ran after every dispatch (issue 7, p3). The dispatcher
    /// now keeps this order in memory (`DispatchBacklog` in Station, rebuilt from
    /// `pendingCommandScan`); this walk is the reference its tests compare it with.
    public func dispatchableCommands(at now: Date, limit: Int = 1000) async throws -> [CommandRecord] {
        try await dispatchable(at: now, limit: limit).commands
    }

    /// `dispatchableCommands`, and the due commands whose rows could not be read: those are
    /// moved to job review (a stored row nobody can read must not hold back every meter's
    /// commands, reconnections included, poll after poll; issue 17). Each with its problem.
    public func dispatchable(at now: Date, limit: Int = 1000) async throws
        -> (commands: [CommandRecord], quarantined: [(id: Int64, problem: String)])
    {
        let ms = StoredInstant.millis(now)
        let (commands, unreadable) = try await writer.read { db -> ([CommandRecord], [(Int64, String)]) in
            var commands: [CommandRecord] = []
            var unreadable: [(Int64, String)] = []
            for row in try SQLRow.fetchAll(db.cachedStatement(sql: Self.dispatchableSQL), arguments: [ms, limit]) {
                do {
                    commands.append(try CommandRecord(row: row))
                } catch let error as StoreError {
                    // The id is the primary key, an INTEGER: it always reads.
                    unreadable.append((try row.decode(Int64.self, atIndex: 0), error.description))
                }
            }
            return (commands, unreadable)
        }
        for (id, problem) in unreadable { try await quarantine(command: id, problem: problem, at: now) }
        return (commands, unreadable.map { (id: $0.0, problem: $0.1) })
    }

    /// A pending command whose row cannot be read goes to job review with the problem named.
    private func quarantine(command id: Int64, problem: String, at now: Date) async throws {
        try await write { db in try CommandQueue.quarantine(command: id, problem: problem, at: now, in: db) }
    }

    /// The urgency expression (0 for reconnections) is written out as in the index. `INDEXED BY`:
    /// without statistics the planner prefers `command_due` and sorts every due command.
    static let dispatchableSQL = """
        SELECT c.id, c.account_id, c.meter_address, c.kind, c.reason, c.detail, c.balance_micro_yuan, c.created_at, c.not_before,
            c.deadline_at, c.attempts, c.next_attempt_at, c.state, c.last_error, c.acknowledged_at, c.identifier, c.value
        FROM command AS c INDEXED BY command_dispatch_order
        WHERE c.state = 'pending' AND c.not_before <= ?1 AND c.next_attempt_at <= ?1
            AND NOT EXISTS (
                SELECT 1 FROM command AS o
                WHERE o.meter_address = c.meter_address AND o.id != c.id
                    AND (o.state = 'in_flight'
                         OR (o.state = 'pending' AND o.not_before <= ?1
                             AND (CASE WHEN o.kind IN ('allow_close', 'direct_close') THEN 0 ELSE 1 END, o.id)
                                 < (CASE WHEN c.kind IN ('allow_close', 'direct_close') THEN 0 ELSE 1 END, c.id))))
        ORDER BY CASE WHEN c.kind IN ('allow_close', 'direct_close') THEN 0 ELSE 1 END, c.next_attempt_at, c.id
        LIMIT ?2
        """

    /// The earliest instant after `now` at which a pending command becomes due: what the
    /// dispatcher sleeps until. Commands already due but held back by their meter's queue are
    /// not counted (finishing the command ahead of them wakes the dispatcher instead).
    public func nextDueInstant(after now: Date) async throws -> Date? {
        let ms = StoredInstant.millis(now)
        return try await writer.read { db in
            try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT MIN(MAX(next_attempt_at, not_before)) FROM command
                WHERE state = 'pending' AND MAX(next_attempt_at, not_before) > ?
                """), arguments: [ms]).map(StoredInstant.date)
        }
    }

    /// The meter accepted the command: acknowledges it and records the meter's state as read
    /// back (or as expected) in one transaction. The account's control state is left as the
    /// policy set it. `reconnection`: a customer waits for this one (see `transaction(reconnection:_:)`).
    public func acknowledge(_ id: Int64, meterState: MeterState, detail: String, at now: Date,
                            reconnection: Bool = false) async throws {
        try await record(.acknowledged(meterState: meterState, detail: detail), of: id, at: now, reconnection: reconnection)
    }

    /// in flight → pending until `next`, without counting the attempt: the command was not sent
    /// (a deferred trip whose window has closed again, or a send interrupted by shutdown).
    public func putBack(_ id: Int64, until next: Date, reason: String, at now: Date) async throws {
        try await record(.putBack(until: next, reason: reason), of: id, at: now)
    }
}

extension CommandQueue {
    /// A pending command whose row cannot be read goes to job review with the problem named,
    /// written without decoding it (account and meter are copied as stored). Nothing when it
    /// is no longer pending.
    static func quarantine(command id: Int64, problem: String, at now: Date, in db: SQLSession) throws {
        let ms = StoredInstant.millis(now)
        let reason = "the stored command cannot be read: \(problem)"
        try db.execute(sql: "UPDATE command SET state = 'review', last_error = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
                       arguments: [reason, ms, id])
        guard db.changesCount == 1 else { return }
        try db.execute(sql: """
            INSERT INTO review_item (kind, account_id, meter_address, command_id, reason, opened_at, state, due_at)
            SELECT 'command', account_id, meter_address, id, ?, ?, 'open', \(ReviewQueue.dueAtSQL) FROM command WHERE id = ?
            """, arguments: [reason, ms] + ReviewQueue.dueAtArguments(.command, openedAt: ms) + [id])
        try AuditTrail.append(AuditEvent(at: now, event: "review", accountID: nil, meterAddress: nil, commandID: id,
                                         detail: "command \(id) moved to job review: \(reason)"), in: db)
    }
}

extension StoreTransaction {
    /// pending → in flight, counting the attempt, inside this transaction (so the dispatcher's
    /// re-check commits with it). False when the command is no longer pending.
    public func markInFlight(_ id: Int64, at now: Date) throws -> Bool {
        do {
            try CommandQueue.apply(.claim, to: id, from: .pending, at: now, detail: "sending", in: db)
            return true
        } catch StoreError.lostRace {
            return false
        }
    }
}
