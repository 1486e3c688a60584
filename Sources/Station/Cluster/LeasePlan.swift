import Foundation
import Store

/// What one node does at a lease round (pure: the lease service applies it, each step a
/// conditional write that loses to another node's): renew what it holds, take free or lapsed
/// terminals up to its share, and give back what is over its share while another live node is
/// under its own (a node that joins gets its share as the others give theirs back).
public struct LeasePlan: Sendable, Equatable {
    /// Held and still this node's: renewed.
    public var renew: [String] = []
    /// Free or lapsed: taken.
    public var acquire: [String] = []
    /// Over this node's share while another node is under its own: given back.
    public var release: [String] = []

    /// The plan of `node` at `now`. `liveNodes`: the nodes seen within a lease time (this node
    /// counts whether or not it is listed). Each node's share is the terminals divided by the
    /// live nodes, rounded up. A lease held by a node that is no longer seen still counts until
    /// it lapses: its holder may only be paused, and reads it is making would be doubled.
    public static func plan(node: String, terminals: [String], leases: [TerminalLease], liveNodes: Set<String>,
                            now: Date) -> LeasePlan {
        let live = liveNodes.union([node])
        let share = (terminals.count + live.count - 1) / live.count
        let known = Set(terminals)
        let current = leases.filter { known.contains($0.terminalID) && $0.expiresAt > now }
        let holder = Dictionary(current.map { ($0.terminalID, $0.node) }, uniquingKeysWith: { first, _ in first })
        var plan = LeasePlan()
        let held = current.filter { $0.node == node }.map(\.terminalID).sorted(by: { spread($0, node) < spread($1, node) })
        let free = terminals.filter { holder[$0] == nil }.sorted(by: { spread($0, node) < spread($1, node) })
        // Over its share, a node gives back to the nodes under theirs; at its share, to nodes under
        // the even split rounded down (10 terminals on 3 nodes: 4, 3, 3, not 4, 4, 2).
        let limit = held.count > share ? share : terminals.count / live.count
        var counts = Dictionary(live.map { ($0, 0) }, uniquingKeysWith: { first, _ in first })
        for lease in current where live.contains(lease.node) { counts[lease.node, default: 0] += 1 }
        let wanting = live.subtracting([node]).reduce(0) { $0 + max(0, limit - (counts[$1] ?? 0)) }
        let over = held.count > limit ? min(held.count - limit, max(0, wanting - free.count)) : 0
        if over > 0 {
            plan.release = Array(held.suffix(over))
            plan.renew = Array(held.dropLast(over))
        } else {
            plan.renew = held
            plan.acquire = Array(free.prefix(max(0, share - held.count)))
        }
        return plan
    }

    /// An order of terminals that differs from node to node (FNV-1a of both names), so that
    /// nodes taking free terminals at the same moment mostly reach for different ones.
    static func spread(_ terminal: String, _ node: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (terminal + "\u{0}" + node).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
