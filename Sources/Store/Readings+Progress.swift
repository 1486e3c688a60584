
/// Stored readings counted: how many, of how many accounts, and how validation judged them.
public struct ReadingTally: Sendable, Hashable {
    public let readings: Int
    /// Distinct accounts among them.
    public let accounts: Int
    public let accepted: Int
    public let abnormal: Int
}

extension StationStore {
    /// The meter clock's offset (meter minus collection instant, whole seconds) in the account's
    /// latest reading whose clock was read; nil when none was.
    public func latestClockOffset(account: String) async throws -> Int64? {
        try await writer.read { db in
            try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT (meter_time_at - collected_at) / 1000 FROM reading
                WHERE account_id = ? AND meter_time_at IS NOT NULL ORDER BY id DESC LIMIT 1
                """), arguments: [account])
        }
    }

    /// The id of the newest stored reading, nil when there is none. Ids only grow (retention never
    /// deletes the newest reading), so a larger one means more readings committed: the bench
    /// polls this to time a collection cycle, so it is one index lookup.
    public func latestReadingID() async throws -> Int64? {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM reading") }
    }

    /// The readings stored after reading `readingID` (0: all of them), of `account` or of every
    /// account.
    public func readingTally(account: String? = nil, after readingID: Int64 = 0) async throws -> ReadingTally {
        try await writer.read { db in
            guard let row = try SQLRow.fetchOne(db, sql: """
                SELECT COUNT(*), COUNT(DISTINCT account_id), COALESCE(SUM(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN status = 'abnormal' THEN 1 ELSE 0 END), 0)
                FROM reading WHERE id > ?1 AND (CAST(?2 AS TEXT) IS NULL OR account_id = ?2)
                """, arguments: [readingID, account]) else {
                return ReadingTally(readings: 0, accounts: 0, accepted: 0, abnormal: 0)
            }
            return try row.decodeRecord(table: "reading", key: .index(0)) {
                try ReadingTally(readings: row.decode(atIndex: 0), accounts: row.decode(atIndex: 1),
                                 accepted: row.decode(atIndex: 2), abnormal: row.decode(atIndex: 3))
            }
        }
    }
}
