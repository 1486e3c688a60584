import ChargeControl
import Foundation

/// A pending command as the dispatcher's in-memory queue keeps it: what its order needs. The
/// full row is read when the command is claimed (`StationStore.claim`), so a stale key can
/// only lose its claim.
public struct PendingCommandKey: Sendable, Hashable {
    public let id: Int64
    public let meterAddress: String
    /// A reconnection (allow-close, direct-close): ahead of its meter's other commands.
    public let isUrgent: Bool
    /// Not sent before (a trip deferred to its window); until then it holds back nothing.
    public let notBefore: Date
    /// Due (again) at; while it is not, it holds back its meter's younger commands.
    public let nextAttemptAt: Date

    public init(id: Int64, meterAddress: String, isUrgent: Bool, notBefore: Date, nextAttemptAt: Date) {
        self.id = id
        self.meterAddress = meterAddress
        self.isUrgent = isUrgent
        self.notBefore = notBefore
        self.nextAttemptAt = nextAttemptAt
    }
}

/// The command table as the dispatcher's queue starts from: read in one transaction.
public struct PendingCommandScan: Sendable {
    /// Every pending command, by id.
    public let pending: [PendingCommandKey]
    /// Meters with a command in flight (none after `recoverInFlight`, but the dispatcher's own).
    public let inFlightMeters: Set<String>
    /// The highest command id in the table (0: none): later commands are read by `id > lastID`.
    public let lastID: Int64
}

extension StationStore {
    /// Every pending command's key, the meters with one in flight and the highest id, in one
    /// read (the dispatcher's rebuild: at start, and when told commands went back to pending).
    /// `terminals`: only the commands of meters on these terminals (a node of several: those it
    /// leases); nil: every command.
    public func pendingCommandScan(terminals: Set<String>? = nil) async throws -> PendingCommandScan {
        try await writer.read { db in
            let pending = try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT c.id, c.meter_address, c.kind, c.not_before, c.next_attempt_at, \(Self.terminalColumn(terminals))
                FROM command AS c WHERE c.state = 'pending' ORDER BY c.id
                """)).filter { Self.isOn(terminals, $0) }.map(PendingCommandKey.init(row:))
            let meters = try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT DISTINCT c.meter_address, \(Self.terminalColumn(terminals)) FROM command AS c WHERE c.state = 'in_flight'
                """)).filter { Self.isOn(terminals, $0, at: 1) }.map { try $0.decode(String.self, atIndex: 0) }
            let last = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(id) FROM command")) ?? 0
            return PendingCommandScan(pending: pending, inFlightMeters: Set(meters), lastID: last)
        }
    }

    /// The commands queued after `id` (on the primary key) that are still pending, and the
    /// highest id read (`id` when none): what the dispatcher looks at after each wake-up.
    /// `terminals`: as for `pendingCommandScan`.
    public func pendingCommandKeys(after id: Int64, terminals: Set<String>? = nil) async throws -> (keys: [PendingCommandKey], lastID: Int64) {
        try await writer.read { db in
            var keys: [PendingCommandKey] = []
            var last = id
            for row in try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT c.id, c.meter_address, c.kind, c.not_before, c.next_attempt_at, c.state, \(Self.terminalColumn(terminals))
                FROM command AS c WHERE c.id > ? ORDER BY c.id
                """), arguments: [id]) {
                let key = PendingCommandKey(row: row)
                last = max(last, key.id)
                if (try? row.decode(String.self, atIndex: 5)) == CommandState.pending.rawValue, Self.isOn(terminals, row, at: 6) {
                    keys.append(key)
                }
            }
            return (keys, last)
        }
    }

    /// The command's terminal as a column when the read is limited to some terminals (a
    /// subquery on the account's key), else a constant.
    private static func terminalColumn(_ terminals: Set<String>?) -> String {
        terminals == nil ? "NULL" : "(SELECT a.terminal_id FROM account AS a WHERE a.id = c.account_id)"
    }

    /// Whether the row's terminal column (at `index`; the scan's is the sixth) is one of `terminals`.
    private static func isOn(_ terminals: Set<String>?, _ row: SQLRow, at index: Int = 5) -> Bool {
        guard let terminals else { return true }
        return (try? row.decode(String.self, atIndex: index)).map(terminals.contains) ?? false
    }
}

extension PendingCommandKey {
    /// Never fails: a value that cannot be read makes the command due at once, so that its
    /// claim reads the full row and moves it to job review with the problem named.
    init(row: SQLRow) {
        id = (try? row.decode(Int64.self, atIndex: 0)) ?? 0
        meterAddress = (try? row.decode(String.self, atIndex: 1)) ?? ""
        isUrgent = (try? row.decode(String.self, atIndex: 2)).flatMap(CommandKind.init(rawValue:))?.isUrgent ?? false
        notBefore = StoredInstant.date((try? row.decode(Int64.self, atIndex: 3)) ?? 0)
        nextAttemptAt = StoredInstant.date((try? row.decode(Int64.self, atIndex: 4)) ?? 0)
    }
}
