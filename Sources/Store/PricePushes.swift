import ChargeControl
import Foundation

/// A price version pushed to the meters of its tariff, and how far it got: per meter, confirmed
/// when every write of the push was read back, in review when one of them waits for a person.
public struct PricePushProgress: Sendable, Hashable {
    /// `price_push:TARIFF:EFFECTIVE_MS`, the batch tag of its commands.
    public let batch: String
    public let tariff: String
    public let effective: Date
    /// `YYMMDDhhmm` written into 04000108.
    public let switchTime: String
    public let queuedAt: Date
    /// Meters it was queued for.
    public let meters: Int
    public let confirmed: Int
    public let inReview: Int

    /// Meters still waiting (queued, retrying or in flight), or dropped (superseded, cancelled).
    public var outstanding: Int { meters - confirmed - inReview }
}

extension StoreTransaction {
    /// Whether the push `batch` was recorded (its writes queued for every account).
    public func pricePushRecorded(_ batch: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM price_push WHERE batch = ?"), arguments: [batch]) == true
    }

    /// Records that the push's writes are queued for `accounts` accounts; audited.
    public func recordPricePush(batch: String, tariff: String, effective: Date, switchTime: String, accounts: Int, at now: Date) throws {
        try db.executeCached(sql: """
            INSERT INTO price_push (batch, tariff, effective_at, switch_time, queued_at, accounts) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [batch, tariff, StoredInstant.millis(effective), switchTime, StoredInstant.millis(now), accounts])
        try audit(AuditEvent(at: now, event: "price_push", detail: "tariff \(tariff): prices effective \(switchTime) "
            + "queued for the second price set of \(accounts) meters"))
    }

    /// The accounts on `tariff` under fee control (pending or active) whose id sorts after
    /// `after`, at most `limit`, by id: a push walks them in chunks.
    public func controlledAccounts(tariff: String, after: String?, limit: Int) throws -> [AccountRecord] {
        // The records in the page's one statement (`AccountRecord.columns`), not one read each.
        try SQLRow.fetchAll(db.cachedStatement(sql: """
            SELECT id, meter_address, terminal_id, tariff, region, customer_class, alarm_micro_yuan, trip_micro_yuan, is_protected,
                balance_micro_yuan, tier_year_start_at, tier_year_used_hundredths, last_reading_id, last_reading_at, relay, alarm,
                keep_power, meter_state_at, state, fee_control, alarm2_at
            FROM account WHERE tariff = ? AND fee_control != 'released' AND id > ? ORDER BY id LIMIT ?
            """), arguments: [tariff, after ?? "", limit]).map { try AccountRecord(row: $0) }
    }
}

extension StationStore {
    /// Every recorded push with its progress, newest first.
    public func pricePushes() async throws -> [PricePushProgress] {
        try await writer.read { db in
            try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT p.batch, p.tariff, p.effective_at, p.switch_time, p.queued_at,
                    (SELECT COUNT(DISTINCT account_id) FROM command WHERE batch = p.batch) AS meters,
                    (SELECT COUNT(*) FROM (SELECT account_id FROM command WHERE batch = p.batch GROUP BY account_id
                        HAVING SUM(CASE WHEN state != 'acknowledged' THEN 1 ELSE 0 END) = 0) AS acknowledged_accounts) AS confirmed,
                    (SELECT COUNT(DISTINCT account_id) FROM command WHERE batch = p.batch AND state = 'review') AS in_review
                FROM price_push AS p ORDER BY p.queued_at DESC, p.batch
                """)).map { row in
                try row.decodeRecord(table: "price_push", key: .index(0)) {
                    try PricePushProgress(
                        batch: row.decode(atIndex: 0), tariff: row.decode(atIndex: 1),
                        effective: StoredInstant.date(row.decode(atIndex: 2)), switchTime: row.decode(atIndex: 3),
                        queuedAt: StoredInstant.date(row.decode(atIndex: 4)), meters: row.decode(atIndex: 5),
                        confirmed: row.decode(atIndex: 6), inReview: row.decode(atIndex: 7))
                }
            }
        }
    }
}
