
extension StationStore {
    /// The account that owns `meter`, nil when none does (`GET /v1/meters/ADDR/live`).
    public func account(meter: String) async throws -> AccountRecord? {
        try await writer.read { db in
            guard let id = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM account WHERE meter_address = ?"),
                                               arguments: [meter]) else { return nil }
            return try Self.account(id, in: db)
        }
    }

    /// How many accounts each terminal serves (terminals without any are absent).
    public func meterCounts() async throws -> [String: Int] {
        try await writer.read { db in
            var counts: [String: Int] = [:]
            for row in try SQLRow.fetchAll(db.cachedStatement(sql: "SELECT terminal_id, COUNT(*) FROM account GROUP BY terminal_id")) {
                try row.decodeRecord(table: "account", key: .index(0)) {
                    counts[try row.decode(String.self, atIndex: 0)] = try row.decode(Int.self, atIndex: 1)
                }
            }
            return counts
        }
    }
}
