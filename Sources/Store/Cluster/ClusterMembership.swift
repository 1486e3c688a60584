import Foundation
import Synchronization

/// A terminal's lease as the database holds it (issue 16): the node that reads the terminal's
/// meters and sends its commands, until `expiresAt` unless renewed. `generation` grows by one at
/// every change of holder; a command claim carries it, so a node that was paused past its lease
/// cannot send a command another node now owns (the claim's generation is no longer the lease's).
public struct TerminalLease: Sendable, Hashable {
    public var terminalID: String
    public var node: String
    public var generation: Int64
    public var expiresAt: Date

    public init(terminalID: String, node: String, generation: Int64, expiresAt: Date) {
        self.terminalID = terminalID
        self.node = node
        self.generation = generation
        self.expiresAt = expiresAt
    }
}

/// This daemon's place among the nodes of a PostgreSQL station (issue 16): its name, and the
/// terminals it leases as of its last lease round. The store consults it in every write that
/// acts for a terminal: a command is claimed, and a reading charged, only under a lease held
/// with time to spare (`margin` before it expires, so that what this node does ends before
/// another node may take the terminal over); the account book trusts only its own accounts
/// (those on held terminals) and reads the others from the database at every use.
///
/// Until `join` it is solo: a SQLite station's one daemon, which holds every terminal.
public final class ClusterMembership: Sendable {
    private struct State {
        var node: String?
        var leases: [String: TerminalLease] = [:]
        var margin: TimeInterval = 0
    }

    private let state = Mutex(State())
    /// `node != nil`, read without the lock on the account book's hot path.
    private let joined = Atomic<Bool>(false)
    let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// Becomes node `node`, holding nothing until its first lease round. `margin`: how long
    /// before a lease expires this node stops claiming, sending and charging under it.
    public func join(node: String, margin: Duration) {
        state.withLock {
            $0.node = node
            $0.leases = [:]
            $0.margin = TimeInterval(margin.components.seconds) + TimeInterval(margin.components.attoseconds) / 1e18
        }
        joined.store(true, ordering: .releasing)
    }

    /// The node's name; nil when solo.
    public var node: String? { state.withLock { $0.node } }

    /// The leases held as of the last round (empty when solo).
    public var leases: [String: TerminalLease] { state.withLock { $0.leases } }

    /// Replaces the leases held (a lease round's outcome).
    public func hold(_ leases: [TerminalLease]) {
        state.withLock { s in s.leases = Dictionary(leases.map { ($0.terminalID, $0) }, uniquingKeysWith: { _, last in last }) }
    }

    /// Whether this node acts for `terminal` now: solo, or under a lease that does not end
    /// within the margin.
    public func holds(terminal: String) -> Bool {
        let at = now()
        return state.withLock { s in
            guard s.node != nil else { return true }
            guard let lease = s.leases[terminal] else { return false }
            return lease.expiresAt.timeIntervalSince(at) > s.margin
        }
    }

    /// The lease this node acts under for `terminal` now (see `holds`); nil when solo or not held.
    func lease(terminal: String) -> (node: String, lease: TerminalLease)? {
        let at = now()
        return state.withLock { s in
            guard let node = s.node, let lease = s.leases[terminal], lease.expiresAt.timeIntervalSince(at) > s.margin else { return nil }
            return (node, lease)
        }
    }

    /// Whether this node is one of several (joined); false when solo.
    public var isClustered: Bool { joined.load(ordering: .acquiring) }

    /// Whether `terminal`'s accounts are another node's now (never when solo).
    func isForeign(terminal: String) -> Bool { isClustered && !holds(terminal: terminal) }
}

/// The channel nodes tell each other of account changes on (`ClusterChanges` in StorePostgres).
public enum ClusterChannel {
    public static let accounts = "chargecontrol_accounts"
    /// Between account ids in a payload (ids never hold it: they are provisioned as tokens).
    public static let separator: Character = " "
    /// A payload's length stays under PostgreSQL's 8000-byte limit.
    static let payloadLimit = 7000

    /// `ids` as payloads within the limit.
    static func payloads(_ ids: [String]) -> [String] {
        var payloads: [String] = []
        var current = ""
        for id in ids {
            if !current.isEmpty && current.utf8.count + id.utf8.count + 1 > payloadLimit {
                payloads.append(current)
                current = ""
            }
            current += current.isEmpty ? id : String(separator) + id
        }
        if !current.isEmpty { payloads.append(current) }
        return payloads
    }
}
