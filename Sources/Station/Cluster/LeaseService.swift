import Foundation
import Logging
import ServiceLifecycle
import StationConfig
import Store

/// A node's lease rounds (issue 16): every third of the lease time it reads the terminals, the
/// leases and the nodes, plans its round (`LeasePlan`) and writes it (`applyLeaseRound`); then
/// tells the station which terminals it now acts for (`onHeldChanged`: the lines, the collector
/// and the dispatcher follow).
///
/// A terminal the plan gives back stops being acted for at once but is released in the
/// database only at the next round, so that what this node had under way on it (a command on
/// the line, a reading being charged) ends before another node may take it. A graceful stop
/// releases every lease (the others take them at their next round); a node that dies keeps
/// them until they lapse.
public struct LeaseService: Service {
    let store: StationStore
    let settings: ClusterSettings
    let clock: any StationClock
    let logger: Logger
    /// Called with the terminals acted for, after each round that changed them or their addresses.
    let onHeldChanged: @Sendable (Set<String>) async -> Void

    public init(store: StationStore, settings: ClusterSettings, clock: any StationClock, logger: Logger,
                onHeldChanged: @escaping @Sendable (Set<String>) async -> Void) {
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.onHeldChanged = onHeldChanged
    }

    /// The lease in seconds.
    var leaseSeconds: TimeInterval { TimeInterval(settings.lease.components.seconds) + TimeInterval(settings.lease.components.attoseconds) / 1e18 }

    /// Rounds until a graceful shutdown (then, last of the services to stop, it releases every
    /// lease) or cancellation (then it stops as a killed node would: its leases lapse).
    public func run() async {
        let startedAt = clock.now
        await cancelWhenGracefulShutdown { [self] in
            var rounds = Rounds()
            while !Task.isCancelled {
                await round(startedAt: startedAt, &rounds)
                do { try await clock.sleep(until: clock.now.addingTimeInterval(leaseSeconds / 3)) } catch { return }
            }
        }
        guard Task.isShuttingDownGracefully else { return }
        await onHeldChanged([])
        do {
            try await store.leaveCluster(at: clock.now)
            logger.notice("node \(settings.node) left the cluster: its terminals' leases released", metadata: ["event": "lease"])
        } catch {
            logger.error("cannot release the leases; they lapse in \(settings.lease.configText)", metadata: ["event": "lease", "error": "\(error)"])
        }
    }

    /// What a round remembers for the next.
    struct Rounds {
        /// Terminals acted for after the last round.
        var held: Set<String> = []
        /// Terminals given back at the last round, to be released at this one.
        var releasing: [String] = []
        /// The held terminals' `host:port` after the last round.
        var addresses: [String: String] = [:]
        /// When each terminal was last given back (forgotten after a lease time).
        var gaveBack: [String: Date] = [:]
        var failing = false
    }

    /// One round; failures are logged (the leases lapse if rounds keep failing, and this node
    /// stops acting for them before they do: `ClusterMembership`'s margin).
    func round(startedAt: Date, _ rounds: inout Rounds) async {
        let now = clock.now
        do {
            let state = try await store.clusterState()
            let live = state.liveNodes(at: now, within: leaseSeconds)
            // What this node is giving back is planned as gone already, and not taken again for a
            // lease time: the node it was given back for takes it (else the two would trade it).
            let releasing = Set(rounds.releasing)
            rounds.gaveBack = rounds.gaveBack.filter { now.timeIntervalSince($0.value) < leaseSeconds }
            let leases = state.leases.filter { !($0.node == settings.node && releasing.contains($0.terminalID)) }
            var plan = LeasePlan.plan(node: settings.node, terminals: state.terminals, leases: leases, liveNodes: live, now: now)
            plan.acquire.removeAll { rounds.gaveBack[$0] != nil || releasing.contains($0) }
            let giveBack = Set(plan.release)
            let outcome = try await store.applyLeaseRound(
                startedAt: startedAt, renew: plan.renew.filter { !giveBack.contains($0) }, acquire: plan.acquire,
                release: rounds.releasing, givingBack: giveBack, at: now, expiresAt: now.addingTimeInterval(leaseSeconds))
            rounds.releasing = plan.release
            for terminal in plan.release { rounds.gaveBack[terminal] = now }
            let held = Set(outcome.held.map(\.terminalID)).subtracting(giveBack)
            if rounds.failing {
                logger.notice("lease rounds work again", metadata: ["event": "lease"])
                rounds.failing = false
            }
            if !outcome.acquired.isEmpty || !outcome.lost.isEmpty || !plan.release.isEmpty {
                logger.notice("""
                    node \(settings.node) leases \(held.count) of \(state.terminals.count) terminals\
                    \(outcome.acquired.isEmpty ? "" : "; took \(outcome.acquired.joined(separator: ", "))")\
                    \(plan.release.isEmpty ? "" : "; giving back \(plan.release.joined(separator: ", "))")\
                    \(outcome.lost.isEmpty ? "" : "; lost \(outcome.lost.joined(separator: ", "))")\
                    \(outcome.recovered == 0 ? "" : "; \(outcome.recovered) commands left in flight put back")
                    """, metadata: ["event": "lease", "node": "\(settings.node)", "held": "\(held.count)",
                                    "live_nodes": "\(live.union([settings.node]).count)"])
            }
            // Also when another node's API moved one of this node's terminals (its line follows).
            let addresses = state.addresses.filter { held.contains($0.key) }
            if held != rounds.held || addresses != rounds.addresses {
                rounds.held = held
                rounds.addresses = addresses
                await onHeldChanged(held)
            }
        } catch {
            if !rounds.failing {
                logger.error("lease round failed; the leases lapse in \(settings.lease.configText) unless a round succeeds",
                             metadata: ["event": "lease", "error": "\(error)"])
            }
            rounds.failing = true
            // Acts only for what is still leased with time to spare (the membership's margin).
            let acting = Set(store.cluster.leases.keys.filter { store.cluster.holds(terminal: $0) })
            if acting != rounds.held {
                rounds.held = acting
                await onHeldChanged(acting)
            }
        }
    }
}
