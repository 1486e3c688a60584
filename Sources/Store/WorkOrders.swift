import ChargeControl
import Foundation

/// How long an operator has to close a review item of each kind (`[review] due`): the item's
/// due time is fixed when it opens, so a later change of the setting moves only new items.
public struct ReviewDueTimes: Sendable, Hashable {
    /// 24 h, INTERFACES.md's default for every kind.
    public static let defaultSeconds: Int64 = 86_400

    public var seconds: [ReviewKind: Int64]

    public init(seconds: [ReviewKind: Int64] = [:]) {
        self.seconds = seconds
    }

    public func seconds(for kind: ReviewKind) -> Int64 {
        seconds[kind] ?? Self.defaultSeconds
    }
}

/// Closed work orders over a window and how many were closed by their due time.
public struct ReviewTimeliness: Sendable, Hashable {
    public let closed: Int
    public let closedOnTime: Int
    /// Items open past their due time now.
    public let overdueOpen: Int

    /// closed on time ÷ closed; nil with nothing closed (no ratio to report, not 100 %).
    public var onTimeRatio: Double? {
        closed == 0 ? nil : Double(closedOnTime) / Double(closed)
    }
}

extension StationStore {
    /// Writes the due time per kind that items opened from now on get.
    public func setReviewDueTimes(_ due: ReviewDueTimes) async throws {
        try await write { db in
            for kind in ReviewKind.allCases {
                try db.execute(sql: "INSERT INTO review_due (kind, seconds) VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET seconds = excluded.seconds",
                               arguments: [kind.rawValue, due.seconds(for: kind)])
            }
        }
    }

    /// Names who works on an open item (nil: nobody); audited with the operator who did it.
    public func assignReviewItem(_ id: Int64, to assignee: String?, at now: Date) async throws -> ReviewItem {
        try await write { db in
            let item = try ReviewQueue.item(id, in: db)
            guard item.state == .open else { throw StoreError.reviewItemClosed(id, state: item.state.rawValue) }
            try db.execute(sql: "UPDATE review_item SET assignee = ? WHERE id = ?", arguments: [assignee, id])
            let whom = assignee.map { "assigned to \($0)" } ?? "unassigned"
            try AuditTrail.append(AuditEvent(at: now, event: "review", accountID: item.accountID, meterAddress: item.meterAddress,
                                             commandID: item.commandID, detail: "review item \(id) \(whom)"), in: db)
            return try ReviewQueue.item(id, in: db)
        }
    }

    /// Marks open items past their due time as overdue, at most `limit` per call, and returns
    /// them: each is returned once in its life (the mark is durable), so the caller raises
    /// `review_overdue` once per item even across restarts.
    public func markOverdueReviewItems(at now: Date, limit: Int) async throws -> [ReviewItem] {
        try await write { db in
            let ms = StoredInstant.millis(now)
            // The terms match the partial index `review_due_open` (schema v13).
            let ids = try Int64.fetchAll(db, sql: """
                SELECT id FROM review_item WHERE state = 'open' AND overdue_at IS NULL AND due_at <= ? ORDER BY due_at LIMIT ?
                """, arguments: [ms, limit])
            return try ids.map { id in
                try db.execute(sql: "UPDATE review_item SET overdue_at = ? WHERE id = ?", arguments: [ms, id])
                let item = try ReviewQueue.item(id, in: db)
                try AuditTrail.append(AuditEvent(at: now, event: "review_overdue", accountID: item.accountID, meterAddress: item.meterAddress,
                                                 commandID: item.commandID,
                                                 detail: "review item \(id) (\(item.kind.rawValue)) due \(item.dueAt.formatted(.iso8601)), still open"),
                                      in: db)
                return item
            }
        }
    }

    /// Items closed since `since` and how many of them by their due time, and the open ones
    /// past due at `now`. Index ranges only (`review_closed`, `review_open`): a scrape never
    /// reads the whole table.
    public func reviewTimeliness(since: Date, at now: Date) async throws -> ReviewTimeliness {
        try await writer.read { db in
            let row = try SQLRow.fetchOne(db, sql: """
                SELECT COUNT(*), COALESCE(SUM(CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END), 0) FROM review_item WHERE closed_at >= ?
                """, arguments: [StoredInstant.millis(since)])
            let overdue = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM review_item WHERE state = 'open' AND due_at < ?",
                                           arguments: [StoredInstant.millis(now)]) ?? 0
            return ReviewTimeliness(closed: try row?.decode(Int.self, atIndex: 0) ?? 0, closedOnTime: try row?.decode(Int.self, atIndex: 1) ?? 0,
                                    overdueOpen: overdue)
        }
    }
}
