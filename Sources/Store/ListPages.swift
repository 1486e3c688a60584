import ChargeControl

/// What `GET /v1/accounts?state=S` filters by: the account's control state (the `state` an
/// account shows) or, for the two fee-control states an operator follows up, its fee control.
public enum AccountListState: Sendable, Hashable {
    case control(AccountControlState)
    /// `pending` or `released` (every other account is `active`).
    case feeControl(FeeControlState)

    /// Every value `state` takes, in the order the API documents them.
    public static let names = AccountControlState.allCases.map(\.rawValue) + ["pending", "released"]

    /// The filter named `name`, nil for an unknown name.
    public init?(_ name: String) {
        if let control = AccountControlState(rawValue: name) {
            self = .control(control)
        } else if let fee = FeeControlState(rawValue: name), fee != .active {
            self = .feeControl(fee)
        } else {
            return nil
        }
    }
}

/// The SQL of the list pages. Keyset pages: each query seeks an index to the cursor and reads
/// `limit` rows in key order, so the thousandth page costs what the first does (v12 adds the
/// indexes; `ListPageTests` checks every plan). The texts differ only in their WHERE: a filter
/// written `?1 IS NULL OR …` would make SQLite give up the index.
enum PageSQL {
    static let accounts = "SELECT id FROM account WHERE id > ?1 ORDER BY id LIMIT ?2"
    static let accountsOfRegion = "SELECT id FROM account WHERE region = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
    // Most accounts are normal: walking them in id order finds a page at once. The other states
    // carry the literal `state != 'normal'`, which lets SQLite use the partial indexes.
    static let normalAccounts = "SELECT id FROM account WHERE state = 'normal' AND id > ?1 ORDER BY id LIMIT ?2"
    static let normalAccountsOfRegion = """
        SELECT id FROM account WHERE state = 'normal' AND region = ?1 AND id > ?2 ORDER BY id LIMIT ?3
        """
    static let accountsInState = """
        SELECT id FROM account WHERE state != 'normal' AND state = ?1 AND id > ?2 ORDER BY id LIMIT ?3
        """
    static let accountsOfRegionInState = """
        SELECT id FROM account WHERE state != 'normal' AND region = ?1 AND state = ?2 AND id > ?3 ORDER BY id LIMIT ?4
        """
    static let accountsInFeeControl = """
        SELECT id FROM account WHERE fee_control != 'active' AND fee_control = ?1 AND id > ?2 ORDER BY id LIMIT ?3
        """
    static let accountsOfRegionInFeeControl = """
        SELECT id FROM account WHERE fee_control != 'active' AND fee_control = ?1 AND region = ?2 AND id > ?3 ORDER BY id LIMIT ?4
        """
    static let commands = """
        SELECT id, account_id, meter_address, kind, reason, detail, balance_micro_yuan, created_at, not_before, deadline_at,
            attempts, next_attempt_at, state, last_error, acknowledged_at, identifier, value
        FROM command WHERE account_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3
        """
    static let auditRows = """
        SELECT id, at, event, account_id, meter_address, command_id, balance_micro_yuan, detail, actor
        FROM audit WHERE id < ?1 ORDER BY id DESC LIMIT ?2
        """
    /// One account's rows, through its index (`audit_account`, v12) rather than every account's.
    static let auditRowsOfAccount = """
        SELECT id, at, event, account_id, meter_address, command_id, balance_micro_yuan, detail, actor
        FROM audit WHERE account_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3
        """
    static let openReviewItems = "SELECT * FROM review_item WHERE state = 'open' AND id > ?1 ORDER BY id LIMIT ?2"

    /// The account page query for the filters given, with its arguments.
    static func accounts(region: String?, state: AccountListState?, after: String, limit: Int) -> (sql: String, arguments: SQLArguments) {
        switch (region, state) {
        case (nil, nil): (accounts, [after, limit])
        case (let region?, nil): (accountsOfRegion, [region, after, limit])
        case (nil, .control(.normal)?): (normalAccounts, [after, limit])
        case (let region?, .control(.normal)?): (normalAccountsOfRegion, [region, after, limit])
        case (nil, .control(let state)?): (accountsInState, [state.rawValue, after, limit])
        case (let region?, .control(let state)?): (accountsOfRegionInState, [region, state.rawValue, after, limit])
        case (nil, .feeControl(let fee)?): (accountsInFeeControl, [fee.rawValue, after, limit])
        case (let region?, .feeControl(let fee)?): (accountsOfRegionInFeeControl, [fee.rawValue, region, after, limit])
        }
    }
}

extension StationStore {
    /// At most `limit` accounts with an id above `after` (nil: from the first), by id, in
    /// `region` and `state` when given.
    public func accountPage(region: String?, state: AccountListState?, after: String?, limit: Int) async throws -> [AccountRecord] {
        // Every id is non-empty text, so above "".
        let query = PageSQL.accounts(region: region, state: state, after: after ?? "", limit: limit)
        return try await writer.read { db in
            let ids = try String.fetchAll(db.cachedStatement(sql: query.sql), arguments: query.arguments)
            return try ids.map { try Self.account($0, in: db) }
        }
    }

    /// At most `limit` of the account's commands with an id below `before` (nil: from the
    /// newest), newest first.
    public func commandPage(account: String, before: Int64?, limit: Int) async throws -> [CommandRecord] {
        try await writer.read { db in
            try SQLRow.fetchAll(db.cachedStatement(sql: PageSQL.commands), arguments: [account, before ?? Int64.max, limit])
                .map { try CommandRecord(row: $0) }
        }
    }

    /// At most `limit` open review items with an id above `after` (nil: from the oldest), oldest first.
    public func openReviewPage(after: Int64?, limit: Int) async throws -> [ReviewItem] {
        try await writer.read { db in
            try SQLRow.fetchAll(db.cachedStatement(sql: PageSQL.openReviewItems), arguments: [after ?? 0, limit])
                .map(ReviewItem.init(row:))
        }
    }
}
