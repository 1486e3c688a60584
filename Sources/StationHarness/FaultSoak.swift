import Foundation
import SeededRandom
import Store

/// The fault soak (issue 6, part 2): `meter-sim` drops 20 % of the requests, garbles 5 % of the
/// answers and refuses 5 %, a tenth of the meters go off the bus for a while; payments and
/// operators keep the station busy. At the end (load stopped, meters back) nothing may stay
/// pending or in flight, every command must have ended (acknowledged, superseded, cancelled or
/// in review) by its validity deadline, the invariants of the crash rounds hold, and the
/// daemon's resident memory must have stayed flat.
public enum FaultSoak {
    public struct Options: Sendable {
        public var seconds: Double = 60
        public var seed: UInt64 = 0x736F_616B
        public var meters = 40
        /// Payments per second, all clients together (about).
        public var paymentsPerSecond = 20
        /// How often the daemon's VmRSS is read.
        public var sampleEvery: Duration = .seconds(2)
        /// Judge memory flatness strictly only for runs at least this long (a one-minute run is
        /// mostly warm-up: its samples are printed and only bounded loosely).
        public var strictMemorySeconds: Double = 300
        /// The loose bound for short runs.
        public var looseMemoryBound = 1 << 30
        /// How long the end waits beyond the last open command's deadline.
        public var settleGraceSeconds: Double = 60
        /// A command may end this much after its deadline (the attempt that finds the deadline
        /// gone, then one request timeout and the read-back).
        public var deadlineSlackSeconds: Int64 = 15
        /// The dispatch deadline (`[dispatch] deadline`): a command must end within it.
        public var deadlineSeconds: Int64 = 120 {
            didSet { station.deadline = "\(deadlineSeconds)s" }
        }
        public var station: StationOptions
        public var log: @Sendable (String) -> Void = progressLine

        /// The faults of the issue; dispatch with a short deadline so "ended by its deadline" is
        /// seen within the run.
        public init(station: StationOptions = StationOptions()) {
            var s = station
            s.terminals = 4
            s.meters = 40
            s.loadKW = "60"
            s.simExtra = ["--drop", "0.2", "--garble", "0.05", "--nak", "0.05", "--delay-ms", "5-30", "--auto-close"]
            s.requestTimeout = "1s"
            s.maxAttempts = 8
            s.backoffInitial = "200ms"
            s.backoffMax = "2s"
            s.deadline = "\(deadlineSeconds)s"
            s.recordControls = true
            s.logLevel = "notice"
            s.clockCheck = "5s"  // clock corrections under faults (issue 13)
            self.station = s
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var seconds = 0.0
        public var meters = 0
        public var paymentsAnswered = 0
        public var operators = OperatorActions()
        public var offlineMeters: [Int] = []
        public var commandsByState: [String: Int] = [:]
        public var openReviewItems: [String: Int] = [:]
        public var closedReviewItems: [String: Int] = [:]
        public var retries = 0
        /// Commands that ended later than their deadline + slack.
        public var lateCommands = 0
        public var controlRequests = 0
        public var controlRequestsByFate: [String: Int] = [:]
        /// Acknowledged parameter writes compared with what the meters show at the end.
        public var writesCompared = 0
        /// Meters still off at the end whose clock the station had not read since (a faulty bus).
        public var clocksUnread = 0
        public var memory = ResidentMemory()
        public var memoryJudgedStrictly = false
        public var settleSeconds = 0.0
        public var problems: [String] = []

        public var description: String {
            """
            fault soak: \(String(format: "%.0f", seconds)) s of load, \(meters) meters (\(offlineMeters.count) off the bus for a while), \
            settled in \(String(format: "%.0f", settleSeconds)) s
              payments answered: \(paymentsAnswered)
              commands by final state: \(sorted(commandsByState)); \(lateCommands) ended after deadline + slack
              review items: open \(sorted(openReviewItems)), closed \(sorted(closedReviewItems)); retries \(retries)
              operators: \(operators)
              meters received \(controlRequests) control requests: \(sorted(controlRequestsByFate))
              meter management: \(writesCompared) acknowledged writes shown by their meters; clocks within 60 s, in review, or \(clocksUnread) not read since their drift
              chargecontrold VmRSS: \(memory)\(memoryJudgedStrictly ? "" : " (short run: bounded loosely, not judged)")
              problems: \(problems.isEmpty ? "none" : "\(problems.count)\n    " + problems.prefix(40).joined(separator: "\n    "))
            """
        }
    }

    public static func run(_ options: Options) async throws -> Report {
        var station = options.station
        station.meters = options.meters
        return try await HarnessStation.with("soak", station, keep: { !$0.problems.isEmpty }) { s in
            try await run(options, on: s)
        }
    }

    static func run(_ options: Options, on s: HarnessStation) async throws -> Report {
        let zone = TimeZone(identifier: "Asia/Shanghai") ?? .current
        var report = Report()
        report.meters = options.meters
        let accounts = (1...options.meters).map { (id: "S\($0)", meter: $0) }
        try await s.provisionTerminals()
        for account in accounts {
            try await s.addAccount(account.id, meter: account.meter, opening: "\(20 + account.meter % 7 * 5).00")
        }
        var random = SplitMix64(seed: options.seed)
        report.offlineMeters = Array(accounts.map(\.meter).shuffled(using: &random).prefix(max(1, options.meters / 10))).sorted()
        guard let daemon = s.daemon else { throw HarnessFailure("no daemon") }

        let started = ContinuousClock.now
        let loadEnds = started + .seconds(options.seconds)
        let stop = StopFlag()
        let clients = 2
        let pause = Duration.milliseconds(max(1, 1000 * clients / max(1, options.paymentsPerSecond)))
        let plans = (0..<clients).map { client in
            StationLoad.plan(Int(options.seconds) * options.paymentsPerSecond + 100, prefix: "SOAK-C\(client)",
                             accounts: accounts.map(\.id), random: &random)
        }
        let operatorSeed = random.next()
        let log = options.log
        let offline = report.offlineMeters
        async let memory: ResidentMemory = {
            var memory = ResidentMemory()
            while !stop.isSet {
                memory.add(seconds: seconds(since: started), bytes: daemon.residentBytes)
                if memory.samples.count % 30 == 1 {
                    // SQLite's own share (page caches, statements), to tell a cache filling from a leak.
                    let sqlite = (try? await s.metric("chargecontrol_sqlite_memory_bytes")).map { ", SQLite \(mib(Int($0)))" } ?? ""
                    log("[soak] \(Int(seconds(since: started))) s: chargecontrold VmRSS \(mib(daemon.residentBytes))\(sqlite)")
                }
                try? await Task.sleep(for: options.sampleEvery)
            }
            return memory
        }()
        let (posted, actions) = await withTaskGroup(of: ([PostedPayment], OperatorActions).self) { group in
            for plan in plans {
                group.addTask { (await StationLoad.post(plan, to: s, pause: pause) { stop.isSet }, OperatorActions()) }
            }
            group.addTask { ([], await StationLoad.operate(s, accounts: accounts, seed: operatorSeed, every: .seconds(1)) { stop.isSet }) }
            group.addTask {
                var actions = OperatorActions()
                actions.clockDrifts = await StationLoad.driftClocks(s, meters: accounts.map(\.meter), seed: operatorSeed &+ 1,
                                                                    every: .seconds(2)) { stop.isSet }
                return ([], actions)
            }
            group.addTask {
                // A tenth of the meters off the bus from 20 % to 50 % of the run.
                var actions = OperatorActions()
                try? await Task.sleep(for: .seconds(options.seconds * 0.2))
                for meter in offline where (try? await s.changeMeter(meter, #"{"offline": true}"#)) != nil { actions.meterOutages += 1 }
                try? await Task.sleep(for: .seconds(options.seconds * 0.3))
                for meter in offline { _ = try? await s.changeMeter(meter, #"{"offline": false}"#) }
                return ([], actions)
            }
            group.addTask {
                try? await Task.sleep(until: loadEnds)
                stop.set()
                return ([], OperatorActions())
            }
            return await StationLoad.gather(&group)
        }
        report.seconds = seconds(since: started)
        report.operators = actions
        var confirmed: [String: HTTPAnswer] = [:]
        for p in posted {
            guard let answer = p.answer, answer.status == 201 || answer.status == 200 else {
                report.problems.append("payment \(p.payment.order): \(p.answer.map(\.description) ?? "no answer") (the daemon must stay up)")
                continue
            }
            confirmed[p.payment.order] = answer
        }
        report.paymentsAnswered = confirmed.count
        if daemon.endedOnItsOwn { throw HarnessFailure("chargecontrold ended during the soak (\(daemon.exitDescription))") }

        // The end: no load, every meter on the bus, faults still on. Wait until nothing is
        // pending or in flight, at most until the last open command's deadline + grace.
        let settleStarted = ContinuousClock.now
        for meter in offline { try await s.changeMeter(meter, #"{"offline": false}"#) }
        var check = try await StationInvariants.check(try s.openStore(), confirmed: confirmed)
        let settleLimit = settleStarted + .seconds(Double(options.deadlineSeconds) + 2 * options.settleGraceSeconds)
        while check.unfinished > 0 {
            let latest = try await s.openStore().latestOpenCommandDeadline()
            if let latest, Date() > latest.addingTimeInterval(options.settleGraceSeconds) || ContinuousClock.now > settleLimit {
                report.problems.append("\(check.unfinished) commands still pending or in flight \(Int(options.settleGraceSeconds)) s "
                    + "after the last deadline: \(sorted(check.commandsByState))")
                break
            }
            try await Task.sleep(for: .seconds(1))
            check = try await StationInvariants.check(try s.openStore(), confirmed: confirmed)
        }
        let final = await memory
        report.settleSeconds = seconds(since: settleStarted)
        report.problems += check.problems
        report.commandsByState = check.commandsByState
        report.openReviewItems = check.openReviewItems
        report.closedReviewItems = check.closedReviewItems
        report.retries = check.retries
        let late = try await lateCommands(try s.openStore(), deadlineSeconds: options.deadlineSeconds,
                                          slackSeconds: options.deadlineSlackSeconds)
        report.lateCommands = late.count
        report.problems += late.prefix(20)

        let receipts = try await s.controlReceipts()
        var meterSide = MeterSideCheck()
        try await meterSide.check(receipts, store: try s.openStore(), zone: zone)
        report.problems += meterSide.problems
        report.controlRequests = receipts.count
        for r in receipts { report.controlRequestsByFate[r.fate, default: 0] += 1 }
        let store = try s.openStore()
        let written = try await MeterManagementCheck.parameters(s, store: store, accounts: accounts)
        report.problems += written.problems
        report.writesCompared = written.compared
        let clocks = try await MeterManagementCheck.clocks(s, store: store, accounts: accounts, seconds: 60)
        report.problems += clocks.problems
        report.clocksUnread = clocks.unseen

        report.memory = final
        report.memoryJudgedStrictly = options.seconds >= options.strictMemorySeconds
        if report.memoryJudgedStrictly {
            if let verdict = final.verdict(), !verdict.isFlat {
                report.problems.append("chargecontrold's resident memory grew: \(final)")
            } else if final.verdict() == nil {
                report.problems.append("too few memory samples to judge: \(final.samples.count)")
            }
        } else if final.peak > options.looseMemoryBound {
            report.problems.append("chargecontrold's resident memory peaked at \(mib(final.peak))")
        }
        return report
    }

    /// Commands that did not end (acknowledged, superseded, cancelled or in review) within
    /// `deadline` + slack of being queued, or of an operator's retry (which gives a new deadline).
    static func lateCommands(_ store: StationStore, deadlineSeconds: Int64, slackSeconds: Int64) async throws -> [String] {
        let history = try await store.commandHistory()
        let ends: Set<String> = ["command_acknowledged", "command_superseded", "command_cancelled", "command_review"]
        let kinds = Set(history.commands.map(\.kind))
        var started: [Int64: Int64] = [:]
        var late: [String] = []
        let now = StoredInstant.millis(Date())
        let allowed = (deadlineSeconds + slackSeconds) * 1000
        for entry in history.audit {
            guard let id = entry.commandID else { continue }
            let (at, event) = (entry.atMillis, entry.event)
            if kinds.contains(event) || (event == "command_pending" && entry.detail.contains("operator retry")) {
                started[id] = at
            } else if ends.contains(event), let start = started.removeValue(forKey: id), at - start > allowed {
                late.append("command \(id) ended (\(event)) \((at - start) / 1000) s after it was queued or retried")
            }
        }
        for (id, start) in started where now - start > allowed {
            late.append("command \(id) still open \((now - start) / 1000) s after it was queued or retried")
        }
        return late
    }
}
