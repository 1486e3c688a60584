import ChargeControl
import Foundation
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
    /// What a `write` writes (nil for every other kind).
    public let parameter: ParameterSetting?
}

extension CommandKind {
    /// Commands in one group act on the same thing (relay, alarm, keep-power, clock), so a newer
    /// one supersedes a pending older one of the same group; writes group by identifier too
    /// (`CommandQueue.supersessionKey`).
    public var group: String {
        switch self {
        case .trip, .allowClose, .directClose: "relay"
        case .alarm, .alarmRelease: "alarm"
        case .keepPower, .keepPowerRelease: "keep_power"
        case .write: "parameter"
        case .clockBroadcast, .clockWrite: "clock"
        }
    }

    /// A 1CH remote-control command (the others write parameters or set the clock).
    public var isRemoteControl: Bool { group == "relay" || group == "alarm" || group == "keep_power" }

    /// Reconnecting a paying customer goes ahead of everything else on the line.
    public var isUrgent: Bool { self == .allowClose || self == .directClose }
}

/// The durable command queue: every transition is one transaction with its audit record.
public enum CommandQueue {
    /// Queues a planned command inside the caller's transaction. An equal command already
    /// pending, in flight or in review is kept instead (returns its id); pending or reviewed
    /// commands of the same group but another kind are superseded.
    @discardableResult
    static func enqueue(_ planned: PlannedCommand, account: String, meter: String, deadline: Date,
                               at now: Date, in db: SQLSession) throws -> Int64 {
        try queue(planned, account: account, meter: meter, deadline: deadline, at: now, in: db).id
    }

    /// `enqueue`, also telling whether the command is new (false: an equal one was kept).
    static func queue(_ planned: PlannedCommand, account: String, meter: String, deadline: Date,
                             at now: Date, batch: String? = nil, in db: SQLSession) throws -> (id: Int64, isNew: Bool) {
        let key = supersessionKey(planned.kind, planned.parameter)
        // `IS`: equal when both are NULL (every kind but write).
        if let same = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT id FROM command WHERE meter_address = ? AND kind = ? AND identifier IS ? AND value IS ?
                AND state IN ('pending', 'in_flight', 'review')
            """), arguments: [meter, planned.kind.rawValue, planned.parameter?.identifier, planned.parameter?.value]) {
            return (same, false)
        }
        // The meter's waiting commands on the same thing (another kind of its group, or another
        // value for the same identifier). One cached statement for every kind (a SQL literal
        // with the group's kinds was compiled on every decision).
        let stale = try SQLRow.fetchAll(db.cachedStatement(sql: """
            SELECT id, kind, identifier FROM command WHERE meter_address = ? AND state IN ('pending', 'review') ORDER BY id
            """), arguments: [meter]).compactMap { row -> Int64? in
            // A waiting command no one can read (an unknown kind) supersedes nothing and is
            // superseded by nothing: the dispatcher moves it to job review with its problem named
            // (`dispatchable`), where an operator cancels it. Throwing here would stop every new
            // decision for its meter, payments' allow-closes included.
            guard let kind = try? row.decode(CommandKind.self, atIndex: 1) else { return nil }
            return try row.decodeRecord(table: "command", key: .index(0)) { () -> Int64? in
                let identifier = try row.decode(String?.self, atIndex: 2)
                guard supersessionKey(kind, identifier.map { ParameterSetting(identifier: $0, value: "") }) == key else { return nil }
                return try row.decode(Int64.self, atIndex: 0)
            }
        }
        for id in stale {
            try apply(.supersede, to: id, at: now, detail: "superseded by a newer \(planned.kind.rawValue) decision",
                      reviewNote: "superseded by a newer decision", in: db)
        }
        let ms = StoredInstant.millis(now)
        try db.executeCached(sql: """
            INSERT INTO command (account_id, meter_address, kind, reason, detail, balance_micro_yuan, created_at, not_before,
                deadline_at, attempts, next_attempt_at, state, updated_at, identifier, value, batch)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'pending', ?, ?, ?, ?)
            """, arguments: [account, meter, planned.kind.rawValue, planned.reason.rawValue, planned.detail,
                             planned.balance.microYuan, ms, StoredInstant.millis(planned.notBefore),
                             StoredInstant.millis(deadline), StoredInstant.millis(planned.notBefore), ms,
                             planned.parameter?.identifier, planned.parameter?.value, batch])
        let id = try db.lastInsertedRowID
        try AuditTrail.append(AuditEvent(at: now, event: planned.kind.rawValue, accountID: account, meterAddress: meter, commandID: id,
                                         balanceMicroYuan: planned.balance.microYuan,
                                         detail: "\(planned.reason.rawValue): \(planned.detail)"
                                             + (planned.isDeferred ? " (deferred to \(planned.notBefore))" : "")), in: db)
        return (id, true)
    }

    /// What one command acts on: a newer command with the same key replaces an older waiting one
    /// of another kind or value. Control kinds: their group; writes: the identifier.
    static func supersessionKey(_ kind: CommandKind, _ parameter: ParameterSetting?) -> String {
        kind == .write ? "parameter:\(parameter?.identifier ?? "")" : kind.group
    }

    /// What applying an event did: the command as it now is, and the review item it opened.
    struct Applied {
        let command: CommandRecord
        let reviewItem: Int64?
    }

    /// Applies `event` to command `id` in the caller's transaction: the move is decided by the
    /// pure `CommandLifecycle` from `expected` (the state the caller decided in; nil: the state
    /// read here), and written only if the row is still in that state (`… WHERE id = ? AND
    /// state = ?`), so two deciders can never both win: the loser gets
    /// `StoreError.lostRace`, and nothing is written. Its effects follow in the same
    /// transaction, then one audit row. `reviewNote`: the note a review item it closes keeps.
    @discardableResult
    static func apply(_ event: CommandEvent, to id: Int64, from expected: CommandState? = nil, at now: Date, detail: String,
                      reviewNote: String? = nil, in db: SQLSession) throws -> Applied {
        let before = try command(id, in: db)
        let from = expected ?? before.state
        guard before.state == from else { throw StoreError.lostRace(command: id, expected: from, found: before.state) }
        let move = try CommandLifecycle.transition(from: from, on: event)
        var row = ColumnChanges()
        for effect in move.effects { row.apply(effect, at: now) }
        let ms = StoredInstant.millis(now)
        // Fenced (issue 16): only the node that claimed a command in flight settles it, but a
        // recovery (after a restart, or of a lost node's claims) puts it back whoever claimed it.
        var claimant: String?
        if case .recover = event {} else { claimant = AccountBook.current?.cluster.node }
        try db.executeCached(sql: """
            UPDATE command SET state = ?, attempts = CASE WHEN ? != 0 THEN 0 ELSE attempts + ? END,
                deadline_at = COALESCE(?, deadline_at), next_attempt_at = COALESCE(?, next_attempt_at),
                last_error = COALESCE(?, last_error), acknowledged_at = COALESCE(?, acknowledged_at), updated_at = ?
            WHERE id = ? AND state = ? AND (state != 'in_flight' OR claimed_by IS NULL OR CAST(? AS TEXT) IS NULL OR claimed_by = ?)
            """, arguments: [move.to.rawValue, row.resetAttempts, row.attemptsDelta, row.deadline, row.due, row.error,
                             row.acknowledged ? ms : nil, ms, id, from.rawValue, claimant, claimant])
        guard db.changesCount == 1 else { throw StoreError.lostRace(command: id, expected: from, found: nil) }
        // The row as the UPDATE left it, worked out rather than read again (a second read per
        // transition was 4 % of the daemon in the p3 profile).
        let after = row.applied(to: before, state: move.to, at: ms)
        var opened: Int64?
        for effect in move.effects {
            switch effect {
            case .openReviewItem(let reason):
                opened = try ReviewQueue.open(kind: .command, account: after.accountID, meter: after.meterAddress, commandID: id,
                                              readingID: nil, reason: reason, at: now, in: db)
            case .closeReviewItem(let state):
                try db.executeCached(sql: """
                    UPDATE review_item SET state = ?, closed_at = ?, operator_note = COALESCE(?, operator_note)
                    WHERE command_id = ? AND state = 'open'
                    """, arguments: [state.rawValue, ms, reviewNote, id])
            case .recordMeterAsCommanded:
                // Nobody read the meter back (done on site): record it as the command leaves it,
                // or the next evaluation decides the same command again (seen in the crash rounds).
                let tx = StoreTransaction(db: db)
                let account = try tx.account(after.accountID)
                try tx.setControlState(account: account.id, state: account.state, meter: account.meter.after(after.kind), at: now)
            case .countAttempt, .uncountAttempt, .resetAttempts, .dueAt, .recordError, .stampAcknowledged:
                break  // columns, written above
            }
        }
        try AuditTrail.append(AuditEvent(at: now, event: "command_\(move.to.rawValue)", accountID: after.accountID,
                                         meterAddress: after.meterAddress, commandID: id,
                                         detail: "\(after.kind.rawValue): \(detail)" + (row.error.map { " — \($0)" } ?? "")), in: db)
        if move.to == .acknowledged { try FeeControlProgress.writeConfirmed(after, at: now, in: db) }
        return Applied(command: after, reviewItem: opened)
    }

    /// The command columns an event's effects set.
    private struct ColumnChanges {
        /// `command` as the UPDATE in `apply` writes it (same COALESCE rules), in state `state`.
        func applied(to command: CommandRecord, state: CommandState, at ms: Int64) -> CommandRecord {
            CommandRecord(id: command.id, accountID: command.accountID, meterAddress: command.meterAddress, kind: command.kind,
                          reason: command.reason, detail: command.detail, balanceSeen: command.balanceSeen,
                          createdAt: command.createdAt, notBefore: command.notBefore,
                          deadline: deadline.map(StoredInstant.date) ?? command.deadline,
                          attempts: resetAttempts ? 0 : command.attempts + attemptsDelta,
                          nextAttemptAt: due.map(StoredInstant.date) ?? command.nextAttemptAt, state: state,
                          lastError: error ?? command.lastError,
                          acknowledgedAt: acknowledged ? StoredInstant.date(ms) : command.acknowledgedAt,
                          parameter: command.parameter)
        }

        var attemptsDelta = 0
        var resetAttempts = false
        var deadline: Int64?
        var due: Int64?
        var error: String?
        var acknowledged = false

        mutating func apply(_ effect: CommandEffect, at now: Date) {
            switch effect {
            case .countAttempt: attemptsDelta += 1
            case .uncountAttempt: attemptsDelta -= 1
            case .resetAttempts(let newDeadline):
                resetAttempts = true
                deadline = StoredInstant.millis(newDeadline)
            case .dueAt(let instant): due = StoredInstant.millis(instant)
            case .recordError(let text): error = text
            case .stampAcknowledged: acknowledged = true
            case .recordMeterAsCommanded, .openReviewItem, .closeReviewItem: break  // not columns of the command
            }
        }
    }

    /// Cancels command `id`, in review, whose row cannot be read (`StoreError.undecodableRow`):
    /// the lifecycle cannot decide from a state it cannot read, so this is the one move written
    /// without it, only from review, with its review item closed and one audit row.
    static func cancelUnreadable(_ id: Int64, note: String, at now: Date, in db: SQLSession) throws {
        let ms = StoredInstant.millis(now)
        try db.executeCached(sql: "UPDATE command SET state = 'cancelled', updated_at = ? WHERE id = ? AND state = 'review'",
                             arguments: [ms, id])
        guard db.changesCount == 1 else { throw StoreError.lostRace(command: id, expected: .review, found: nil) }
        try db.executeCached(sql: """
            UPDATE review_item SET state = 'cancelled', closed_at = ?, operator_note = ? WHERE command_id = ? AND state = 'open'
            """, arguments: [ms, note, id])
        try AuditTrail.append(AuditEvent(at: now, event: "command_cancelled", commandID: id,
                                         detail: "a command that cannot be read, cancelled by an operator: \(note)"), in: db)
    }

    static func command(_ id: Int64, in db: SQLSession) throws -> CommandRecord {
        guard let row = try SQLRow.fetchOne(db.cachedStatement(sql: CommandRecord.selectByID), arguments: [id]) else {
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
            try SQLRow.fetchAll(db.cachedStatement(sql: CommandRecord.selectDue), arguments: [ms, ms, limit])
                .map { try CommandRecord(row: $0) }
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

    /// The meter accepted it (in flight → acknowledged).
    public func acknowledge(_ id: Int64, at now: Date, detail: String = "acknowledged by the meter") async throws {
        try await record(.acknowledged(meterState: nil, detail: detail), of: id, at: now)
    }

    /// A failure that retrying may fix: in flight → pending, due again at `next`.
    public func retryLater(_ id: Int64, error: String, next: Date, at now: Date) async throws {
        try await record(.retry(error: error, next: next), of: id, at: now)
    }

    /// The decision no longer holds (the customer paid before a trip went out): the dispatcher's
    /// re-check of a command it holds in flight.
    public func supersede(_ id: Int64, reason: String, at now: Date) async throws {
        try await record(.superseded(reason: reason), of: id, at: now)
    }

    /// Retrying cannot fix it, or attempts or the deadline ran out: a person takes over. `from`:
    /// the state it was decided in (the dispatcher's is in flight); nil: whatever it is now.
    /// Returns the review item opened.
    @discardableResult
    public func moveToReview(_ id: Int64, from expected: CommandState? = nil, reason: String, at now: Date) async throws -> Int64 {
        try await write { db in try CommandQueue.moveToReview(id, from: expected, reason: reason, at: now, in: db) }
    }

    /// After a crash, commands left in flight go back to pending: the attempt may or may not
    /// have reached the meter, and control commands are idempotent there. Returns how many.
    public func recoverInFlight(at now: Date) async throws -> Int {
        try await write { db in
            // A node of several puts back only its own claims: the others' are theirs, or, when
            // a node is lost, its terminals' new holders' (`applyLeaseRound`).
            let node = AccountBook.current?.cluster.node
            let ids = try Int64.fetchAll(db.cachedStatement(sql: """
                SELECT id FROM command WHERE state = 'in_flight' AND (CAST(? AS TEXT) IS NULL OR claimed_by = ?)
                """), arguments: [node, node])
            for id in ids {
                try CommandQueue.apply(.recover(at: now), to: id, from: .inFlight, at: now, detail: "recovered after restart", in: db)
            }
            return ids.count
        }
    }

    /// An account's commands, newest first.
    public func commands(account: String, limit: Int = 100) async throws -> [CommandRecord] {
        try await writer.read { db in
            try SQLRow.fetchAll(db.cachedStatement(sql: CommandRecord.selectOfAccount),
                             arguments: [account, limit]).map { try CommandRecord(row: $0) }
        }
    }

    public func command(_ id: Int64) async throws -> CommandRecord {
        try await writer.read { db in try CommandQueue.command(id, in: db) }
    }

    /// Commands per state, for status lines and metrics.
    public func commandCounts() async throws -> [CommandState: Int] {
        try await writer.read { db in
            var out: [CommandState: Int] = [:]
            for row in try SQLRow.fetchAll(db.cachedStatement(sql: "SELECT state, COUNT(*) AS n FROM command GROUP BY state")) {
                out[try row.decode(CommandState.self, forColumn: "state")] = try row.decode(Int.self, forColumn: "n")
            }
            return out
        }
    }
}
