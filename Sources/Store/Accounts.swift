import ChargeControl
import Foundation
import Tariffs

/// A terminal: the TCP peer that forwards frames to the meters on its bus.
public struct TerminalRecord: Sendable, Hashable {
    public var id: String
    public var host: String
    public var port: Int

    public init(id: String, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }
}

/// An account and what the station knows of its meter.
public struct AccountRecord: Sendable, Hashable {
    public var id: String
    public var meterAddress: String
    public var terminalID: String
    public var tariff: String
    public var region: String
    /// The customer class (collection strategy and default thresholds); nil: station defaults.
    public var customerClass: String?
    /// nil: the station default applies.
    public var alarmThreshold: Money?
    public var tripThreshold: Money?
    public var isProtected: Bool
    /// The cached ledger balance (always equal to a replay of the ledger).
    public var balance: Money
    public var tierYearStart: Date?
    public var tierYearUsed: Energy
    public var lastReadingID: Int64?
    public var lastReadingAt: Date?
    public var meter: MeterState
    /// When `meter` was seen (status word read, or a command acknowledged); nil: never.
    public var meterStateAt: Date?
    public var state: AccountControlState
    /// Fee control: pending (never tripped), active, or released (no control decisions).
    public var feeControl: FeeControlState
    /// When the second alarm level (alarm limit 2) was raised; nil while it is not.
    public var alarm2At: Date?

    public init(id: String, meterAddress: String, terminalID: String, tariff: String, region: String,
                customerClass: String? = nil, alarmThreshold: Money? = nil, tripThreshold: Money? = nil, isProtected: Bool = false,
                balance: Money = .zero, tierYearStart: Date? = nil, tierYearUsed: Energy = .zero,
                lastReadingID: Int64? = nil, lastReadingAt: Date? = nil,
                meter: MeterState = MeterState(relay: .closed), meterStateAt: Date? = nil, state: AccountControlState = .normal,
                feeControl: FeeControlState = .active, alarm2At: Date? = nil) {
        self.id = id
        self.meterAddress = meterAddress
        self.terminalID = terminalID
        self.tariff = tariff
        self.region = region
        self.customerClass = customerClass
        self.alarmThreshold = alarmThreshold
        self.tripThreshold = tripThreshold
        self.isProtected = isProtected
        self.balance = balance
        self.tierYearStart = tierYearStart
        self.tierYearUsed = tierYearUsed
        self.lastReadingID = lastReadingID
        self.lastReadingAt = lastReadingAt
        self.meter = meter
        self.meterStateAt = meterStateAt
        self.state = state
        self.feeControl = feeControl
        self.alarm2At = alarm2At
    }

    /// The columns `init(row:)` decodes, in its order. Decoding by position: by name, GRDB
    /// lower-cases each column name on every lookup, which with two account reads per reading
    /// was 11 % of ingestion CPU (issue 7, p7 profile). The SQL texts list them literally.
    static let columns = ["id", "meter_address", "terminal_id", "tariff", "region", "customer_class", "alarm_micro_yuan",
                          "trip_micro_yuan", "is_protected", "balance_micro_yuan", "tier_year_start_at",
                          "tier_year_used_hundredths", "last_reading_id", "last_reading_at", "relay", "alarm", "keep_power",
                          "meter_state_at", "state", "fee_control", "alarm2_at"]

    /// One account by id, read outside the writer: the row's balance less the charges of the
    /// readings the row has not received (`AccountBook.unfoldedCharges`).
    static let selectByID = selectAll.replacingOccurrences(of: "ORDER BY a.id", with: "WHERE a.id = ?")

    /// Every account, by id, as `selectByID` reads one.
    static let selectAll = """
        SELECT a.id, a.meter_address, a.terminal_id, a.tariff, a.region, a.customer_class, a.alarm_micro_yuan, a.trip_micro_yuan,
            a.is_protected, a.balance_micro_yuan - COALESCE(u.charged, 0) AS balance_micro_yuan,
            a.tier_year_start_at, a.tier_year_used_hundredths, a.last_reading_id, a.last_reading_at, a.relay, a.alarm,
            a.keep_power, a.meter_state_at, a.state, a.fee_control, a.alarm2_at
        FROM account AS a LEFT JOIN (\(AccountBook.unfoldedCharges)) AS u ON u.account_id = a.id ORDER BY a.id
        """

    /// Decodes `columns` from the row, starting at position `first`.
    init(row: SQLRow, from i: Int = 0) throws {
        self = try row.decodeRecord(table: "account", key: .index(i)) {
            try AccountRecord(
                id: row.decode(atIndex: i), meterAddress: row.decode(atIndex: i + 1), terminalID: row.decode(atIndex: i + 2),
                tariff: row.decode(atIndex: i + 3), region: row.decode(atIndex: i + 4), customerClass: row.decode(atIndex: i + 5),
                alarmThreshold: row.decode(Int64?.self, atIndex: i + 6).map(Money.init(microYuan:)),
                tripThreshold: row.decode(Int64?.self, atIndex: i + 7).map(Money.init(microYuan:)),
                isProtected: row.decode(atIndex: i + 8),
                balance: Money(microYuan: row.decode(atIndex: i + 9)),
                tierYearStart: row.decode(Int64?.self, atIndex: i + 10).map(StoredInstant.date),
                tierYearUsed: Energy(hundredths: row.decode(atIndex: i + 11)),
                lastReadingID: row.decode(atIndex: i + 12),
                lastReadingAt: row.decode(Int64?.self, atIndex: i + 13).map(StoredInstant.date),
                meter: MeterState(relay: row.decode(RelayState.self, atIndex: i + 14), alarm: row.decode(atIndex: i + 15),
                                  keepPower: row.decode(atIndex: i + 16)),
                meterStateAt: row.decode(Int64?.self, atIndex: i + 17).map(StoredInstant.date),
                state: row.decode(atIndex: i + 18), feeControl: row.decode(atIndex: i + 19),
                alarm2At: row.decode(Int64?.self, atIndex: i + 20).map(StoredInstant.date))
        }
    }
}

/// Why an account cannot be written.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownTerminal(String)
    case unknownAccount(String)
    case meterTakenByAnotherAccount(meter: String, account: String)
    case openingBalanceAfterActivity(account: String)
    case unknownCommand(Int64)
    case unknownReviewItem(Int64)
    case reviewItemClosed(Int64, state: String)
    /// A review item acted on as the other kind: a reading item given to the action on
    /// commands, or a command item to the resolution of readings. `kind` is what it is.
    case reviewItemKind(Int64, is: ReviewKind)
    /// A reading that is not stored (a review item's).
    case unknownReading(Int64)
    /// A stored row whose value cannot be read as its type (a REAL balance, text in a number
    /// column, an unknown enum text): `key` is the row's key (account id, command id...),
    /// `problem` names the column and the value.
    case undecodableRow(table: String, key: String, problem: String)
    /// A sum of stored amounts (the total balance of a region) past what 64 bits hold.
    case totalOutOfRange(String)
    /// A command was not in the state its transition was decided in (`found`: its state now,
    /// nil when unknown): another decider got there first, and nothing was written.
    case lostRace(command: Int64, expected: CommandState, found: CommandState?)
    /// A command moved to job review without a review item: the lifecycle's `giveUp` always
    /// opens one, so this names a bug rather than a state of the data.
    case noReviewItemOpened(command: Int64)
    /// A lease round on a store that has not joined a cluster (a SQLite station's one daemon).
    case notClustered

    public var description: String {
        switch self {
        case .unknownTerminal(let t): "unknown terminal \"\(t)\""
        case .unknownAccount(let a): "unknown account \"\(a)\""
        case .meterTakenByAnotherAccount(let m, let a): "meter \(m) already belongs to account \"\(a)\""
        case .openingBalanceAfterActivity(let a): "account \"\(a)\" already has ledger entries; its opening balance cannot change"
        case .unknownCommand(let id): "unknown command \(id)"
        case .unknownReviewItem(let id): "unknown review item \(id)"
        case .reviewItemClosed(let id, let state): "review item \(id) is already \(state)"
        case .reviewItemKind(let id, .reading):
            "review item \(id) is about an abnormal reading, not a command: resolve it with a resolution (accept, meter_replaced) or cancel it"
        case .reviewItemKind(let id, .command): "review item \(id) is about a command, not a reading"
        case .unknownReading(let id): "unknown reading \(id)"
        case .undecodableRow(let table, let key, let problem): "stored \(table) \"\(key)\" cannot be read: \(problem)"
        case .lostRace(let id, let expected, let found):
            "command \(id) is \(found?.rawValue ?? "no longer \(expected.rawValue)"), not \(expected.rawValue): someone else moved it first"
        case .noReviewItemOpened(let id): "command \(id) went to job review but no review item was opened (a lifecycle bug)"
        case .totalOutOfRange(let what): "\(what) does not fit 64 bits of micro-yuan; ask for one region at a time"
        case .notClustered: "this daemon is not a node of a cluster: only a PostgreSQL station has nodes and leases"
        }
    }
}

extension StationStore {
    /// Adds or updates a terminal.
    public func upsertTerminal(_ t: TerminalRecord, at now: Date) async throws {
        try await write { db in
            try db.executeCached(sql: """
                INSERT INTO terminal (id, host, port, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET host = excluded.host, port = excluded.port, updated_at = excluded.updated_at
                """, arguments: [t.id, t.host, t.port, StoredInstant.millis(now)])
        }
    }

    public func terminals() async throws -> [TerminalRecord] {
        try await writer.read { db in
            try SQLRow.fetchAll(db.cachedStatement(sql: "SELECT id, host, port FROM terminal ORDER BY id")).map { row in
                try row.decodeRecord(table: "terminal", key: .name("id")) {
                    try TerminalRecord(id: row.decode(forColumn: "id"), host: row.decode(forColumn: "host"),
                                       port: row.decode(forColumn: "port"))
                }
            }
        }
    }

    /// Adds an account (with its opening balance as the first ledger entry) or updates its
    /// provisioning fields. Balances and meter state are never overwritten here: they come from
    /// the ledger and the meter. `feeControl` is the new account's state (an update keeps its own).
    public func upsertAccount(
        id: String, meterAddress: String, terminalID: String, tariff: String, region: String, customerClass: String? = nil,
        alarmThreshold: Money?, tripThreshold: Money?, isProtected: Bool, openingBalance: Money?,
        feeControl: FeeControlState = .active, at now: Date
    ) async throws -> AccountRecord {
        // The store's own check of the API's bounds: nothing out of bounds is ever written.
        try openingBalance?.checkWithin(AmountBounds.balance, field: "opening_balance_yuan")
        try alarmThreshold?.checkWithin(AmountBounds.threshold, field: "alarm_yuan")
        try tripThreshold?.checkWithin(AmountBounds.threshold, field: "trip_yuan")
        return try await write { db in
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM terminal WHERE id = ?"), arguments: [terminalID]) == true else {
                throw StoreError.unknownTerminal(terminalID)
            }
            if let owner = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM account WHERE meter_address = ? AND id != ?"),
                                               arguments: [meterAddress, id]) {
                throw StoreError.meterTakenByAnotherAccount(meter: meterAddress, account: owner)
            }
            let ms = StoredInstant.millis(now)
            let exists = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM account WHERE id = ?"), arguments: [id]) == true
            if exists {
                try db.executeCached(sql: """
                    UPDATE account SET meter_address = ?, terminal_id = ?, tariff = ?, region = ?, customer_class = ?,
                        alarm_micro_yuan = ?, trip_micro_yuan = ?, is_protected = ?, updated_at = ? WHERE id = ?
                    """, arguments: [meterAddress, terminalID, tariff, region, customerClass, alarmThreshold?.microYuan,
                                     tripThreshold?.microYuan, isProtected, ms, id])
                if let openingBalance {
                    try Self.replaceOpening(account: id, amount: openingBalance, at: ms, in: db)
                }
            } else {
                try db.executeCached(sql: """
                    INSERT INTO account (id, meter_address, terminal_id, tariff, region, customer_class, alarm_micro_yuan,
                        trip_micro_yuan, is_protected, balance_micro_yuan, created_at, updated_at, fee_control)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
                    """, arguments: [id, meterAddress, terminalID, tariff, region, customerClass, alarmThreshold?.microYuan,
                                     tripThreshold?.microYuan, isProtected, ms, ms, feeControl.rawValue])
                try Ledgers.post(account: id, kind: .opening, amount: openingBalance ?? .zero, at: ms,
                                 reference: "account opened", in: db)
            }
            try AuditTrail.append(AuditEvent(at: now, event: exists ? "account_updated" : "account_created", accountID: id,
                                             meterAddress: meterAddress,
                                             detail: Self.provisioningDetail(tariff: tariff, region: region,
                                                                             customerClass: customerClass, isProtected: isProtected)),
                                  in: db)
            return try Self.account(id, in: db)
        }
    }

    /// The audit detail of an account's provisioning.
    static func provisioningDetail(tariff: String, region: String, customerClass: String?, isProtected: Bool) -> String {
        "tariff \(tariff), region \(region), class \(customerClass ?? "-"), protected \(isProtected)"
    }

    /// An opening balance may change only while it is the account's only ledger entry.
    private static func replaceOpening(account: String, amount: Money, at: Int64, in db: SQLSession) throws {
        let entries = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM ledger WHERE account_id = ?"), arguments: [account]) ?? 0
        let current = try Int64.fetchOne(db.cachedStatement(sql: "SELECT amount_micro_yuan FROM ledger WHERE account_id = ? AND kind = 'opening'"),
                                         arguments: [account])
        if current == amount.microYuan { return }
        guard entries <= 1 else { throw StoreError.openingBalanceAfterActivity(account: account) }
        try db.executeCached(sql: "UPDATE ledger SET amount_micro_yuan = ?, at = ? WHERE account_id = ? AND kind = 'opening'",
                       arguments: [amount.microYuan, at, account])
        try db.executeCached(sql: "UPDATE account SET balance_micro_yuan = ? WHERE id = ?", arguments: [amount.microYuan, account])
    }

    /// The account, nil when there is none; an account that cannot be read throws. From the
    /// account book as last committed; from its row, with the readings the row lacks laid over
    /// it, for an account the book does not hold (a row a bulk load wrote) or a read-only store.
    public func account(_ id: String) async throws -> AccountRecord? {
        if let record = book?.published(id) { return record }
        return try await writer.read { db in
            do { return try Self.account(id, in: db) } catch StoreError.unknownAccount { return nil }
        }
    }

    /// The account: inside a write, the book's (staged, else published); in a read, its row
    /// with the charges of the readings it lacks.
    static func account(_ id: String, in db: SQLSession) throws -> AccountRecord {
        if let book = AccountBook.current {
            guard let entry = try book.entry(id, in: db) else { throw StoreError.unknownAccount(id) }
            return entry.record
        }
        guard let row = try SQLRow.fetchOne(db.cachedStatement(sql: AccountRecord.selectByID),
                                          arguments: [id]) else {
            throw StoreError.unknownAccount(id)
        }
        return try AccountRecord(row: row)
    }

    /// How many accounts there are, without loading them (start-up reports it; loading a million
    /// records just to count them was 70 % of start-up time, issue 7 p6).
    public func accountCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") ?? 0 }
    }

    /// Every account, for loading the station's in-memory view at start-up.
    public func allAccounts() async throws -> [AccountRecord] {
        if let book, let records = book.publishedRecords(accounts: try await accountCount()) { return records }
        return try await writer.read { db in
            try SQLRow.fetchAll(db.cachedStatement(sql: AccountRecord.selectAll)).map { try AccountRecord(row: $0) }
        }
    }
}
