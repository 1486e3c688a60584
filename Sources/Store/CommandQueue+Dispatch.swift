import ChargeControl
import Foundation
import GRDB

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
    public func dispatchableCommands(at now: Date, limit: Int = 1000) async throws -> [CommandRecord] {
        let ms = StoredInstant.millis(now)
        let sql = Self.dispatchableSQL
        return try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [ms, ms, limit]).map(CommandRecord.init(row:))
        }
    }

    private static func urgency(_ kind: String) -> String {
        "CASE WHEN \(kind) IN ('allow_close', 'direct_close') THEN 0 ELSE 1 END"
    }

    private static let dispatchableSQL = """
        WITH live AS (
            SELECT id, state, next_attempt_at,
                ROW_NUMBER() OVER (
                    PARTITION BY meter_address
                    ORDER BY CASE WHEN state = 'in_flight' THEN 0 ELSE 1 END, \(urgency("kind")), id
                ) AS position
            FROM command
            WHERE state = 'in_flight' OR (state = 'pending' AND not_before <= ?)
        )
        SELECT command.* FROM live JOIN command ON command.id = live.id
        WHERE live.position = 1 AND live.state = 'pending' AND live.next_attempt_at <= ?
        ORDER BY \(urgency("command.kind")), command.next_attempt_at, command.id
        LIMIT ?
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
    /// policy set it.
    public func acknowledge(_ id: Int64, meterState: MeterState, detail: String, at now: Date) async throws {
        try await write { db in
            try CommandQueue.transition(id, to: .acknowledged, error: nil, at: now, detail: detail, in: db)
            let c = try CommandQueue.command(id, in: db)
            let tx = StoreTransaction(db: db)
            try tx.setControlState(account: c.accountID, state: try tx.account(c.accountID).state, meter: meterState, at: now)
        }
    }

    /// in flight → pending until `next`, without counting the attempt: the command was not sent
    /// (a deferred trip whose window has closed again, or a send interrupted by shutdown).
    public func putBack(_ id: Int64, until next: Date, reason: String, at now: Date) async throws {
        try await write { db in
            try CommandQueue.transition(id, to: .pending, error: nil, at: now, detail: "not sent: \(reason); due again at \(next)",
                                        attemptsDelta: -1, nextAttemptAt: next, in: db)
        }
    }
}

extension StoreTransaction {
    /// pending → in flight, counting the attempt, inside this transaction (so the dispatcher's
    /// re-check commits with it). False when the command is no longer pending.
    public func markInFlight(_ id: Int64, at now: Date) throws -> Bool {
        guard try CommandQueue.command(id, in: db).state == .pending else { return false }
        try CommandQueue.transition(id, to: .inFlight, error: nil, at: now, detail: "sending", attemptsDelta: 1, in: db)
        return true
    }
}
