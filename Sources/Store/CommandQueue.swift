import ChargeControl
import Foundation
import GRDB
import Tariffs

/// A row of the durable command queue.
public struct CommandRecord: Sendable, Hashable {
    public let id: Int64
    public let accountID: String
    public let meterAddress: String
    public let kind: CommandKind
    public let reason: String
    public let detail: String
    public let balanceSeen: Money
    public let createdAt: Date
    public let notBefore: Date
    public let deadline: Date
    public let attempts: Int
    public let nextAttemptAt: Date
    public let state: CommandState
    public let lastError: String?
    public let acknowledgedAt: Date?
}

extension CommandRecord {
    init(row: Row) throws {
        self = try row.decodeRecord(table: "command", key: .name("id")) {
            try CommandRecord(
                id: row.decode(forColumn: "id"), accountID: row.decode(forColumn: "account_id"),
                meterAddress: row.decode(forColumn: "meter_address"), kind: row.decode(forColumn: "kind"),
                reason: row.decode(forColumn: "reason"), detail: row.decode(forColumn: "detail"),
                balanceSeen: Money(microYuan: row.decode(forColumn: "balance_micro_yuan")),
                createdAt: StoredInstant.date(row.decode(forColumn: "created_at")),
                notBefore: StoredInstant.date(row.decode(forColumn: "not_before")),
                deadline: StoredInstant.date(row.decode(forColumn: "deadline_at")),
                attempts: row.decode(forColumn: "attempts"),
                nextAttemptAt: StoredInstant.date(row.decode(forColumn: "next_attempt_at")),
                state: row.decode(forColumn: "state"), lastError: row.decode(forColumn: "last_error"),
                acknowledgedAt: row.decode(Int64?.self, forColumn: "acknowledged_at").map(StoredInstant.date))
        }
    }
}

extension CommandKind {
    /// Commands in one group act on the same thing (relay, alarm, keep-power), so a newer one
    /// supersedes a pending older one of the same group.
    public var group: String {
        switch self {
        case .trip, .allowClose, .directClose: "relay"
        case .alarm, .alarmRelease: "alarm"
        case .keepPower, .keepPowerRelease: "keep_power"
        }
    }

    /// Reconnecting a paying customer goes ahead of everything else on the line.
    public var isUrgent: Bool { self == .allowClose || self == .directClose }
}

/// The durable command queue: every transition is one transaction with its audit record.
public enum CommandQueue {
    /// Queues a planned command inside the caller's transaction. An equal command already
    /// pending, in flight or in review is kept instead (returns its id); pending or reviewed
    /// commands of the same group but another kind are superseded.
    @discardableResult
    public static func enqueue(_ planned: PlannedCommand, account: String, meter: String, deadline: Date,
                               at now: Date, in db: Database) throws -> Int64 {
        try queue(planned, account: account, meter: meter, deadline: deadline, at: now, in: db).id
    }

    /// `enqueue`, also telling whether the command is new (false: an equal one was kept).
    public static func queue(_ planned: PlannedCommand, account: String, meter: String, deadline: Date,
                             at now: Date, in db: Database) throws -> (id: Int64, isNew: Bool) {
        if let same = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT id FROM command WHERE meter_address = ? AND kind = ? AND state IN ('pending', 'in_flight', 'review')
            """), arguments: [meter, planned.kind.rawValue]) {
            return (same, false)
        }
        // The meter's waiting commands of the same group but another kind. One cached statement
        // for every kind (a SQL literal with the group's kinds was compiled on every decision).
        let stale = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, kind FROM command WHERE meter_address = ? AND state IN ('pending', 'review') ORDER BY id
            """), arguments: [meter]).compactMap { row -> Int64? in
            try row.decodeRecord(table: "command", key: .index(0)) { () -> Int64? in
                let kind = try row.decode(CommandKind.self, atIndex: 1)
                guard kind.group == planned.kind.group, kind != planned.kind else { return nil }
                return try row.decode(Int64.self, atIndex: 0)
            }
        }
        let ms = StoredInstant.millis(now)
        for id in stale {
            try transition(id, to: .superseded, error: nil, at: now, detail: "superseded by a newer \(planned.kind.rawValue) decision", in: db)
            try db.executeCached(sql: """
                UPDATE review_item SET state = 'cancelled', closed_at = ?, operator_note = 'superseded by a newer decision'
                WHERE command_id = ? AND state = 'open'
                """, arguments: [ms, id])
        }
        try db.executeCached(sql: """
            INSERT INTO command (account_id, meter_address, kind, reason, detail, balance_micro_yuan, created_at, not_before,
                deadline_at, attempts, next_attempt_at, state, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'pending', ?)
            """, arguments: [account, meter, planned.kind.rawValue, planned.reason.rawValue, planned.detail,
                             planned.balance.microYuan, ms, StoredInstant.millis(planned.notBefore),
                             StoredInstant.millis(deadline), StoredInstant.millis(planned.notBefore), ms])
        let id = db.lastInsertedRowID
        try AuditTrail.append(AuditEvent(at: now, event: planned.kind.rawValue, accountID: account, meterAddress: meter, commandID: id,
                                         balanceMicroYuan: planned.balance.microYuan,
                                         detail: "\(planned.reason.rawValue): \(planned.detail)"
                                             + (planned.isDeferred ? " (deferred to \(planned.notBefore))" : "")), in: db)
        return (id, true)
    }

    /// Moves a command to `state`, recording the error and an audit row.
    /// Returns the command as it now is.
    @discardableResult
    static func transition(_ id: Int64, to state: CommandState, error: String?, at now: Date, detail: String,
                           attemptsDelta: Int = 0, nextAttemptAt: Date? = nil, in db: Database) throws -> CommandRecord {
        let ms = StoredInstant.millis(now)
        try db.executeCached(sql: """
            UPDATE command SET state = ?, last_error = COALESCE(?, last_error), attempts = attempts + ?,
                next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ?,
                acknowledged_at = CASE WHEN ? = 'acknowledged' THEN ? ELSE acknowledged_at END
            WHERE id = ?
            """, arguments: [state.rawValue, error, attemptsDelta, nextAttemptAt.map(StoredInstant.millis), ms,
                             state.rawValue, ms, id])
        guard db.changesCount == 1 else { throw StoreError.unknownCommand(id) }
        let c = try command(id, in: db)
        try AuditTrail.append(AuditEvent(at: now, event: "command_\(state.rawValue)", accountID: c.accountID, meterAddress: c.meterAddress,
                                         commandID: id, detail: "\(c.kind.rawValue): \(detail)" + (error.map { " — \($0)" } ?? "")), in: db)
        return c
    }

    static func command(_ id: Int64, in db: Database) throws -> CommandRecord {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM command WHERE id = ?"), arguments: [id]) else {
            throw StoreError.unknownCommand(id)
        }
        return try CommandRecord(row: row)
    }
}

extension StationStore {
    /// Pending commands whose time has come, reconnections first, then oldest due first.
    public func dueCommands(at now: Date, limit: Int = 1000) async throws -> [CommandRecord] {
        let ms = StoredInstant.millis(now)
        return try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM command WHERE state = 'pending' AND next_attempt_at <= ? AND not_before <= ?
                ORDER BY CASE WHEN kind IN ('allow_close', 'direct_close') THEN 0 ELSE 1 END, next_attempt_at, id
                LIMIT ?
                """, arguments: [ms, ms, limit]).map(CommandRecord.init(row:))
        }
    }

    /// The earliest instant a pending command becomes due, for the dispatcher's sleep.
    public func nextDueInstant() async throws -> Date? {
        try await writer.read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(MAX(next_attempt_at, not_before)) FROM command WHERE state = 'pending'"))
                .map(StoredInstant.date)
        }
    }

    /// pending → in flight, counting the attempt. False when it is no longer pending.
    public func markInFlight(_ id: Int64, at now: Date) async throws -> Bool {
        try await transaction { tx in try tx.markInFlight(id, at: now) }
    }

    /// The meter accepted it.
    public func acknowledge(_ id: Int64, at now: Date, detail: String = "acknowledged by the meter") async throws {
        try await write { db in
            _ = try CommandQueue.transition(id, to: .acknowledged, error: nil, at: now, detail: detail, in: db)
        }
    }

    /// A failure that retrying may fix: back to pending, due again at `next`.
    public func retryLater(_ id: Int64, error: String, next: Date, at now: Date) async throws {
        try await write { db in
            _ = try CommandQueue.transition(id, to: .pending, error: error, at: now, detail: "retry at \(next)", nextAttemptAt: next, in: db)
        }
    }

    /// The decision no longer holds (e.g. the customer paid before a trip went out).
    public func supersede(_ id: Int64, reason: String, at now: Date) async throws {
        try await write { db in
            _ = try CommandQueue.transition(id, to: .superseded, error: nil, at: now, detail: reason, in: db)
        }
    }

    /// Retrying cannot fix it, or attempts/deadline ran out: a person takes over.
    @discardableResult
    public func moveToReview(_ id: Int64, reason: String, at now: Date) async throws -> Int64 {
        try await write { db in
            try CommandQueue.transition(id, to: .review, error: reason, at: now, detail: "moved to job review", in: db)
            let c = try CommandQueue.command(id, in: db)
            return try ReviewQueue.open(kind: "command", account: c.accountID, meter: c.meterAddress, commandID: id,
                                        readingID: nil, reason: reason, at: now, in: db)
        }
    }

    /// After a crash, commands left in flight go back to pending: the attempt may or may not
    /// have reached the meter, and control commands are idempotent there. Returns how many.
    public func recoverInFlight(at now: Date) async throws -> Int {
        try await write { db in
            let ids = try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM command WHERE state = 'in_flight'"))
            for id in ids {
                try CommandQueue.transition(id, to: .pending, error: "interrupted by a restart", at: now,
                                            detail: "recovered after restart", nextAttemptAt: now, in: db)
            }
            return ids.count
        }
    }

    /// An account's commands, newest first.
    public func commands(account: String, limit: Int = 100) async throws -> [CommandRecord] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM command WHERE account_id = ? ORDER BY id DESC LIMIT ?"),
                             arguments: [account, limit]).map(CommandRecord.init(row:))
        }
    }

    public func command(_ id: Int64) async throws -> CommandRecord {
        try await writer.read { db in try CommandQueue.command(id, in: db) }
    }

    /// Commands per state, for status lines and metrics.
    public func commandCounts() async throws -> [CommandState: Int] {
        try await writer.read { db in
            var out: [CommandState: Int] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT state, COUNT(*) AS n FROM command GROUP BY state")) {
                out[try row.decode(CommandState.self, forColumn: "state")] = try row.decode(Int.self, forColumn: "n")
            }
            return out
        }
    }
}
