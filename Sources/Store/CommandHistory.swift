import Foundation

/// A command's row as stored, for checks from outside (the reliability harness). Kind and state
/// are the stored text: a value the lifecycle does not know is for the check to report, not a
/// read that fails.
public struct CommandTrace: Sendable, Hashable {
    public let id: Int64
    public let accountID: String
    public let meterAddress: String
    public let kind: String
    public let state: String
    /// Unix milliseconds as stored.
    public let createdAtMillis: Int64
    public let deadlineAtMillis: Int64
    public let acknowledgedAtMillis: Int64?
    /// Open review items that name it.
    public let openReviewItems: Int
}

/// How many review items of one kind are in one state (both as stored).
public struct ReviewTally: Sendable, Hashable {
    public let kind: String
    public let state: String
    public let count: Int
}

/// Every command and what was recorded about it, read in one transaction: a command, its audit
/// rows and its review items agree with each other even while a daemon writes.
public struct CommandHistory: Sendable {
    /// By id.
    public var commands: [CommandTrace]
    /// Every audit row that names a command (one whose command is gone too), oldest first.
    public var audit: [AuditEntry]
    /// Review items by kind and state.
    public var reviewItems: [ReviewTally]
    /// Retries scheduled after a failed attempt (the "retry at" rows `retryLater` writes).
    public var retriesScheduled: Int
}

extension StationStore {
    /// The command history (see `CommandHistory`). Loads every command and every audit row that
    /// names one: for checks, not for the running station.
    public func commandHistory() async throws -> CommandHistory {
        try await writer.read { db in
            var open: [Int64: Int] = [:]
            for row in try SQLRow.fetchAll(db, sql: "SELECT command_id FROM review_item WHERE state = 'open' AND command_id IS NOT NULL") {
                open[try row.decode(forColumn: "command_id"), default: 0] += 1
            }
            let commands = try SQLRow.fetchAll(db, sql: """
                SELECT id, account_id, meter_address, kind, state, created_at, deadline_at, acknowledged_at FROM command ORDER BY id
                """).map { row in
                try row.decodeRecord(table: "command", key: .index(0)) {
                    let id: Int64 = try row.decode(atIndex: 0)
                    return try CommandTrace(id: id, accountID: row.decode(atIndex: 1), meterAddress: row.decode(atIndex: 2),
                                            kind: row.decode(atIndex: 3), state: row.decode(atIndex: 4),
                                            createdAtMillis: row.decode(atIndex: 5), deadlineAtMillis: row.decode(atIndex: 6),
                                            acknowledgedAtMillis: row.decode(atIndex: 7), openReviewItems: open[id] ?? 0)
                }
            }
            // The audit table has no index on command_id: one pass over it.
            let audit = try SQLRow.fetchAll(db, sql: """
                SELECT id, at, event, account_id, meter_address, command_id, balance_micro_yuan, detail, actor
                FROM audit WHERE command_id IS NOT NULL ORDER BY id
                """).map(AuditEntry.init(row:))
            let reviewItems = try SQLRow.fetchAll(db, sql: "SELECT kind, state, COUNT(*) FROM review_item GROUP BY kind, state").map { row in
                try ReviewTally(kind: row.decode(atIndex: 0), state: row.decode(atIndex: 1), count: row.decode(atIndex: 2))
            }
            let retries = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM audit WHERE event = 'command_pending' AND detail LIKE '%retry at%'
                """) ?? 0
            return CommandHistory(commands: commands, audit: audit, reviewItems: reviewItems, retriesScheduled: retries)
        }
    }

    /// The commands a restart put back to pending (`recoverInFlight`), each once.
    public func commandsRecoveredAfterRestart() async throws -> Set<Int64> {
        Set(try await writer.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT DISTINCT command_id FROM audit WHERE event = 'command_pending' AND detail LIKE '%recovered after restart%'
                """)
        })
    }

    /// The latest deadline among the commands still pending or in flight; nil when none is.
    public func latestOpenCommandDeadline() async throws -> Date? {
        try await writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(deadline_at) FROM command WHERE state IN ('pending', 'in_flight')")
                .map(StoredInstant.date)
        }
    }
}
