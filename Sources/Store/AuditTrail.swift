import Crypto
import Foundation

/// One audit record: a decision or a command state change, with what it saw.
public struct AuditEvent: Sendable, Hashable {
    public var at: Date
    /// `decision`, `command_state`, `payment`, `review`, `abnormal`, …
    public var event: String
    public var accountID: String?
    public var meterAddress: String?
    public var commandID: Int64?
    public var balanceMicroYuan: Int64?
    /// The rule and reason, human-readable.
    public var detail: String
    /// The operator (API token name) the row speaks for; nil: `AuditActor.current` when written.
    public var actor: String?

    public init(at: Date, event: String, accountID: String? = nil, meterAddress: String? = nil,
                commandID: Int64? = nil, balanceMicroYuan: Int64? = nil, detail: String, actor: String? = nil) {
        self.actor = actor
        self.at = at
        self.event = event
        self.accountID = accountID
        self.meterAddress = meterAddress
        self.commandID = commandID
        self.balanceMicroYuan = balanceMicroYuan
        self.detail = detail
    }
}

/// The result of checking the chain.
public struct AuditVerification: Sendable, Hashable {
    public let rows: Int
    /// The first row whose hash does not follow from its content and the row before, if any.
    public let firstBrokenID: Int64?
    public var isIntact: Bool { firstBrokenID == nil }
}

/// The append-only, hash-chained audit trail. Each row's hash covers its content and the hash
/// of the row before, so any edit, insertion or deletion breaks every hash after it.
/// (Triggers refuse UPDATE and DELETE outright; the chain catches edits made around SQLite.)
public enum AuditTrail {
    public static let genesis = String(repeating: "0", count: 64)

    /// Appends inside the caller's transaction, so the record commits with what it describes. The
    /// row's actor is the event's, else the task's (`AuditActor`).
    @discardableResult
    static func append(_ e: AuditEvent, in db: SQLSession) throws -> Int64 {
        // Each node of a PostgreSQL station keeps a chain of its own (issue 16): its writer is one,
        // so its rows are appended in id order, and nodes never wait on one another to append.
        let node = AccountBook.current?.cluster.node
        let prev = try (node.map {
            try String.fetchOne(db.cachedStatement(sql: "SELECT hash FROM audit WHERE node = ? ORDER BY id DESC LIMIT 1"), arguments: [$0])
        } ?? String.fetchOne(db.cachedStatement(sql: "SELECT hash FROM audit WHERE node IS NULL ORDER BY id DESC LIMIT 1"))) ?? genesis
        let at = StoredInstant.millis(e.at)
        let actor = e.actor ?? AuditActor.current
        let hash = digest(prev: prev, at: at, event: e.event, account: e.accountID, meter: e.meterAddress,
                          command: e.commandID, balance: e.balanceMicroYuan, detail: e.detail, actor: actor, node: node)
        try db.executeCached(
            sql: """
                INSERT INTO audit (at, event, account_id, meter_address, command_id, balance_micro_yuan, detail, prev_hash, hash, actor, node)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [at, e.event, e.accountID, e.meterAddress, e.commandID, e.balanceMicroYuan, e.detail, prev, hash, actor, node])
        return try db.lastInsertedRowID
    }

    /// Walks the whole chain in id order.
    /// Walks every chain in id order: the station's own (rows without a node) and each node's.
    static func verify(in db: SQLSession) throws -> AuditVerification {
        var prev: [String: String] = [:]
        var count = 0
        // A file from before v17 opened as it is (a watcher, a backup's check) has no node column.
        let hasNode = try Int.fetchOne(db, sql: db.engine == .postgres
            ? "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'audit' AND column_name = 'node'"
            : "SELECT COUNT(*) FROM pragma_table_info('audit') WHERE name = 'node'") == 1
        var rows = try SQLRow.fetchCursor(db, sql: hasNode ? """
            SELECT id, at, event, account_id, meter_address, command_id, balance_micro_yuan, detail, prev_hash, hash, actor, node
            FROM audit ORDER BY id
            """ : """
            SELECT id, at, event, account_id, meter_address, command_id, balance_micro_yuan, detail, prev_hash, hash, actor, NULL
            FROM audit ORDER BY id
            """)
        while let row = try rows.next() {
            count += 1
            let id = try row.decode(Int64.self, atIndex: 0)
            // "\u{0}": the chain of rows without a node (a node's name is never empty).
            let chain = (try? row.decode(String?.self, atIndex: 11)).flatMap { $0 } ?? "\u{0}"
            guard let stored = verifiedHash(of: row, after: prev[chain] ?? genesis) else {
                return AuditVerification(rows: count, firstBrokenID: id)
            }
            prev[chain] = stored
        }
        return AuditVerification(rows: count, firstBrokenID: nil)
    }

    /// The row's hash (columns as `verify` selects them) when it follows from its content and
    /// `prev`; nil when it does not, or when a field cannot be read: such a row cannot match its
    /// hash either, so the chain is broken there.
    private static func verifiedHash(of row: SQLRow, after prev: String) -> String? {
        guard let stored = try? row.decode(String.self, atIndex: 9),
              let storedPrev = try? row.decode(String.self, atIndex: 8), storedPrev == prev,
              let expected = try? digest(prev: prev, at: row.decode(atIndex: 1), event: row.decode(atIndex: 2),
                                         account: row.decode(atIndex: 3), meter: row.decode(atIndex: 4),
                                         command: row.decode(atIndex: 5), balance: row.decode(atIndex: 6),
                                         detail: row.decode(atIndex: 7), actor: row.decode(atIndex: 10),
                                         node: row.decode(atIndex: 11)),
              stored == expected else { return nil }
        return stored
    }

    /// SHA-256 over length-prefixed fields, so no choice of text can make two rows collide by
    /// shifting a separator.
    ///
    /// The actor (schema v10) is a ninth field only when there is one: rows written before v10 (and
    /// rows of the station's own loops) hash exactly as they always did, so the old chain still
    /// verifies, while a row with an actor cannot lose it, or an old row gain one, without
    /// breaking its hash (the length prefixes make 8 and 9 fields distinct inputs).
    ///
    /// The node (schema v17) makes a tenth field, always after an actor field ("\u{0}" for none):
    /// a node's row cannot lose its node, or be taken for a row with an actor, without breaking.
    static func digest(prev: String, at: Int64, event: String, account: String?, meter: String?,
                       command: Int64?, balance: Int64?, detail: String, actor: String? = nil, node: String? = nil) -> String {
        var hasher = SHA256()
        var fields = [prev, String(at), event, account ?? "\u{0}", meter ?? "\u{0}",
                      command.map(String.init) ?? "\u{0}", balance.map(String.init) ?? "\u{0}", detail]
        if let node {
            fields += [actor ?? "\u{0}", node]
        } else if let actor {
            fields.append(actor)
        }
        for field in fields {
            let bytes = Array(field.utf8)
            hasher.update(data: Array("\(bytes.count):".utf8))
            hasher.update(data: bytes)
        }
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in hasher.finalize() {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
