import Foundation
import SeededRandom
import Store

/// Crash rounds (issue 6, part 1): a mixed load on a real `meter-sim` and `chargecontrold`, the
/// daemon SIGKILLed at a seeded random moment and restarted on the same file, and after every
/// round the checks of `StationInvariants` and `MeterSideCheck`, the in-flight commands
/// recovered, and every answered payment posted again answering 200 with the same body.
public enum CrashRounds {
    public struct Options: Sendable {
        public var rounds = 10
        public var seed: UInt64 = 0x6B69_6C6C_2D39
        public var accounts = 10
        public var paymentClients = 3
        /// The kill comes this many milliseconds into the round.
        public var killAfterMilliseconds = 600...2600
        /// How long the end waits for the queue to drain (pending and in flight → none).
        public var settleSeconds: Double = 180
        public var station: StationOptions
        /// Where progress lines go.
        public var log: @Sendable (String) -> Void = progressLine

        /// Fast consumption against small payments and top-ups of accounts below zero, so alarms,
        /// trips and reconnections keep coming while the daemon is killed; slow meters (some commands on the wire at the kill), a few
        /// refusals (job review), every control request logged by the meters.
        public init(station: StationOptions = StationOptions()) {
            var s = station
            s.loadKW = "60"
            s.simExtra = ["--delay-ms", "20-60", "--auto-close", "--nak", "0.03"]
            s.requestTimeout = "1s"
            s.recordControls = true
            // Clocks read every few seconds: corrections in the queue at the kills (issue 13).
            s.clockCheck = "3s"
            self.station = s
        }
    }

    /// What the rounds did and found.
    public struct Report: Sendable, CustomStringConvertible {
        public var rounds = 0
        public var kills = 0
        /// Payments answered 201/200 before a kill.
        public var paymentsAnswered = 0
        /// Payments cut off by a kill (no answer), posted again after the restart.
        public var paymentsCutOff = 0
        /// Answered payments posted again after the restart (each 200, same body, when no problem says otherwise).
        public var repostsChecked = 0
        public var paymentsOnDisk = 0
        /// Commands in flight on the dead daemon's file, summed over the kills; all recovered by the restart.
        public var inFlightAtKills = 0
        public var operators = OperatorActions()
        /// At the end, after the queue drained.
        public var commandsByState: [String: Int] = [:]
        public var openReviewItems: [String: Int] = [:]
        public var closedReviewItems: [String: Int] = [:]
        public var retries = 0
        public var controlRequests = 0
        public var controlRequestsMatched = 0
        public var tripsAfterPayment = 0
        /// Acknowledged parameter writes compared with what the meters show at the end.
        public var writesCompared = 0
        /// Meters still off at the end whose clock the station had not read since (a faulty bus).
        public var clocksUnread = 0
        public var elapsedSeconds = 0.0
        /// Everything found wrong, labelled with the round.
        public var problems: [String] = []

        public var description: String {
            """
            crash rounds: \(rounds) rounds, \(kills) kill -9, \(String(format: "%.0f", elapsedSeconds)) s
              payments: \(paymentsAnswered) answered before a kill, \(paymentsCutOff) cut off and posted again, \
            \(repostsChecked) answered ones posted again (200, same body), \(paymentsOnDisk) on disk
              commands at the end: \(sorted(commandsByState)); \(inFlightAtKills) in flight at a kill, all recovered
              review: open \(sorted(openReviewItems)), closed \(sorted(closedReviewItems)); retries \(retries)
              operators: \(operators)
              meters: \(controlRequests) control requests received, \(controlRequestsMatched) matched to their command, \
            none after its acknowledgement; \(tripsAfterPayment) trips followed a payment, none made unnecessary by it
              meter management: \(writesCompared) acknowledged writes shown by their meters; clocks within 60 s, in review, or \(clocksUnread) not read since their drift
              problems: \(problems.isEmpty ? "none" : "\(problems.count)\n    " + problems.prefix(40).joined(separator: "\n    "))
            """
        }
    }

    /// Runs the rounds on a fresh station and returns the report; throws only when the harness
    /// itself cannot go on (a process that will not start, a wait that times out).
    public static func run(_ options: Options) async throws -> Report {
        try await HarnessStation.with("crash", options.station, keep: { !$0.problems.isEmpty }) { s in
            try await run(options, on: s)
        }
    }

    static func run(_ options: Options, on s: HarnessStation) async throws -> Report {
        let started = ContinuousClock.now
        let zone = TimeZone(identifier: "Asia/Shanghai") ?? .current
        var report = Report()
        let accounts = (1...options.accounts).map { (id: "K\($0)", meter: $0) }
        try await s.provisionTerminals()
        for (index, account) in accounts.enumerated() {
            try await s.addAccount(account.id, meter: account.meter, opening: "\(10 + 3 * index).00")
        }
        try await s.eventually("every account read at least once", within: 60) { () async throws -> Bool? in
            for account in accounts where try await s.account(account.id)["last_reading_at"]?.string == nil { return nil }
            return true
        }
        var random = SplitMix64(seed: options.seed)
        var confirmed: [String: HTTPAnswer] = [:]
        var meterSide = MeterSideCheck()
        var receiptsSeen = 0
        func checkMeters() async throws {
            let receipts = try await s.controlReceipts(from: receiptsSeen)
            receiptsSeen += receipts.count
            try await meterSide.check(receipts, store: try s.openStore(), zone: zone)
        }
        for round in 1...options.rounds {
            let plans = (0..<options.paymentClients).map { client in
                StationLoad.plan(3000, prefix: "R\(round)-C\(client)", accounts: accounts.map(\.id), random: &random)
            }
            let killAfter = Duration.milliseconds(Int.random(in: options.killAfterMilliseconds, using: &random))
            let operatorSeed = random.next(), meterSeed = random.next()
            let killed = StopFlag()
            let (posted, actions) = await withTaskGroup(of: ([PostedPayment], OperatorActions).self) { group in
                for plan in plans { group.addTask { (await StationLoad.post(plan, to: s, topUp: true), OperatorActions()) } }
                group.addTask { ([], await StationLoad.operate(s, accounts: accounts, seed: operatorSeed)) }
                group.addTask {
                    var actions = OperatorActions()
                    actions.meterOutages = await StationLoad.unplugMeters(s, meters: accounts.map(\.meter), seed: meterSeed,
                                                                          outage: .milliseconds(400)) { killed.isSet }
                    return ([], actions)
                }
                group.addTask {
                    var actions = OperatorActions()
                    actions.clockDrifts = await StationLoad.driftClocks(s, meters: accounts.map(\.meter), seed: meterSeed &+ 1,
                                                                        every: .milliseconds(700)) { killed.isSet }
                    return ([], actions)
                }
                group.addTask {
                    try? await Task.sleep(for: killAfter)
                    await s.killDaemon()
                    killed.set()
                    return ([], OperatorActions())
                }
                return await StationLoad.gather(&group)
            }
            report.kills += 1
            report.operators.add(actions)
            let outcome = PostedPayment.sort(posted)
            let (answered, cutOff) = (outcome.answered, outcome.cutOff)
            for (p, answer) in answered { confirmed[p.order] = answer }
            report.problems += outcome.refused.map { "round \(round): \($0)" }
            report.paymentsAnswered += answered.count
            report.paymentsCutOff += cutOff.count

            // The daemon is dead: look at the file it left, and at what the meters received.
            let dead = try await StationInvariants.check(try s.openStore(), confirmed: confirmed)
            report.problems += dead.problems.map { "round \(round), after the kill: \($0)" }
            report.inFlightAtKills += dead.inFlight.count
            try await checkMeters()

            try await s.restartDaemon()
            if !dead.inFlight.isEmpty {
                let recovered = try await StationInvariants.recoveredCommands(try s.openStore())
                let lost = Set(dead.inFlight).subtracting(recovered)
                if !lost.isEmpty { report.problems.append("round \(round): in flight at the kill, not recovered: \(lost.sorted())") }
            }
            // Posting again: the same answer for every answered order; the cut-off ones are
            // recorded now, or were before the kill — once.
            for (p, answer) in answered.sorted(by: { $0.key.order < $1.key.order }) {
                let again = try await s.pay(p.order, account: p.account, amount: p.amount)
                report.repostsChecked += 1
                if again.status != 200 || again.body != answer.body {
                    report.problems.append("round \(round): \(p.order) again: \(again) (first: \(answer))")
                }
            }
            for p in cutOff {
                let again = try await s.pay(p.order, account: p.account, amount: p.amount)
                if again.status == 201 || again.status == 200 {
                    confirmed[p.order] = again
                } else {
                    report.problems.append("round \(round): \(p.order) after the restart: \(again)")
                }
            }
            options.log("[crash] round \(round)/\(options.rounds): killed after \(killAfter), \(answered.count) payments answered, "
                + "\(cutOff.count) cut off, \(dead.inFlight.count) commands in flight, commands \(sorted(dead.commandsByState)), "
                + "problems so far \(report.problems.count)")
            report.rounds = round
        }

        // The end: meters on the bus, no load; the queue must drain (every command acknowledged,
        // superseded, cancelled or in review), and everything holds on the live file.
        for account in accounts { try await s.changeMeter(account.meter, #"{"offline": false}"#) }
        let drained = try await s.eventually("the command queue drained", within: options.settleSeconds) { () async throws -> StationCheck? in
            let check = try await StationInvariants.check(try s.openStore(), confirmed: confirmed)
            return check.unfinished == 0 ? check : nil
        }
        report.problems += drained.problems.map { "at the end: \($0)" }
        try await checkMeters()
        let store = try s.openStore()
        let written = try await MeterManagementCheck.parameters(s, store: store, accounts: accounts)
        report.problems += written.problems.map { "at the end: \($0)" }
        report.writesCompared = written.compared
        let clocks = try await MeterManagementCheck.clocks(s, store: store, accounts: accounts, seconds: 60)
        report.problems += clocks.problems
        report.clocksUnread = clocks.unseen
        report.problems += meterSide.problems
        report.paymentsOnDisk = drained.paymentsOnDisk
        report.commandsByState = drained.commandsByState
        report.openReviewItems = drained.openReviewItems
        report.closedReviewItems = drained.closedReviewItems
        report.retries = drained.retries
        report.controlRequests = meterSide.receipts
        report.controlRequestsMatched = meterSide.matched
        report.tripsAfterPayment = meterSide.tripsAfterPayment
        report.elapsedSeconds = seconds(since: started)
        return report
    }
}
