import Foundation
import Hummingbird
import Store
import Tariffs

/// `GET /v1/cluster`: the nodes sharing the station and the terminals each leases (issue 16;
/// INTERFACES.md "Growing past one machine"):
/// `{"clustered", "node", "lease_seconds", "nodes": [{"node", "live", "started_at", "last_seen",
/// "stopped_at", "terminals": [ids]}], "unleased": [ids]}`. A node is live when its last lease
/// round is within the lease time and it has not stopped; `terminals` are its unexpired leases.
/// A SQLite station has one daemon: one node, `clustered` false, holding every terminal.
enum ClusterRoutes {
    struct NodeView: Encodable {
        let node: String
        let live: Bool
        let startedAt, lastSeen, stoppedAt: String?
        let terminals: [String]

        enum CodingKeys: String, CodingKey {
            case node, live, terminals
            case startedAt = "started_at", lastSeen = "last_seen", stoppedAt = "stopped_at"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(node, forKey: .node)
            try c.encode(live, forKey: .live)
            try c.encode(startedAt, forKey: .startedAt)
            try c.encode(lastSeen, forKey: .lastSeen)
            try c.encode(stoppedAt, forKey: .stoppedAt)
            try c.encode(terminals, forKey: .terminals)
        }
    }

    struct View: Encodable {
        let clustered: Bool
        let node: String?
        let leaseSeconds: Double?
        let nodes: [NodeView]
        let unleased: [String]

        enum CodingKeys: String, CodingKey {
            case clustered, node, nodes, unleased
            case leaseSeconds = "lease_seconds"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(clustered, forKey: .clustered)
            try c.encode(node, forKey: .node)
            try c.encode(leaseSeconds, forKey: .leaseSeconds)
            try c.encode(nodes, forKey: .nodes)
            try c.encode(unleased, forKey: .unleased)
        }
    }

    /// The view of `state` at `now`; `lease` nil: a solo daemon.
    static func view(_ state: ClusterState, node: String?, lease: Duration?, at now: Date, zone: TimeZone) -> View {
        let format: (Date) -> String = { RFC3339.format($0, in: zone) }
        guard let node, let lease else {
            return View(clustered: false, node: nil, leaseSeconds: nil,
                        nodes: [NodeView(node: "local", live: true, startedAt: nil, lastSeen: format(now), stoppedAt: nil,
                                         terminals: state.terminals)],
                        unleased: [])
        }
        let seconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        let live = state.liveNodes(at: now, within: seconds)
        let current = state.leases.filter { $0.expiresAt > now }
        let byNode = Dictionary(grouping: current, by: \.node).mapValues { $0.map(\.terminalID).sorted() }
        let nodes = state.nodes.map { n in
            NodeView(node: n.node, live: live.contains(n.node), startedAt: format(n.startedAt), lastSeen: format(n.lastSeen),
                     stoppedAt: n.stoppedAt.map { format($0) }, terminals: byNode[n.node] ?? [])
        }
        let leased = Set(current.map(\.terminalID))
        return View(clustered: true, node: node, leaseSeconds: seconds, nodes: nodes,
                    unleased: state.terminals.filter { !leased.contains($0) })
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.get, "cluster", .read) { _, _ in
            let store = station.core.store
            let state = try await store.clusterState()
            return try JSONResponse.make(view(state, node: store.cluster.node, lease: station.settings.clusterLease,
                                              at: station.core.clock.now, zone: station.settings.timeZone))
        }
    }
}
