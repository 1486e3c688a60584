
/// One audit row as it reads back (`auditTrail`, `auditPage`, `commandHistory`): the record and
/// its place in the trail, without the hashes (`verifyAudit` checks those).
public struct AuditEntry: Sendable, Hashable {
    /// Rows are appended in commit order: a lower id committed first.
    public let id: Int64
    /// Unix milliseconds as stored: checks compare them with other stored instants exactly,
    /// which a `Date` round trip does not promise.
    public let atMillis: Int64
    public let event: String
    public let accountID: String?
    public let meterAddress: String?
    public let commandID: Int64?
    public let balanceMicroYuan: Int64?
    public let detail: String
    /// The operator the row speaks for (schema v9); nil for the station's own rows.
    public let actor: String?
}

extension AuditEntry {
    /// Decodes `id, at, event, account_id, meter_address, command_id, balance_micro_yuan, detail, actor`
    /// (spelled out in each query: SQL text is never interpolated, `SQLBindingTests`).
    init(row: SQLRow) throws {
        self = try row.decodeRecord(table: "audit", key: .index(0)) {
            try AuditEntry(id: row.decode(atIndex: 0), atMillis: row.decode(atIndex: 1), event: row.decode(atIndex: 2),
                           accountID: row.decode(atIndex: 3), meterAddress: row.decode(atIndex: 4),
                           commandID: row.decode(atIndex: 5), balanceMicroYuan: row.decode(atIndex: 6),
                           detail: row.decode(atIndex: 7), actor: row.decode(atIndex: 8))
        }
    }
}

extension StationStore {
    /// The audit trail oldest first, or only its rows of `event` (`payment`, `command_acknowledged`,
    /// …). Loads every row it returns: for checks and reports, not for the running station.
    public func auditTrail(event: String? = nil) async throws -> [AuditEntry] {
        try await writer.read { db in
            try SQLRow.fetchAll(db, sql: """
                SELECT id, at, event, account_id, meter_address, command_id, balance_micro_yuan, detail, actor
                FROM audit WHERE CAST(?1 AS TEXT) IS NULL OR event = ?1 ORDER BY id
                """, arguments: [event]).map(AuditEntry.init(row:))
        }
    }

    /// One page of the audit trail newest first (`GET /v1/audit`): at most `limit` rows with an
    /// id below `before` (nil: from the newest), of one account when `account` is set (`PageSQL`).
    public func auditPage(account: String?, before: Int64?, limit: Int) async throws -> [AuditEntry] {
        let before = before ?? Int64.max
        return try await writer.read { db in
            let rows = if let account {
                try SQLRow.fetchAll(db.cachedStatement(sql: PageSQL.auditRowsOfAccount), arguments: [account, before, limit])
            } else {
                try SQLRow.fetchAll(db.cachedStatement(sql: PageSQL.auditRows), arguments: [before, limit])
            }
            return try rows.map(AuditEntry.init(row:))
        }
    }
}
