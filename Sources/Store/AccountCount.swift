import GRDB

extension StationStore {
    /// How many accounts there are, without loading them (start-up reports it; loading a million
    /// records just to count them was 70 % of start-up time, issue 7 p6).
    public func accountCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") ?? 0 }
    }
}
