import ChargeControl
import Foundation

/// Abnormal-reading review items inside a transaction: the hold they put on their account
/// (`AbnormalDataHold`) is looked up and ended together with the evaluation it changes.
extension StoreTransaction {
    /// The account's open abnormal-reading item (the oldest, should there be several from
    /// before one item was kept per account), or nil: the account is not on hold.
    public func readingReviewHolding(account: String) throws -> Int64? {
        // The terms match the partial index `review_open_reading` (schema v9: reading resolution).
        try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT id FROM review_item WHERE account_id = ? AND state = 'open' AND kind = 'reading' ORDER BY id LIMIT 1
            """), arguments: [account])
    }

    /// One review item by id, or `StoreError.unknownReviewItem`.
    public func reviewItem(_ id: Int64) throws -> ReviewItem {
        try ReviewQueue.item(id, in: db)
    }

    /// A stored reading by id, as collected (whatever its verdict was).
    public func reading(_ id: Int64) throws -> MeterReading {
        guard let row = try SQLRow.fetchOne(db.cachedStatement(sql: """
            SELECT collected_at, meter_time_at, total_hundredths, sharp_hundredths, peak_hundredths, flat_hundredths,
                valley_hundredths
            FROM reading WHERE id = ?
            """), arguments: [id]) else {
            throw StoreError.unknownReading(id)
        }
        return try row.decodeRecord(table: "reading", key: .name("collected_at")) { try Self.reading(row, from: 0) }
    }

    /// Closes an open reading item in `state` with the operator's note and resolution, and
    /// audits it with `detail` (what became of the reading). Written only if the item is still
    /// open (`… AND state = 'open'`): of two operators acting at once, the second gets
    /// `StoreError.reviewItemClosed` and nothing is written.
    public func closeReadingReview(_ item: ReviewItem, state: ReviewItemState, resolution: ReadingResolution?, note: String,
                                   detail: String, at now: Date) throws -> ReviewItem {
        try db.executeCached(sql: """
            UPDATE review_item SET state = ?, closed_at = ?, operator_note = ?, resolution = ?
            WHERE id = ? AND state = 'open' AND kind = 'reading'
            """, arguments: [state.rawValue, StoredInstant.millis(now), note, resolution?.rawValue, item.id])
        guard db.changesCount == 1 else {
            let found = try ReviewQueue.item(item.id, in: db)
            throw found.kind == .reading ? StoreError.reviewItemClosed(item.id, state: found.state.rawValue)
                : StoreError.reviewItemKind(item.id, is: found.kind)
        }
        let how = resolution.map { " (\($0.rawValue))" } ?? ""
        try AuditTrail.append(AuditEvent(at: now, event: "review", accountID: item.accountID, meterAddress: item.meterAddress,
                                         detail: "review item \(item.id) \(state.rawValue)\(how): \(note); \(detail)"), in: db)
        return try ReviewQueue.item(item.id, in: db)
    }
}
