import Foundation

/// A notification to write into the outbox, in the transaction of the decision it reports.
public struct OutboxEntry: Sendable, Hashable {
    /// Identifies the event: raising it again (a replay, a repeated decision) adds nothing.
    public let eventKey: String
    /// `low_balance`, `alarm`, `trip`, `restore`.
    public let event: String
    public let accountID: String
    /// The JSON body posted to the webhook.
    public let payload: String

    public init(eventKey: String, event: String, accountID: String, payload: String) {
        self.eventKey = eventKey
        self.event = event
        self.accountID = accountID
        self.payload = payload
    }
}

/// A row of the notification outbox.
public struct OutboxItem: Sendable, Hashable {
    public let id: Int64
    public let eventKey: String
    public let event: String
    public let accountID: String
    public let payload: String
    public let createdAt: Date
    /// Failed deliveries so far.
    public let attempts: Int
    public let nextAttemptAt: Date
    public let deliveredAt: Date?
    public let lastError: String?
}

extension OutboxItem {
    init(row: SQLRow) throws {
        self = try row.decodeRecord(table: "outbox", key: .name("id")) {
            try OutboxItem(
                id: row.decode(forColumn: "id"), eventKey: row.decode(forColumn: "event_key"), event: row.decode(forColumn: "event"),
                accountID: row.decode(forColumn: "account_id"), payload: row.decode(forColumn: "payload"),
                createdAt: StoredInstant.date(row.decode(forColumn: "created_at")), attempts: row.decode(forColumn: "attempts"),
                nextAttemptAt: StoredInstant.date(row.decode(forColumn: "next_attempt_at")),
                deliveredAt: row.decode(Int64?.self, forColumn: "delivered_at").map(StoredInstant.date),
                lastError: row.decode(forColumn: "last_error"))
        }
    }
}

/// How the outbox stands, for status and metrics.
public struct OutboxCounts: Sendable, Hashable {
    /// Not delivered yet (including those failing).
    public let undelivered: Int
    /// Not delivered and failed at least once.
    public let failing: Int
    public let delivered: Int
    /// When the oldest undelivered notification was written.
    public let oldestUndeliveredAt: Date?
}

/// The durable notification outbox: rows are written with the decision they report and stay
/// until the webhook has taken them. Nothing is ever dropped: a failing row is retried for as
/// long as it takes (the caller chooses the back-off).
public enum Outbox {
    /// Adds a notification inside the caller's transaction; false when its event key is there
    /// already (the event was raised before), which leaves the existing row untouched.
    @discardableResult
    static func add(_ entry: OutboxEntry, at now: Date, in db: SQLSession) throws -> Bool {
        let ms = StoredInstant.millis(now)
        try db.executeCached(sql: """
            INSERT INTO outbox (event_key, event, account_id, payload, created_at, attempts, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT(event_key) DO NOTHING
            """, arguments: [entry.eventKey, entry.event, entry.accountID, entry.payload, ms, ms])
        return db.changesCount > 0
    }
}

extension StationStore {
    /// Undelivered notifications due at `now`, oldest first (in the order they were written).
    public func dueNotifications(at now: Date, limit: Int = 100) async throws -> [OutboxItem] {
        try await writer.read { db in
            try SQLRow.fetchAll(db, sql: """
                SELECT * FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ?
                ORDER BY id LIMIT ?
                """, arguments: [StoredInstant.millis(now), limit]).map(OutboxItem.init(row:))
        }
    }

    /// The earliest instant an undelivered notification is due, if any.
    public func nextNotificationDue() async throws -> Date? {
        try await writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM outbox WHERE delivered_at IS NULL")
                .map(StoredInstant.date)
        }
    }

    /// Records a delivery; false if the row was delivered already (or does not exist).
    @discardableResult
    public func markNotificationDelivered(_ id: Int64, at now: Date) async throws -> Bool {
        try await write { db in
            try db.executeCached(sql: "UPDATE outbox SET delivered_at = ?, last_error = NULL WHERE id = ? AND delivered_at IS NULL",
                           arguments: [StoredInstant.millis(now), id])
            return db.changesCount > 0
        }
    }

    /// Records a failed delivery and when to try again; returns the failures so far (0 if the
    /// row was delivered meanwhile, and is then left alone).
    @discardableResult
    public func markNotificationFailed(_ id: Int64, error: String, next: Date, at now: Date) async throws -> Int {
        try await write { db in
            try db.executeCached(sql: """
                UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
                WHERE id = ? AND delivered_at IS NULL
                """, arguments: [StoredInstant.millis(max(next, now)), error, id])
            guard db.changesCount > 0 else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT attempts FROM outbox WHERE id = ?", arguments: [id]) ?? 0
        }
    }

    /// Counts for status and metrics.
    public func outboxCounts() async throws -> OutboxCounts {
        try await writer.read { db in
            // An aggregate without GROUP BY always returns one row.
            guard let row = try SQLRow.fetchOne(db, sql: """
                SELECT COUNT(CASE WHEN delivered_at IS NULL THEN 1 END) AS undelivered,
                       COUNT(CASE WHEN delivered_at IS NULL AND attempts > 0 THEN 1 END) AS failing,
                       COUNT(delivered_at) AS delivered,
                       MIN(CASE WHEN delivered_at IS NULL THEN created_at END) AS oldest
                FROM outbox
                """) else { return OutboxCounts(undelivered: 0, failing: 0, delivered: 0, oldestUndeliveredAt: nil) }
            return try OutboxCounts(undelivered: row.decode(forColumn: "undelivered"), failing: row.decode(forColumn: "failing"),
                                    delivered: row.decode(forColumn: "delivered"),
                                    oldestUndeliveredAt: row.decode(Int64?.self, forColumn: "oldest").map(StoredInstant.date))
        }
    }

    /// The undelivered notifications only, for `/metrics`: an index range (`outbox_due`, its
    /// NULL `delivered_at` prefix), so a scrape never reads the delivered history.
    public func outboxBacklog() async throws -> OutboxCounts {
        try await writer.read { db in
            guard let row = try SQLRow.fetchOne(db, sql: """
                SELECT COUNT(*) AS undelivered, COUNT(CASE WHEN attempts > 0 THEN 1 END) AS failing, MIN(created_at) AS oldest
                FROM outbox INDEXED BY outbox_due WHERE delivered_at IS NULL
                """) else { return OutboxCounts(undelivered: 0, failing: 0, delivered: 0, oldestUndeliveredAt: nil) }
            return try OutboxCounts(undelivered: row.decode(forColumn: "undelivered"), failing: row.decode(forColumn: "failing"),
                                    delivered: 0,
                                    oldestUndeliveredAt: row.decode(Int64?.self, forColumn: "oldest").map(StoredInstant.date))
        }
    }

    /// An account's notifications (all accounts when nil), oldest first.
    public func notifications(account: String? = nil, limit: Int = 1000) async throws -> [OutboxItem] {
        try await writer.read { db in
            try SQLRow.fetchAll(db, sql: "SELECT * FROM outbox WHERE CAST(? AS TEXT) IS NULL OR account_id = ? ORDER BY id LIMIT ?",
                             arguments: [account, account, limit]).map(OutboxItem.init(row:))
        }
    }
}

extension StoreTransaction {
    /// Writes a notification into the outbox with the decision it reports; false when its event
    /// key is there already (see `Outbox.add`).
    @discardableResult
    public func addToOutbox(_ entry: OutboxEntry, at: Date) throws -> Bool {
        try Outbox.add(entry, at: at, in: db)
    }
}
