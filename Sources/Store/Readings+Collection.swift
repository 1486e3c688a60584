import Foundation

/// Which meter the collector reads for an account, and through which terminal.
public struct MeterAssignment: Sendable, Hashable {
    public var accountID: String
    public var meterAddress: String
    public var terminalID: String
    /// Picks the collection strategy ([collection.classes.NAME]); nil: the standard one.
    public var customerClass: String?
    /// The account has an accepted reading: the station has read this meter before, and checked
    /// its clock within the clock-check period before that reading.
    public var hasAcceptedReading: Bool

    public init(accountID: String, meterAddress: String, terminalID: String, customerClass: String? = nil,
                hasAcceptedReading: Bool = false) {
        self.accountID = accountID
        self.meterAddress = meterAddress
        self.terminalID = terminalID
        self.customerClass = customerClass
        self.hasAcceptedReading = hasAcceptedReading
    }
}

extension StationStore {
    /// Every account's meter and terminal: what the collector schedules. Lighter than
    /// `allAccounts()` (five columns, decoded by position), since the collector reloads it
    /// periodically.
    public func meterAssignments() async throws -> [MeterAssignment] {
        try await writer.read { db in
            try SQLRow.fetchAll(db, sql: """
                SELECT id, meter_address, terminal_id, customer_class, last_reading_id IS NOT NULL FROM account ORDER BY terminal_id, id
                """).map { row in
                try row.decodeRecord(table: "account", key: .index(0)) {
                    try MeterAssignment(accountID: row.decode(atIndex: 0), meterAddress: row.decode(atIndex: 1),
                                        terminalID: row.decode(atIndex: 2), customerClass: row.decode(atIndex: 3),
                                        hasAcceptedReading: row.decode(atIndex: 4))
                }
            }
        }
    }
}

extension StoreTransaction {
    /// Runs `body` in a savepoint: if it throws, everything it wrote is rolled back and the error
    /// rethrown, while the enclosing transaction goes on. A group commit evaluates many accounts
    /// in one transaction this way, so one account's failure neither half-applies nor loses the
    /// others.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try db.cachedSavepoint(body)
    }
}
