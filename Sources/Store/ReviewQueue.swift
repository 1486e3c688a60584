import Foundation
import GRDB

/// An item of the manual job-review queue.
public struct ReviewItem: Sendable, Hashable {
    public let id: Int64
    /// `command` (remote delivery failed) or `reading` (abnormal data).
    public let kind: String
    public let accountID: String
    public let meterAddress: String
    public let commandID: Int64?
    public let readingID: Int64?
    public let reason: String
    public let openedAt: Date
    public let state: String
    public let closedAt: Date?
    public let operatorNote: String?
}

extension ReviewItem {
    init(row: Row) throws {
        self = try row.decodeRecord(table: "review_item", key: .name("id")) {
            try ReviewItem(
                id: row.decode(forColumn: "id"), kind: row.decode(forColumn: "kind"), accountID: row.decode(forColumn: "account_id"),
                meterAddress: row.decode(forColumn: "meter_address"), commandID: row.decode(forColumn: "command_id"),
                readingID: row.decode(forColumn: "reading_id"), reason: row.decode(forColumn: "reason"),
                openedAt: StoredInstant.date(row.decode(forColumn: "opened_at")), state: row.decode(forColumn: "state"),
                closedAt: row.decode(Int64?.self, forColumn: "closed_at").map(StoredInstant.date),
                operatorNote: row.decode(forColumn: "operator_note"))
        }
    }
}

/// What an operator does with a review item.
public enum ReviewAction: String, Sendable, Hashable, CaseIterable {
    /// Send the command again (attempts start over, with a new deadline).
    case retry
    /// Done on site (management card): the command counts as carried out.
    case resolve
    /// Drop it.
    case cancel
}

enum ReviewQueue {
    static func open(kind: String, account: String, meter: String, commandID: Int64?, readingID: Int64?,
                     reason: String, at now: Date, in db: Database) throws -> Int64 {
        try db.executeCached(sql: """
            INSERT INTO review_item (kind, account_id, meter_address, command_id, reading_id, reason, opened_at, state)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'open')
            """, arguments: [kind, account, meter, commandID, readingID, reason, StoredInstant.millis(now)])
        let id = db.lastInsertedRowID
        try AuditTrail.append(AuditEvent(at: now, event: "review", accountID: account, meterAddress: meter, commandID: commandID,
                                         detail: "review item \(id) opened (\(kind)): \(reason)"), in: db)
        return id
    }
}

extension StationStore {
    public func openReviewItems(limit: Int = 1000) async throws -> [ReviewItem] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM review_item WHERE state = 'open' ORDER BY id LIMIT ?", arguments: [limit])
                .map(ReviewItem.init(row:))
        }
    }

    /// How many items wait for an operator.
    public func openReviewCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM review_item WHERE state = 'open'") ?? 0 }
    }

    public func reviewItem(_ id: Int64) async throws -> ReviewItem {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM review_item WHERE id = ?", arguments: [id]) else {
                throw StoreError.unknownReviewItem(id)
            }
            return try ReviewItem(row: row)
        }
    }

    /// Applies an operator's action to an open item and its command, with the operator's note.
    /// `newDeadline` is the validity deadline a retried command gets.
    public func act(onReview id: Int64, _ action: ReviewAction, note: String, newDeadline: Date,
                    at now: Date) async throws -> ReviewItem {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM review_item WHERE id = ?", arguments: [id]) else {
                throw StoreError.unknownReviewItem(id)
            }
            let item = try ReviewItem(row: row)
            guard item.state == "open" else { throw StoreError.reviewItemClosed(id, state: item.state) }
            let ms = StoredInstant.millis(now)
            let newState: String
            switch action {
            case .retry:
                newState = "retried"
                if let c = item.commandID {
                    try db.executeCached(sql: "UPDATE command SET attempts = 0, deadline_at = ? WHERE id = ?",
                                   arguments: [StoredInstant.millis(newDeadline), c])
                    try CommandQueue.transition(c, to: .pending, error: nil, at: now, detail: "operator retry: \(note)",
                                                nextAttemptAt: now, in: db)
                }
            case .resolve:
                newState = "resolved"
                if let c = item.commandID {
                    let command = try CommandQueue.transition(c, to: .acknowledged, error: nil, at: now,
                                                              detail: "done on site: \(note)", in: db)
                    // The crew did what the command asked: record the meter as it now is, or the
                    // next evaluation decides the same command again (seen in the crash rounds).
                    let tx = StoreTransaction(db: db)
                    let account = try tx.account(command.accountID)
                    try tx.setControlState(account: account.id, state: account.state, meter: account.meter.after(command.kind), at: now)
                }
            case .cancel:
                newState = "cancelled"
                if let c = item.commandID {
                    try CommandQueue.transition(c, to: .cancelled, error: nil, at: now, detail: "operator cancelled: \(note)", in: db)
                }
            }
            try db.executeCached(sql: "UPDATE review_item SET state = ?, closed_at = ?, operator_note = ? WHERE id = ?",
                           arguments: [newState, ms, note, id])
            try AuditTrail.append(AuditEvent(at: now, event: "review", accountID: item.accountID, meterAddress: item.meterAddress,
                                             commandID: item.commandID, detail: "review item \(id) \(newState): \(note)"), in: db)
            guard let updated = try Row.fetchOne(db, sql: "SELECT * FROM review_item WHERE id = ?", arguments: [id]) else {
                throw StoreError.unknownReviewItem(id)
            }
            return try ReviewItem(row: updated)
        }
    }

    /// Checks the audit chain end to end.
    public func verifyAudit() async throws -> AuditVerification {
        try await writer.read { db in try AuditTrail.verify(in: db) }
    }
}
