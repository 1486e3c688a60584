import Foundation

/// A node as `cluster_node` has it: when it started, when its last lease round ran, and when it
/// stopped gracefully (nil while it runs, or when it died).
public struct ClusterNodeRecord: Sendable, Hashable {
    public var node: String
    public var startedAt: Date
    public var lastSeen: Date
    public var stoppedAt: Date?
}

/// What a lease round reads: the terminals, their leases and the nodes (`StationStore.clusterState`).
public struct ClusterState: Sendable, Hashable {
    public var terminals: [String]
    /// Each terminal's `host:port`: a node follows a change another node's API made.
    public var addresses: [String: String] = [:]
    public var leases: [TerminalLease]
    public var nodes: [ClusterNodeRecord]

    /// The nodes seen within `within` of `now` and not stopped since.
    public func liveNodes(at now: Date, within: TimeInterval) -> Set<String> {
        Set(nodes.filter { $0.stoppedAt == nil && now.timeIntervalSince($0.lastSeen) <= within }.map(\.node))
    }
}

/// What one lease round wrote (`StationStore.applyLeaseRound`).
public struct LeaseRoundOutcome: Sendable, Hashable {
    /// Every lease this node holds after the round.
    public var held: [TerminalLease]
    /// Terminals taken this round (free, lapsed, or given back by another node).
    public var acquired: [String]
    /// Terminals held before the round and not after: given back, or found taken by another node.
    public var lost: [String]
    /// Commands another node left in flight on the terminals taken, put back to pending.
    public var recovered: Int
}

extension StationStore {
    /// The terminals, every lease and every node, as a lease round or `GET /v1/cluster` sees them.
    public func clusterState() async throws -> ClusterState {
        try await writer.read { db in
            var addresses: [String: String] = [:]
            let terminals = try SQLRow.fetchAll(db.cachedStatement(sql: "SELECT id, host, port FROM terminal ORDER BY id")).map { row in
                let id: String = try row.decode(atIndex: 0)
                addresses[id] = "\((try? row.decode(String.self, atIndex: 1)) ?? "?"):\((try? row.decode(Int64.self, atIndex: 2)) ?? 0)"
                return id
            }
            let leases = try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT terminal_id, node, generation, expires_at FROM terminal_lease ORDER BY terminal_id
                """)).map { row in
                try row.decodeRecord(table: "terminal_lease", key: .index(0)) {
                    try TerminalLease(terminalID: row.decode(atIndex: 0), node: row.decode(atIndex: 1), generation: row.decode(atIndex: 2),
                                      expiresAt: StoredInstant.date(row.decode(atIndex: 3)))
                }
            }
            let nodes = try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT node, started_at, last_seen, stopped_at FROM cluster_node ORDER BY node
                """)).map { row in
                try row.decodeRecord(table: "cluster_node", key: .index(0)) {
                    try ClusterNodeRecord(node: row.decode(atIndex: 0), startedAt: StoredInstant.date(row.decode(atIndex: 1)),
                                          lastSeen: StoredInstant.date(row.decode(atIndex: 2)),
                                          stoppedAt: row.decode(Int64?.self, atIndex: 3).map(StoredInstant.date))
                }
            }
            return ClusterState(terminals: terminals, addresses: addresses, leases: leases, nodes: nodes)
        }
    }

    /// One lease round of this node (`cluster.node`), in one write, each step a conditional write
    /// that loses to another node's: the node is seen; `renew` leases it still holds at the
    /// generation it knows get `expiresAt` (one found taken is lost); `acquire` terminals whose
    /// lease has lapsed (or that have none) become its own, one generation on; `release` leases
    /// are given back (they lapse now). On each terminal taken, commands another node left in
    /// flight go back to pending (the fence keeps that node from settling them), and the account
    /// book reads the terminal's accounts again with the readings their rows lack.
    ///
    /// The membership's leases are replaced by what the database holds after the write.
    ///
    /// `givingBack`: terminals still leased but no longer acted for (released at the next round):
    /// the membership leaves them out.
    public func applyLeaseRound(startedAt: Date, renew: [String], acquire: [String], release: [String], givingBack: Set<String> = [],
                                at now: Date, expiresAt: Date) async throws -> LeaseRoundOutcome {
        guard let node = cluster.node else { throw StoreError.notClustered }
        let before = cluster.leases
        let book = book
        let outcome = try await write { db -> LeaseRoundOutcome in
            let ms = StoredInstant.millis(now), until = StoredInstant.millis(expiresAt)
            try db.executeCached(sql: """
                INSERT INTO cluster_node (node, started_at, last_seen) VALUES (?, ?, ?)
                ON CONFLICT (node) DO UPDATE SET started_at = excluded.started_at, last_seen = excluded.last_seen, stopped_at = NULL
                """, arguments: [node, StoredInstant.millis(startedAt), ms])
            // Given back: lapses now; renewed: lasts until `until`; either only if still held as known.
            for (terminals, expiry) in [(release, ms), (renew, until)] {
                for terminal in terminals {
                    guard let lease = before[terminal] else { continue }
                    try db.executeCached(sql: """
                        UPDATE terminal_lease SET expires_at = ? WHERE terminal_id = ? AND node = ? AND generation = ?
                        """, arguments: [expiry, terminal, node, lease.generation])
                }
            }
            var acquired: [String] = []
            var recovered = 0
            for terminal in acquire {
                try db.executeCached(sql: """
                    INSERT INTO terminal_lease (terminal_id, node, generation, expires_at) VALUES (?, ?, 1, ?)
                    ON CONFLICT (terminal_id) DO UPDATE SET node = excluded.node, generation = terminal_lease.generation + 1,
                        expires_at = excluded.expires_at
                    WHERE terminal_lease.expires_at <= ?
                    """, arguments: [terminal, node, until, ms])
                guard db.changesCount == 1 else { continue }
                acquired.append(terminal)
                recovered += try Self.takeOver(terminal: terminal, by: node, at: now, book: book, in: db)
            }
            let held = try SQLRow.fetchAll(db.cachedStatement(sql: """
                SELECT terminal_id, generation, expires_at FROM terminal_lease WHERE node = ? AND expires_at > ?
                """), arguments: [node, ms]).map { row in
                try row.decodeRecord(table: "terminal_lease", key: .index(0)) {
                    try TerminalLease(terminalID: row.decode(atIndex: 0), node: node, generation: row.decode(atIndex: 1),
                                      expiresAt: StoredInstant.date(row.decode(atIndex: 2)))
                }
            }
            let heldIDs = Set(held.map(\.terminalID))
            return LeaseRoundOutcome(held: held, acquired: acquired, lost: before.keys.filter { !heldIDs.contains($0) }.sorted(),
                                     recovered: recovered)
        }
        cluster.hold(outcome.held.filter { !givingBack.contains($0.terminalID) })
        return outcome
    }

    /// Puts back the commands left in flight on `terminal`'s meters (claimed by another node, or
    /// by this one under an older lease), and has the book read its accounts again.
    private static func takeOver(terminal: String, by node: String, at now: Date, book: AccountBook?, in db: SQLSession) throws -> Int {
        let inFlight = try SQLRow.fetchAll(db.cachedStatement(sql: """
            SELECT c.id, c.claimed_by FROM command AS c JOIN account AS a ON a.id = c.account_id
            WHERE a.terminal_id = ? AND c.state = 'in_flight'
            """), arguments: [terminal])
        for row in inFlight {
            let id: Int64 = try row.decode(atIndex: 0)
            let holder = try row.decode(String?.self, atIndex: 1) ?? "no node"
            try CommandQueue.apply(.recover(at: now), to: id, from: .inFlight, at: now,
                                   detail: "terminal \(terminal) taken over by node \(node) from \(holder)", in: db)
        }
        let accounts = try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM account WHERE terminal_id = ?"), arguments: [terminal])
        book?.adopt(accounts)
        return inFlight.count
    }

    /// A graceful stop: every lease this node holds lapses now (the others take them at their
    /// next round) and the node is marked stopped.
    public func leaveCluster(at now: Date) async throws {
        guard let node = cluster.node else { return }
        let ms = StoredInstant.millis(now)
        // Acts for no terminal from here on, before the others may take them.
        cluster.hold([])
        try await write { db in
            try db.executeCached(sql: "UPDATE terminal_lease SET expires_at = ? WHERE node = ? AND expires_at > ?", arguments: [ms, node, ms])
            try db.executeCached(sql: "UPDATE cluster_node SET stopped_at = ?, last_seen = ? WHERE node = ?", arguments: [ms, ms, node])
        }
    }
}

extension StationStore {
    /// Another node's write changed these accounts (`ClusterChanges`): the book reads them again
    /// before their next use.
    public func accountsChangedElsewhere(_ ids: [String]) {
        book?.changedElsewhere(ids)
    }

    /// What other nodes said while nobody listened is lost: every account of the terminals this
    /// node leases is read again before its next use.
    public func rereadOwnAccounts() async throws {
        let terminals = Array(cluster.leases.keys)
        guard let book, !terminals.isEmpty else { return }
        let ids = try await writer.read { db in
            try terminals.flatMap { terminal in
                try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM account WHERE terminal_id = ?"), arguments: [terminal])
            }
        }
        book.changedElsewhere(ids)
    }
}
