import Foundation
import GRDB

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
            try Row.fetchAll(db, sql: """
                SELECT id, meter_address, terminal_id, customer_class, last_reading_id IS NOT NULL FROM account ORDER BY terminal_id, id
                """).map {
                MeterAssignment(accountID: $0[0], meterAddress: $0[1], terminalID: $0[2], customerClass: $0[3], hasAcceptedReading: $0[4])
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
