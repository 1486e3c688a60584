import ChargeControl
import Foundation

/// What a review item is about.
public enum ReviewKind: String, Sendable, Hashable, CaseIterable {
    /// Remote delivery of a command failed.
    case command
    /// A reading was abnormal.
    case reading
}

/// An item of the manual job-review queue.
public struct ReviewItem: Sendable, Hashable {
    public let id: Int64
    public let kind: ReviewKind
    public let accountID: String
    public let meterAddress: String
    public let commandID: Int64?
    public let readingID: Int64?
    public let reason: String
    public let openedAt: Date
    public let state: ReviewItemState
    public let closedAt: Date?
    public let operatorNote: String?
    /// What the operator said a resolved reading item's reading was; nil otherwise.
    public let resolution: ReadingResolution?
    /// When the work order should be closed by (`[review] due` for its kind, from `openedAt`).
    public let dueAt: Date
    /// Who is working on it, if anyone was named.
    public let assignee: String?
    /// When the station first saw it open past `dueAt` and raised `review_overdue`; nil before.
    public let overdueAt: Date?
}

extension ReviewItem {
    init(row: SQLRow) throws {
        self = try row.decodeRecord(table: "review_item", key: .name("id")) {
            try ReviewItem(
                id: row.decode(forColumn: "id"), kind: row.decode(forColumn: "kind"), accountID: row.decode(forColumn: "account_id"),
                meterAddress: row.decode(forColumn: "meter_address"), commandID: row.decode(forColumn: "command_id"),
                readingID: row.decode(forColumn: "reading_id"), reason: row.decode(forColumn: "reason"),
                openedAt: StoredInstant.date(row.decode(forColumn: "opened_at")), state: row.decode(forColumn: "state"),
                closedAt: row.decode(Int64?.self, forColumn: "closed_at").map(StoredInstant.date),
                operatorNote: row.decode(forColumn: "operator_note"), resolution: row.decode(forColumn: "resolution"),
                dueAt: StoredInstant.date(row.decode(forColumn: "due_at")), assignee: row.decode(forColumn: "assignee"),
                overdueAt: row.decode(Int64?.self, forColumn: "overdue_at").map(StoredInstant.date))
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
    static func open(kind: ReviewKind, account: String, meter: String, commandID: Int64?, readingID: Int64?,
                     reason: String, at now: Date, in db: SQLSession) throws -> Int64 {
        let opened = StoredInstant.millis(now)
        try db.executeCached(sql: """
            INSERT INTO review_item (kind, account_id, meter_address, command_id, reading_id, reason, opened_at, state, due_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'open', \(dueAtSQL))
            """, arguments: [kind.rawValue, account, meter, commandID, readingID, reason, opened] + dueAtArguments(kind, openedAt: opened))
        let id = try db.lastInsertedRowID
        try AuditTrail.append(AuditEvent(at: now, event: "review", accountID: account, meterAddress: meter, commandID: commandID,
                                         detail: "review item \(id) opened (\(kind.rawValue)): \(reason)"), in: db)
        return id
    }

    /// A new item's due time (`[review]`, schema v13 `review_due`; 24 h when unset), with its
    /// arguments from `dueAtArguments`.
    static let dueAtSQL = "? + 1000 * COALESCE((SELECT seconds FROM review_due WHERE kind = ?), ?)"

    static func dueAtArguments(_ kind: ReviewKind, openedAt: Int64) -> SQLArguments {
        [openedAt, kind.rawValue, ReviewDueTimes.defaultSeconds]
    }

    /// One item by id, or `StoreError.unknownReviewItem`.
    static func item(_ id: Int64, in db: SQLSession) throws -> ReviewItem {
        guard let row = try SQLRow.fetchOne(db, sql: "SELECT * FROM review_item WHERE id = ?", arguments: [id]) else {
            throw StoreError.unknownReviewItem(id)
        }
        return try ReviewItem(row: row)
    }
}

extension StationStore {
    public func openReviewItems(limit: Int = 1000) async throws -> [ReviewItem] {
        try await writer.read { db in
            try SQLRow.fetchAll(db, sql: "SELECT * FROM review_item WHERE state = 'open' ORDER BY id LIMIT ?", arguments: [limit])
                .map(ReviewItem.init(row:))
        }
    }

    /// How many items wait for an operator.
    public func openReviewCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM review_item WHERE state = 'open'") ?? 0 }
    }

    public func reviewItem(_ id: Int64) async throws -> ReviewItem {
        try await writer.read { db in try ReviewQueue.item(id, in: db) }
    }

    /// Applies an operator's action to an open command item and its command, with the
    /// operator's note. `newDeadline` is the validity deadline a retried command gets. A reading
    /// item is refused (`StoreError.reviewItemKind`): closing it ends its account's hold and
    /// may bill, which the evaluation does (`Evaluator.act(onReadingReview:…)`).
    public func act(onReview id: Int64, _ action: ReviewAction, note: String, newDeadline: Date,
                    at now: Date) async throws -> ReviewItem {
        try await write { db in
            let item = try ReviewQueue.item(id, in: db)
            guard item.state == .open else { throw StoreError.reviewItemClosed(id, state: item.state.rawValue) }
            guard let c = item.commandID, item.kind == .command else { throw StoreError.reviewItemKind(id, is: item.kind) }
            // What the item becomes; for a command's item the lifecycle's own close effect writes
            // the same state (`CommandLifecycle`: operator_retry → retried, …).
            let newState: ReviewItemState = switch action {
            case .retry: .retried
            case .resolve: .resolved
            case .cancel: .cancelled
            }
            let (event, detail): (CommandEvent, String) = switch action {
            case .retry: (.operatorRetry(deadline: newDeadline, at: now), "operator retry: \(note)")
            case .resolve: (.operatorResolve, "done on site: \(note)")
            case .cancel: (.operatorCancel, "operator cancelled: \(note)")
            }
            do {
                try CommandQueue.apply(event, to: c, from: .review, at: now, detail: detail, reviewNote: note, in: db)
            } catch StoreError.undecodableRow(let table, let key, let problem) where table == "command" {
                // Nobody can send or resolve what nobody can read; it can only be dropped.
                guard action == .cancel else { throw StoreError.undecodableRow(table: table, key: key, problem: problem + "; only cancel applies") }
                try CommandQueue.cancelUnreadable(c, note: note, at: now, in: db)
            }
            try AuditTrail.append(AuditEvent(at: now, event: "review", accountID: item.accountID, meterAddress: item.meterAddress,
                                             commandID: item.commandID, detail: "review item \(id) \(newState.rawValue): \(note)"), in: db)
            return try ReviewQueue.item(id, in: db)
        }
    }

    /// Checks the audit chain end to end.
    public func verifyAudit() async throws -> AuditVerification {
        try await writer.read { db in try AuditTrail.verify(in: db) }
    }
}
