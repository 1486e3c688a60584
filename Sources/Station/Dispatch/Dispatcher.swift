import ChargeControl
import DLT645
import DLT645NIO
import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization
import Tariffs

/// Takes due commands from the durable queue and carries them out on the meters over DL/T 645
/// 1CH (DESIGN.md, "Commands").
///
/// - At most one command per meter at a time, in the meter's queue order (reconnections first,
///   then oldest first); different meters go concurrently, at most `maxInFlight` at once. The
///   terminal line serialises each terminal's bus and puts control requests ahead of reads.
/// - Just before sending, the account is re-evaluated in a store transaction: a command the
///   policy no longer plans is superseded (a trip is never sent to a customer who has just paid);
///   a trip whose window has closed again waits for the next one.
/// - The 1CH request carries the configured password and operator code and the command's
///   validity deadline (N3…N8, station time zone).
/// - After 9CH, relay commands are confirmed by reading status word 3 (closed, armed and open
///   told apart); the meter state is stored with the acknowledgement. A relay the word shows
///   contradicting the command is a failed attempt, never an acknowledgement.
/// - Parameter writes (14H) and clock settings (08H, or 14H of date and time) count as done only
///   when reading the value or the clock back shows it (`ParameterWriteAttempt`, `ClockSetAttempt`).
/// - Line failures retry with exponential back-off and jitter; refusals (wrong password,
///   keep-power, expired deadline) go to job review at once, as do commands out of attempts or
///   past their deadline.
///
/// ```swift
/// let dispatcher = Dispatcher(core: core, lines: lines, policy: policy, logger: logger)
/// group.addTask { await dispatcher.run() }   // returns when the task is cancelled
/// ```
public final class Dispatcher: Sendable {
    public let policy: DispatchPolicy
    private let core: StationCore
    private let lines: TerminalLines
    private let logger: Logger
    private let random: @Sendable () -> Double
    /// Told of every acknowledged command (the payment → allow-close latency metric).
    private let onAcknowledged: CommandAcknowledgedObserver?
    private let pollInterval: Duration
    private let maxInFlight: Int
    private let statsBox = DispatcherStatsBox()
    /// Meters with a command being dispatched by this process.
    private let busyMeters = Mutex<Set<String>>([])
    /// A graceful shutdown asked it to stop claiming commands.
    private let stopping = Mutex(false)

    /// - Parameters:
    ///   - core: the store, the clock (injected: tests step it), the evaluator for the re-check
    ///     and the doorbell rung when commands are queued.
    ///   - lines: the terminal lines shared with the collector.
    ///   - pollInterval: the longest sleep between two looks at the queue (a safety net: queueing
    ///     rings the doorbell, and the next due instant is known).
    ///   - maxInFlight: commands dispatched at once, across all meters.
    ///   - random: values in 0..<1 for the back-off jitter.
    ///   - onAcknowledged: called after each acknowledgement is stored.
    public init(core: StationCore, lines: TerminalLines, policy: DispatchPolicy, logger: Logger,
                pollInterval: Duration = .seconds(1), maxInFlight: Int = 1000,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                onAcknowledged: CommandAcknowledgedObserver? = nil) {
        self.onAcknowledged = onAcknowledged
        self.core = core
        self.lines = lines
        self.policy = policy
        self.logger = logger
        self.pollInterval = pollInterval
        self.maxInFlight = max(1, maxInFlight)
        self.random = random
    }

    /// The counters and the last heartbeat.
    public var stats: DispatcherStats { statsBox.snapshot }

    private var store: StationStore { core.store }
    private var clock: any StationClock { core.clock }

    /// Recovers commands a crash left in flight, then dispatches until the task is cancelled.
    /// Commands being sent when it is cancelled stay in flight if the store cannot be written any
    /// more; the next start puts them back (`recoverInFlight`).
    /// On a graceful shutdown it claims nothing more, lets the dispatches under way finish on the
    /// lines (which stop after it), and returns.
    public func run() async {
        await withGracefulShutdownHandler {
            await dispatchUntilStopped()
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
            self.core.dispatcherSignal.bump()
        }
    }

    private func dispatchUntilStopped() async {
        await recover()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled && !stopping.withLock({ $0 }) {
                // Read before looking: a command queued or a dispatch finished after this wakes the wait below.
                let seen = core.dispatcherSignal.generation
                let now = clock.now
                statsBox.update { $0.lastHeartbeat = now }
                var wake = now.adding(pollInterval)
                do {
                    for command in try await claimDue(at: now) {
                        group.addTask {
                            await self.dispatch(command)
                            self.release(command.meterAddress)
                        }
                    }
                    if let next = try await store.nextDueInstant(after: now) { wake = min(wake, next) }
                } catch {
                    if Task.isCancelled { break }
                    logger.error("cannot read the command queue", metadata: ["error": "\(error)"])
                }
                await core.dispatcherSignal.wait(since: seen) { [clock, wake] in try? await clock.sleep(until: wake) }
            }
        }
    }

    private func recover() async {
        while !Task.isCancelled {
            do {
                let n = try await store.recoverInFlight(at: clock.now)
                if n > 0 { logger.notice("commands left in flight put back to pending", metadata: ["count": "\(n)"]) }
                return
            } catch {
                logger.error("cannot recover commands left in flight", metadata: ["error": "\(error)"])
                try? await clock.sleep(until: clock.now.adding(pollInterval))
            }
        }
    }

    /// Due commands whose meters are free, the meters marked busy; within `maxInFlight`.
    private func claimDue(at now: Date) async throws -> [CommandRecord] {
        let busy = busyMeters.withLock { $0.count }
        guard busy < maxInFlight else { return [] }
        let (due, quarantined) = try await store.dispatchable(at: now, limit: maxInFlight)
        for (id, problem) in quarantined {
            logger.error("stored command cannot be read: moved to job review",
                         metadata: ["event": "review", "command_id": "\(id)", "error": "\(problem)"])
        }
        let claimed = busyMeters.withLock { meters -> [CommandRecord] in
            var out: [CommandRecord] = []
            for c in due where meters.count < maxInFlight && !meters.contains(c.meterAddress) {
                meters.insert(c.meterAddress)
                out.append(c)
            }
            return out
        }
        statsBox.update { $0.inFlight = busy + claimed.count }
        return claimed
    }

    private func release(_ meter: String) {
        let count = busyMeters.withLock { meters in
            meters.remove(meter)
            return meters.count
        }
        statsBox.update { $0.inFlight = count }
        core.dispatcherSignal.bump()
    }

    // MARK: One command

    /// What became of one attempt.
    private enum Resolution {
        /// The meter did it; its control state as now known (nil: a write, which leaves it as it is).
        case acknowledged(MeterState?, detail: String)
        case superseded(reason: String)
        case wait(until: Date, reason: String)
        case review(reason: String)
        case failed(DispatchFailure)
    }

    /// The command marked in flight and the account re-evaluated, in one transaction.
    private enum Claim: Sendable {
        /// Someone else moved the command on (it is no longer pending).
        case notPending
        case claimed(Result<Recheck, DispatchFailure>)
    }

    /// What the re-check before sending saw.
    private struct Recheck: Sendable {
        let now: Date
        let plan: ControlPlan
        let account: AccountRecord
    }

    /// Sends one command and records what became of it. The claim (in flight, with the re-check)
    /// and the outcome are one store write each; the store commits concurrent commands' writes
    /// together (group commit), each durable before the step that depends on it.
    private func dispatch(_ command: CommandRecord) async {
        var log = logger
        log[metadataKey: "account"] = "\(command.accountID)"
        log[metadataKey: "meter"] = "\(command.meterAddress)"
        log[metadataKey: "command_id"] = "\(command.id)"
        log[metadataKey: "kind"] = "\(command.kind.rawValue)"
        let recheck: Result<Recheck, DispatchFailure>
        do {
            switch try await claim(command) {
            case .notPending: return
            case .claimed(let result): recheck = result
            }
        } catch {
            log.error("cannot mark the command in flight", metadata: ["error": "\(error)"])
            return
        }
        let attempts = command.attempts + 1
        log[metadataKey: "attempt"] = "\(attempts)"
        let resolution: Resolution
        switch recheck {
        case .success(let seen): resolution = await attempt(command, recheck: seen, log: &log)
        case .failure(let failure): resolution = .failed(failure)
        }
        do {
            try await settle(command, resolution, attempts: attempts, log: log)
        } catch {
            log.error("cannot record the outcome of a command; it stays in flight until the next start",
                      metadata: ["error": "\(error)"])
        }
    }

    /// pending → in flight and the re-evaluation of the account, committed together. A failed
    /// re-evaluation is rolled back alone: the command stays in flight and fails this attempt.
    private func claim(_ command: CommandRecord) async throws -> Claim {
        let now = clock.now
        let evaluator = core.evaluator
        // A reconnection's steps go ahead of a batch of readings being committed.
        return try await store.transaction(reconnection: command.kind.isUrgent) { tx -> Claim in
            guard try tx.markInFlight(command.id, at: now) else { return .notPending }
            do {
                return .claimed(.success(try tx.savepoint {
                    let evaluation = try evaluator.reevaluate(account: command.accountID, at: now, in: tx)
                    return Recheck(now: now, plan: evaluation.plan, account: try tx.account(command.accountID))
                }))
            } catch {
                return .claimed(.failure(.recheckFailed("\(error)")))
            }
        }
    }

    /// Decides from the re-check, sends, reads back.
    private func attempt(_ command: CommandRecord, recheck: Recheck, log: inout Logger) async -> Resolution {
        let (now, plan, account) = (recheck.now, recheck.plan, recheck.account)
        log[metadataKey: "terminal"] = "\(account.terminalID)"
        switch ControlEffects.recheck(command.kind, meter: command.meterAddress, accountMeter: account.meterAddress,
                                      plan: plan, at: now, reason: command.reason,
                                      isProtected: ControlEffects.isProtected(account, rules: core.evaluator.rules)) {
        case .supersede(let reason): return .superseded(reason: reason)
        case .wait(let until, let reason): return .wait(until: until, reason: reason)
        case .send: break
        }
        guard now < command.deadline else {
            return .review(reason: "deadline passed before sending: valid until \(RFC3339.format(command.deadline, in: policy.timeZone))")
        }
        let address: MeterAddress
        let deadline: MeterDateTime
        do throws(DLT645Error) {
            address = try MeterAddress(command.meterAddress)
            deadline = try MeterDateTime(command.deadline, in: policy.timeZone)
        } catch {
            return .failed(.unsendable(error.description))
        }
        guard let line = lines.line(for: account.terminalID) else {
            return .failed(.noLine(terminal: account.terminalID))
        }
        switch command.kind {
        case .write:
            guard let setting = command.parameter else { return .failed(.unsendable("a write without identifier and value")) }
            statsBox.update { $0.sent += 1 }
            log.info("parameter write sent", metadata: ["event": "command_sent", "identifier": "\(setting.identifier)",
                                                        "value": "\(setting.value)"])
            switch await ParameterWriteAttempt.run(setting, to: address, on: line, policy: policy) {
            case .success(let detail): return .acknowledged(nil, detail: detail)
            case .failure(let failure): return .failed(failure)
            }
        case .clockBroadcast, .clockWrite:
            statsBox.update { $0.sent += 1 }
            log.info("clock setting sent", metadata: ["event": "command_sent"])
            switch await ClockSetAttempt.run(command.kind, to: address, on: line, policy: policy, clock: clock) {
            case .success(let detail):
                log.notice("meter clock set: \(detail)", metadata: ["event": "clock_set"])
                return .acknowledged(nil, detail: detail)
            case .failure(let failure): return .failed(failure)
            }
        default:
            break
        }
        guard let n1 = ControlEffects.remoteControlCommand(for: command.kind) else {
            return .failed(.unsendable("\(command.kind.rawValue) is not a 1CH command"))
        }
        let control = RemoteControl(password: policy.password, operatorCode: policy.operatorCode, command: n1, deadline: deadline)
        statsBox.update { $0.sent += 1 }
        log.info("command sent", metadata: ["event": "command_sent", "deadline": "\(deadline)"])
        let reply: Reply
        do throws(TerminalLineError) {
            reply = try await line.send(.remoteControl(address, control), priority: .control)
        } catch {
            return .failed(.line(error))
        }
        guard case .acknowledged(_, let function) = reply, function == .remoteControl else {
            return .failed(.unexpectedReply("\(reply.function)"))
        }
        let expected = account.meter.after(command.kind)
        guard ControlEffects.isRelayCommand(command.kind) else {
            return .acknowledged(expected, detail: "\(ControlEffects.summary(of: expected, for: command.kind)) (9CH)")
        }
        return await readBack(command.kind, expected: expected, address: address, line: line, log: log)
    }

    /// Reads status word 3 after a relay command. The meter has already said 9CH, so a failed
    /// read still acknowledges, with the expected state marked unconfirmed.
    private func readBack(_ kind: CommandKind, expected: MeterState, address: MeterAddress, line: TerminalLine,
                          log: Logger) async -> Resolution {
        let word: StatusWord3
        do {
            let reply = try await line.send(.read(address, .statusWord3), priority: .control)
            guard case .data(_, let identifier, let value, _) = reply, identifier == .statusWord3 else {
                throw DispatchFailure.unexpectedReply("\(reply.function)")
            }
            word = try StatusWord3(wireBytes: value)
        } catch {
            let failure = (error as? TerminalLineError).map(DispatchFailure.line) ?? (error as? DispatchFailure)
            let why = failure.map(\.description) ?? "\(error)"
            log.warning("relay state not confirmed", metadata: ["error": "\(why)"])
            return .acknowledged(expected, detail: "\(ControlEffects.summary(of: expected, for: kind)) expected, "
                + "unconfirmed: status word 3 not read (\(why))")
        }
        let seen = ControlEffects.meterState(from: word)
        guard !ControlEffects.contradicts(kind, relay: seen.relay) else {
            // A relay that did not move is a failed attempt: retried, then a person looks at it.
            log.warning("relay not as commanded", metadata: ["status_word_3": "\(ControlEffects.hex(word))"])
            return .failed(.readBackContradicts("status word 3 \(ControlEffects.hex(word)) shows relay \(seen.relay.rawValue), "
                + "\(kind.rawValue) wants relay \(expected.relay.rawValue)"))
        }
        return .acknowledged(seen, detail: "\(ControlEffects.summary(of: seen, for: kind)) (status word 3 \(ControlEffects.hex(word)))")
    }

    /// Records the resolution: state change, audit (in the store), log line, counters.
    private func settle(_ command: CommandRecord, _ resolution: Resolution, attempts: Int, log: Logger) async throws {
        let now = clock.now
        switch resolution {
        case .acknowledged(let state, let detail):
            if let state {
                try await store.acknowledge(command.id, meterState: state, detail: detail, at: now, reconnection: command.kind.isUrgent)
            } else {
                try await store.acknowledge(command.id, at: now, detail: detail)
            }
            statsBox.update { $0.acknowledged += 1 }
            log.notice("command acknowledged: \(detail)", metadata: ["event": "command_acknowledged"])
            await onAcknowledged?(command, now)
            if command.kind.group == "clock" {
                do {
                    try await core.releaseClockHold(account: command.accountID, command: command.id)
                } catch {
                    log.error("cannot release the clock hold", metadata: ["error": "\(error)"])
                }
            }
        case .superseded(let reason):
            try await store.supersede(command.id, reason: reason, at: now)
            statsBox.update { $0.superseded += 1 }
            log.notice("command superseded before sending: \(reason)", metadata: ["event": "superseded"])
        case .wait(let until, let reason):
            try await store.putBack(command.id, until: until, reason: reason, at: now)
            log.info("command waits: \(reason)", metadata: ["event": "command_deferred"])
        case .review(let reason):
            try await toReview(command, reason: reason, at: now, log: log)
        case .failed(let failure):
            switch policy.outcome(of: failure, attempts: attempts, deadline: command.deadline, now: now, random: random()) {
            case .retry(let next):
                try await store.retryLater(command.id, error: failure.description, next: next, at: now)
                statsBox.update { $0.retried += 1 }
                log.warning("command failed, retrying: \(failure)", metadata: [
                    "event": "command_failed", "error": "\(failure)", "next_attempt": "\(RFC3339.format(next, in: policy.timeZone))",
                ])
            case .review(let reason):
                log.warning("command failed: \(failure)", metadata: ["event": "command_failed", "error": "\(failure)"])
                try await toReview(command, reason: reason, at: now, log: log)
            case .putBack:
                try await store.putBack(command.id, until: now, reason: failure.description, at: now)
                log.info("command interrupted, put back: \(failure)", metadata: ["event": "command_failed"])
            }
        }
    }

    private func toReview(_ command: CommandRecord, reason: String, at now: Date, log: Logger) async throws {
        let item = try await store.moveToReview(command.id, reason: reason, at: now)
        statsBox.update { $0.reviewed += 1 }
        log.error("command moved to job review: \(reason)", metadata: ["event": "review", "review_item": "\(item)"])
    }
}
