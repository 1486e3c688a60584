import Foundation
import SeededRandom
import Store

/// The failover proof (issue 16, `make failover`): several `chargecontrold` nodes on one
/// PostgreSQL station with `meter-sim`, payments posted to every live node while the meters are
/// read; round after round one node is killed (-9) at a random moment, right after a payment
/// for an account on one of its terminals was taken by another node. After each round:
/// - every terminal is led by exactly one live node within the lease time plus one collection
///   cycle (and the takeover time is recorded);
/// - the payment taken just before the kill reconnects its meter (when it was tripped);
/// - every acknowledged payment is on disk once, balances equal the ledger replay, the audit
///   chain holds, and every command's history is sound (`StationInvariants`);
/// - from the meters' side: every control request matches a command, none after its
///   acknowledgement (`MeterSideCheck`), and no terminal received control requests from two
///   connections at once (a request on an older connection after a newer one began: two nodes
///   sending);
/// then the killed node starts again and gets its share back.
public enum FailoverRounds {
    public struct Options: Sendable {
        public var rounds = 3
        public var seed: UInt64 = 0x6661_696C_6F76
        public var nodes = 3
        public var accounts = 12
        /// `[cluster] lease` in seconds.
        public var leaseSeconds = 3
        public var killAfterMilliseconds = 1500...4000
        public var paymentClients = 3
        public var settleSeconds: Double = 120
        public var station: StationOptions
        public var log: @Sendable (String) -> Void = progressLine

        /// `database`: a new, empty PostgreSQL database's URL.
        public init(database: String, station: StationOptions = StationOptions()) {
            var s = station
            s.database = database
            s.terminals = 4
            s.meters = 12
            s.recordControls = true
            s.folderPrefix = "chargecontrol-failover"
            self.station = s
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var rounds = 0
        public var kills = 0
        public var paymentsAnswered = 0
        public var paymentsCutOff = 0
        /// Seconds from each kill until every terminal was led by one live node.
        public var takeovers: [Double] = []
        /// Payments taken just before a kill whose meter was tripped, and was reconnected.
        public var reconnectionsChecked = 0
        /// Rounds whose last payment found its account not tripped (nothing to reconnect).
        public var reconnectionsNotNeeded = 0
        public var controlRequests = 0
        public var controlRequestsMatched = 0
        public var paymentsOnDisk = 0
        public var commandsByState: [String: Int] = [:]
        public var elapsedSeconds = 0.0
        public var problems: [String] = []

        public var description: String {
            let takeover = takeovers.isEmpty ? "none" : String(format: "max %.1f s, mean %.1f s", takeovers.max() ?? 0,
                                                                  takeovers.reduce(0, +) / Double(takeovers.count))
            return """
                failover rounds: \(rounds) rounds, \(kills) kill -9, \(Int(elapsedSeconds)) s
                  takeover after a kill (every terminal led by one live node): \(takeover) over \(takeovers.count) kills
                  payments: \(paymentsAnswered) answered, \(paymentsCutOff) cut off by a kill and posted again, \(paymentsOnDisk) on disk
                  a payment taken by another node right before its meter's node was killed: \(reconnectionsChecked) reconnected, \
                \(reconnectionsNotNeeded) found nothing to reconnect
                  meters: \(controlRequests) control requests, \(controlRequestsMatched) matched to their command
                  commands at the end: \(sorted(commandsByState))
                  problems: \(problems.isEmpty ? "none" : "\n    " + problems.joined(separator: "\n    "))
                """
        }
    }

    /// Runs the rounds; the first node's station runs the simulator.
    public static func run(_ options: Options) async throws -> Report {
        try await HarnessStation.with("failover-n0", nodeOptions(options, 0), keep: { !$0.problems.isEmpty }) { first in
            var nodes = [first]
            do {
                for index in 1..<max(2, options.nodes) {
                    let node = try HarnessStation(name: "failover-n\(index)", options: nodeOptions(options, index))
                    node.shareSimulator(of: first)
                    nodes.append(node)
                }
                let report = try await run(options, nodes: nodes)
                for node in nodes.dropFirst() {
                    await node.shutdown()
                    if report.problems.isEmpty { node.removeFolder() } else { print("[\(node.name)] files kept in \(node.folder.path)") }
                }
                return report
            } catch {
                for node in nodes.dropFirst() {
                    print("[\(node.name)] \(node.diagnostics())\n[\(node.name)] files kept in \(node.folder.path)")
                    await node.shutdown()
                }
                throw error
            }
        }
    }

    static func nodeOptions(_ options: Options, _ index: Int) -> StationOptions {
        var o = options.station
        o.extraConfig += "\n[cluster]\nnode = \"n\(index)\"\nlease = \"\(options.leaseSeconds)s\"\n"
        return o
    }

    static func run(_ options: Options, nodes: [HarnessStation]) async throws -> Report {
        let started = ContinuousClock.now
        let zone = TimeZone(identifier: "Asia/Shanghai") ?? .current
        let first = nodes[0]
        var report = Report()
        let accounts = (1...options.accounts).map { (id: "F\($0)", meter: $0) }
        try await first.provisionTerminals()
        for (index, account) in accounts.enumerated() {
            try await first.addAccount(account.id, meter: account.meter, opening: "\(5 + 2 * index).00")
        }
        for node in nodes.dropFirst() { try await node.startDaemon() }
        var live = Set(nodes.indices)
        let cycle = Double(options.leaseSeconds) + 2 + 2  // lease + one collection cycle (2 s) + slack
        try await settled(nodes, live: live, within: 30)
        try await first.eventually("every account read at least once", within: 60) { () async throws -> Bool? in
            for account in accounts where try await first.account(account.id)["last_reading_at"]?.string == nil { return nil }
            return true
        }
        var random = SplitMix64(seed: options.seed)
        var confirmed: [String: HTTPAnswer] = [:]
        var meterSide = MeterSideCheck()
        var senders = SenderCheck()
        var receiptsSeen = 0
        for round in 1...options.rounds {
            let killAfter = Duration.milliseconds(Int.random(in: options.killAfterMilliseconds, using: &random))
            let order = Array(live).sorted()
            let victim = order[Int(random.next() % UInt64(order.count))]
            let survivors = order.filter { $0 != victim }
            // The load pays two accounts of three; the third on each terminal runs dry and stays
            // tripped, for the last payment to reconnect.
            let paid = accounts.filter { $0.meter % 3 != 0 }.map(\.id)
            let plans = (0..<options.paymentClients).map { client in
                StationLoad.plan(2000, prefix: "R\(round)-C\(client)", accounts: paid, random: &random)
            }
            // The load runs through the kill: payments posted to the victim then are cut off.
            let killed = StopFlag()
            defer { killed.set() }
            async let load = post(plans, to: order.map { nodes[$0] }, stop: killed)
            try? await Task.sleep(for: killAfter)
            // The last payment: taken by a survivor for an account on one of the victim's terminals,
            // then the victim dies at once.
            let payer = nodes[survivors[0]]
            let leases = try await clusterLeases(payer)
            let victimTerminals = Set(leases["n\(victim)"] ?? [])
            let onVictim = accounts.filter { victimTerminals.contains("T\(first.terminal(ofMeter: $0.meter))") }
            var tripped: (id: String, meter: Int)?
            var owed: Int64 = 0
            for account in onVictim {
                // Tripped, and the meter's relay open: a trip decided but not sent yet (the
                // payment supersedes it) leaves nothing to reconnect.
                let view = try await payer.account(account.id)
                guard view["state"]?.string == "tripped", try await first.simMeter(account.meter)["relay"]?.string == "open" else { continue }
                tripped = account
                owed = max(0, -(view["balance_micro_yuan"]?.int64 ?? 0))
                break
            }
            let last = tripped ?? onVictim.first
            var lastPaid: HTTPAnswer?
            var commandsBefore: Int64 = 0
            if let last {
                commandsBefore = try await payer.commands(last.id).compactMap { $0["id"]?.int64 }.max() ?? 0
                // Enough to bring it 40 yuan above zero: the account is to be reconnected.
                let amount = StationLoad.yuan(cents: Int(owed / 10_000) + 4_000)
                let answer = try await payer.pay("R\(round)-last", account: last.id, amount: amount)
                if answer.status == 201 { confirmed["R\(round)-last"] = answer; lastPaid = answer } else {
                    report.problems.append("round \(round): the last payment answered \(answer)")
                }
            }
            await nodes[victim].killDaemon()
            let killedAt = ContinuousClock.now
            live.remove(victim)
            report.kills += 1
            try? await Task.sleep(for: .milliseconds(300))
            killed.set()
            let posted = await load

            let outcome = PostedPayment.sort(posted)
            for (p, answer) in outcome.answered { confirmed[p.order] = answer }
            report.problems += outcome.refused.map { "round \(round): \($0)" }
            report.paymentsAnswered += outcome.answered.count
            report.paymentsCutOff += outcome.cutOff.count
            for p in outcome.cutOff {
                let again = try await payer.pay(p.order, account: p.account, amount: p.amount)
                if again.status == 201 || again.status == 200 { confirmed[p.order] = again } else {
                    report.problems.append("round \(round): \(p.order) posted again: \(again)")
                }
            }

            // Every terminal led by one live node again, within the lease and a cycle.
            do {
                try await settled(nodes, live: live, within: cycle)
                report.takeovers.append((ContinuousClock.now - killedAt) / .seconds(1))
            } catch {
                report.problems.append("round \(round): terminals not led by one live node \(cycle) s after n\(victim) was killed: \(error)")
                try await settled(nodes, live: live, within: 30)
            }
            // The payment right before the kill reconnects its meter, sent by the terminal's new node.
            if let last, tripped != nil, lastPaid != nil {
                do {
                    try await payer.eventually("\(last.id)'s allow-close acknowledged after n\(victim) died", within: cycle + 5) {
                        try await payer.commands(last.id).contains {
                            ($0["id"]?.int64 ?? 0) > commandsBefore && $0["kind"]?.string == "allow_close"
                                && $0["state"]?.string == "acknowledged"
                        } ? true : nil
                    }
                    report.reconnectionsChecked += 1
                    // The customer closes the armed relay: the account runs dry and trips again.
                    try await first.changeMeter(last.meter, #"{"press_button": true}"#)
                } catch {
                    report.problems.append("round \(round): \(last.id)'s payment did not reconnect meter \(last.meter) after n\(victim) died")
                }
            } else {
                report.reconnectionsNotNeeded += 1
            }

            let store = try await payer.openStationStore()
            let check = try await StationInvariants.check(store, confirmed: confirmed)
            report.problems += check.problems.map { "round \(round): \($0)" }
            let receipts = try await first.controlReceipts(from: receiptsSeen)
            receiptsSeen += receipts.count
            try await meterSide.check(receipts, store: store, zone: zone)
            senders.check(receipts) { "T\(first.terminal(ofMeter: Int($0) ?? 0))" }
            try store.close()

            // The killed node starts again and gets its share back.
            try await nodes[victim].startDaemon()
            live.insert(victim)
            try await settled(nodes, live: live, within: 30, everyNodeLeases: true)
            options.log("[failover] round \(round)/\(options.rounds): n\(victim) killed after \(killAfter) with "
                + "\(victimTerminals.sorted().joined(separator: " ")), led again after "
                + String(format: "%.1f s", report.takeovers.last ?? -1) + ", problems so far \(report.problems.count + meterSide.problems.count + senders.problems.count)")
            report.rounds = round
        }

        // The end: no load; the queue drains and everything holds.
        let drained = try await first.eventually("the command queue drained", within: options.settleSeconds) { () async throws -> StationCheck? in
            let store = try await first.openStationStore()
            defer { try? store.close() }
            let check = try await StationInvariants.check(store, confirmed: confirmed)
            return check.unfinished == 0 ? check : nil
        }
        report.problems += drained.problems.map { "at the end: \($0)" }
        let store = try await first.openStationStore()
        try await meterSide.check(try await first.controlReceipts(from: receiptsSeen), store: store, zone: zone)
        try store.close()
        report.problems += meterSide.problems + senders.problems
        report.paymentsOnDisk = drained.paymentsOnDisk
        report.commandsByState = drained.commandsByState
        report.controlRequests = meterSide.receipts
        report.controlRequestsMatched = meterSide.matched
        report.elapsedSeconds = seconds(since: started)
        return report
    }

    /// The payment clients, client `i` posting to `nodes[i % count]`, until `stop`.
    static func post(_ plans: [[PlannedPayment]], to nodes: [HarnessStation], stop: StopFlag) async -> [PostedPayment] {
        await withTaskGroup(of: [PostedPayment].self) { group in
            for (client, plan) in plans.enumerated() {
                let node = nodes[client % nodes.count]
                group.addTask { await StationLoad.post(plan, to: node, topUp: true, stop: { stop.isSet }) }
            }
            var all: [PostedPayment] = []
            for await posted in group { all += posted }
            return all
        }
    }

    /// Each live node's leased terminals, as `node` answers `GET /v1/cluster`.
    public static func clusterLeases(_ node: HarnessStation) async throws -> [String: [String]] {
        let answer = try await node.call("GET", "/v1/cluster", token: node.viewerToken)
        guard answer.status == 200, let json = answer.json else { throw HarnessFailure("GET /v1/cluster: \(answer)") }
        var leases: [String: [String]] = [:]
        for entry in json["nodes"]?.array ?? [] where entry["live"]?.bool == true {
            leases[entry["node"]?.string ?? "?"] = entry["terminals"]?.array.compactMap(\.string) ?? []
        }
        return leases
    }

    /// Waits until every terminal is leased by exactly one of the `live` nodes (and, with
    /// `everyNodeLeases`, each of them leases at least one), as a live node answers.
    static func settled(_ nodes: [HarnessStation], live: Set<Int>, within seconds: Double, everyNodeLeases: Bool = false) async throws {
        guard let asker = live.min().map({ nodes[$0] }) else { return }
        let terminals = Set(asker.terminalPorts.indices.map { "T\($0)" })
        let names = Set(live.map { "n\($0)" })
        try await asker.eventually("every terminal led by exactly one live node", within: seconds) { () async throws -> Bool? in
            let leases = try await clusterLeases(asker)
            let held = leases.filter { names.contains($0.key) }.flatMap(\.value)
            guard held.count == terminals.count, Set(held) == terminals else { return nil }
            if everyNodeLeases, names.contains(where: { (leases[$0] ?? []).isEmpty }) { return nil }
            return true
        }
    }
}

/// Two senders on one terminal, seen from the meters: each terminal's control requests must come
/// on one connection at a time (numbers only grow: a new node, or a line opened again, connects
/// anew); a request on an older connection after a newer one began is two nodes sending at once.
struct SenderCheck: Sendable {
    var latest: [String: Int] = [:]
    var problems: [String] = []

    mutating func check(_ receipts: [ControlReceiptView], terminal: (String) -> String) {
        for r in receipts where r.connection > 0 {
            let t = terminal(r.address)
            if let newest = latest[t], r.connection < newest {
                problems.append("terminal \(t): \(r.command) for meter \(r.address) came on connection \(r.connection) after connection "
                    + "\(newest) had begun sending (two senders at once)")
            }
            latest[t] = max(latest[t] ?? 0, r.connection)
        }
    }
}
