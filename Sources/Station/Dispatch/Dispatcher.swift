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
/// - The queue is kept in memory (`DispatchBacklog`): read whole at start after the recovery,
///   then new commands by id after each wake-up; read whole again when told commands went back
///   to pending (`StationCore.dispatcherRescan`, a review retry) and every `rescanInterval` as a
///   safety net. The due commands it takes are claimed in one store write (reconnections in one
///   of their own), each claim a compare-and-set from pending: a stale entry only loses its claim.
///   Outcomes are written several at a time (`CommandOutcomeBatcher`).
/// - Line failures retry with exponential back-off and jitter; refusals (wrong password,
///   keep-power, expired deadline) go to job review at once, as do commands out of attempts or
///   past their deadline; a command that waits for its meter (behind its other commands) past
///   its deadline goes to job review then, without waiting for the line (`expiryInterval`).
///
/// ```swift
/// let dispatcher = Dispatcher(core: core, lines: lines, policy: policy, logger: logger)
/// group.addTask { await dispatcher.run() }   // returns when the task is cancelled
/// ```
public final class Dispatcher: Sendable {
    public let policy: DispatchPolicy
    let core: StationCore
    let lines: TerminalLines
    let logger: Logger
    let random: @Sendable () -> Double
    /// Told of every acknowledged command (the payment → allow-close latency metric).
    let onAcknowledged: CommandAcknowledgedObserver?
    private let pollInterval: Duration
    private let rescanInterval: Duration
    private let expiryInterval: Duration
    private let maxInFlight: Int
    let statsBox = DispatcherStatsBox()
    /// The pending commands and the meters being dispatched.
    private let backlog = Mutex(DispatchBacklog())
    /// Why the next look reads the whole queue (nil: new commands only will do).
    private let rescan = Mutex<RescanReason?>(.start)
    /// Outcomes, written several at a time.
    let outcomes: CommandOutcomeBatcher
    /// A graceful shutdown asked it to stop claiming commands.
    private let stopping = Mutex(false)
    /// A node of several: the terminals the queue in memory was last read for (issue 16).
    private let scannedTerminals = Mutex<Set<String>?>(nil)

    /// - Parameters:
    ///   - core: the store, the clock (injected: tests step it), the evaluator for the re-check
    ///     and the doorbells rung when commands are queued or moved back to pending.
    ///   - lines: the terminal lines shared with the collector.
    ///   - pollInterval: the longest sleep between two looks at the queue (a safety net: queueing
    ///     rings the doorbell, and the next due instant is known).
    ///   - rescanInterval: how often the queue in memory is read whole again anyway (a safety
    ///     net for a change nobody announced).
    ///   - maxInFlight: commands dispatched at once, across all meters.
    ///   - expiryInterval: how often commands that waited for their meter past their deadline
    ///     are looked for (and moved to job review).
    ///   - random: values in 0..<1 for the back-off jitter.
    ///   - onAcknowledged: called after each acknowledgement is stored.
    public init(core: StationCore, lines: TerminalLines, policy: DispatchPolicy, logger: Logger,
                pollInterval: Duration = .seconds(1), rescanInterval: Duration = .seconds(60), maxInFlight: Int = 1000,
                expiryInterval: Duration = .seconds(5),
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                onAcknowledged: CommandAcknowledgedObserver? = nil) {
        self.onAcknowledged = onAcknowledged
        self.core = core
        self.lines = lines
        self.policy = policy
        self.logger = logger
        self.pollInterval = pollInterval
        self.rescanInterval = rescanInterval
        self.expiryInterval = expiryInterval
        self.maxInFlight = max(1, maxInFlight)
        self.random = random
        outcomes = CommandOutcomeBatcher(store: core.store)
    }

    /// The counters and the last heartbeat.
    public var stats: DispatcherStats { statsBox.snapshot }

    var store: StationStore { core.store }
    var clock: any StationClock { core.clock }

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
        var rescanSeen = core.dispatcherRescan.generation
        var lastRescan = clock.now
        var lastExpiry = clock.now
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled && !stopping.withLock({ $0 }) {
                // Read before looking: a command queued or a dispatch finished after this wakes the wait below.
                let seen = core.dispatcherSignal.generation
                let now = clock.now
                statsBox.update { $0.lastHeartbeat = now }
                var wake = now.adding(pollInterval)
                let told = core.dispatcherRescan.generation
                if told != rescanSeen { requestRescan(.told) }
                if now >= lastRescan.adding(rescanInterval) { requestRescan(.safetyNet) }
                if now >= lastExpiry.adding(expiryInterval) {
                    lastExpiry = now
                    await reviewPastDeadline(at: now)
                }
                do {
                    if try await refreshBacklog(at: now) { (rescanSeen, lastRescan) = (told, now) }
                    // Claimed and sent in child tasks: the loop goes on taking what finishing frees.
                    for (keys, reconnection) in takeDue(at: now) {
                        group.addTask { await self.claimAndDispatch(keys, at: now, reconnection: reconnection) }
                    }
                    if let next = backlog.withLock({ $0.nextWake(after: now) }) { wake = min(wake, next) }
                } catch {
                    if Task.isCancelled { break }
                    logger.error("cannot read the command queue", metadata: ["error": "\(error)"])
                }
                await core.dispatcherSignal.wait(since: seen) { [clock, wake] in try? await clock.sleep(until: wake) }
            }
        }
    }

    /// Commands that waited for their meter past their deadline end now, in job review: the
    /// line may not reach them for a long while (a meter off the bus, its other commands
    /// retried), and a command must end by its deadline (the fault soak checks it).
    private func reviewPastDeadline(at now: Date) async {
        do {
            for (id, item) in try await store.reviewCommandsPastDeadline(at: now) {
                statsBox.update { $0.reviewed += 1 }
                logger.error("command moved to job review: deadline passed while waiting for its meter",
                             metadata: ["event": "review", "command_id": "\(id)", "review_item": "\(item)"])
            }
        } catch {
            logger.error("cannot move commands past their deadline to job review", metadata: ["error": "\(error)"])
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

    // MARK: The queue in memory

    /// Why the queue is read whole.
    private enum RescanReason {
        case start, told, safetyNet, lostTrack, leases
    }

    private func requestRescan(_ reason: RescanReason) {
        rescan.withLock { $0 = $0 ?? reason }
    }

    /// The terminals this node leases changed, or another node queued commands for its meters
    /// (issue 16): the queue in memory is read again, now.
    public func leasesChanged() {
        requestRescan(.leases)
        core.dispatcherSignal.bump()
    }

    /// Reads the whole queue when asked to, else the commands queued since the last look.
    /// Returns whether it read the whole queue. A failed read asks for a whole one next time.
    private func refreshBacklog(at now: Date) async throws -> Bool {
        // A node of several sends only the commands of the terminals it acts for (issue 16); when
        // that set changed (a round, or a lease it could not renew in time), the queue is read
        // again for the new set.
        let cluster = store.cluster
        let terminals = cluster.isClustered ? Set(cluster.leases.keys.filter { cluster.holds(terminal: $0) }) : nil
        if let terminals, scannedTerminals.withLock({ $0 }) != terminals { requestRescan(.leases) }
        let reason = rescan.withLock { r in defer { r = nil }; return r }
        do {
            if let reason {
                backlog.withLock { $0.beginRebuild() }
                scannedTerminals.withLock { $0 = terminals }
                let scan = try await store.pendingCommandScan(terminals: terminals)
                backlog.withLock { $0.rebuild(scan, at: now) }
                if reason != .start && reason != .safetyNet && reason != .leases {
                    logger.info("command queue read again", metadata: ["pending": "\(scan.pending.count)"])
                }
                return true
            }
            let after = backlog.withLock { $0.lastID }
            let (keys, last) = try await store.pendingCommandKeys(after: after, terminals: terminals)
            backlog.withLock { $0.add(keys, lastID: last, at: now) }
            return false
        } catch {
            requestRescan(reason ?? .lostTrack)
            throw error
        }
    }

    /// The due commands the queue gives (within `maxInFlight`), their meters marked busy, in
    /// claim batches: reconnections in one of their own (the reconnection lane), the others in
    /// another.
    private func takeDue(at now: Date) -> [(keys: [PendingCommandKey], reconnection: Bool)] {
        let taken = backlog.withLock { $0.take(at: now, limit: maxInFlight - $0.busyCount) }
        guard !taken.isEmpty else { return [] }
        statsBox.update { $0.inFlight += taken.count }
        return [(taken.filter(\.isUrgent), true), (taken.filter { !$0.isUrgent }, false)].filter { !$0.keys.isEmpty }
    }

    /// Claims `keys` in one store write, then dispatches each command claimed concurrently.
    private func claimAndDispatch(_ keys: [PendingCommandKey], at now: Date, reconnection: Bool) async {
        let claimed = await claim(keys, at: now, reconnection: reconnection)
        await withDiscardingTaskGroup { group in
            for (command, recheck) in claimed {
                group.addTask { await self.dispatch(command, recheck: recheck) }
            }
        }
    }

    /// One store write of claims (each command as stored after its claim, with the re-check
    /// committed with it); the meters of commands not claimed are released.
    private func claim(_ keys: [PendingCommandKey], at now: Date, reconnection: Bool) async
        -> [(CommandRecord, Result<Recheck, DispatchFailure>)]
    {
        guard !keys.isEmpty else { return [] }
        let evaluator = core.evaluator
        let outcomes: [CommandClaim<Recheck>]
        do {
            outcomes = try await store.claim(keys.map(\.id), at: now, reconnection: reconnection) { tx, command in
                let evaluation = try evaluator.reevaluate(account: command.accountID, at: now, in: tx)
                return Recheck(now: now, plan: evaluation.plan, account: try tx.account(command.accountID))
            }
        } catch {
            logger.error("cannot mark commands in flight", metadata: ["error": "\(error)", "count": "\(keys.count)"])
            // Still pending in the table, no longer in the queue in memory.
            requestRescan(.lostTrack)
            for key in keys { release(key.meterAddress) }
            return []
        }
        var claimed: [(CommandRecord, Result<Recheck, DispatchFailure>)] = []
        for (key, outcome) in zip(keys, outcomes) {
            switch outcome {
            case .claimed(let command, let recheck):
                claimed.append((command, recheck.mapError { DispatchFailure.recheckFailed("\($0)") }))
                continue
            case .notPending:
                break
            case .notLeased:
                // Another node's terminal now: the queue in memory is read again without it.
                requestRescan(.leases)
            case .unreadable(let problem):
                logger.error("stored command cannot be read: moved to job review",
                             metadata: ["event": "review", "command_id": "\(key.id)", "error": "\(problem)"])
            case .failed(let error):
                logger.error("cannot mark the command in flight", metadata: ["command_id": "\(key.id)", "error": "\(error)"])
                requestRescan(.lostTrack)
            }
            release(key.meterAddress)
        }
        return claimed
    }

    /// The meter's dispatch is over: `requeue` is its command back in the queue (a retry, a
    /// put-back); `stuck`: its outcome could not be written, so the command stays in flight and
    /// holds its meter until the next start (as the table says).
    func release(_ meter: String, requeue: PendingCommandKey? = nil, stuck: Bool = false) {
        let now = clock.now
        let count = backlog.withLock { b in
            if let requeue { b.requeue(requeue, at: now) }
            if stuck { b.block(meter) } else { b.release(meter) }
            return b.busyCount
        }
        statsBox.update { $0.inFlight = count }
        core.dispatcherSignal.bump()
    }

    // MARK: One command

    /// Sends one claimed command and records what became of it: the claim (with the re-check)
    /// was one write for several commands, the outcome is gathered with others into one write
    /// (`CommandOutcomeBatcher`), each durable before the step that depends on it.
    private func dispatch(_ command: CommandRecord, recheck: Result<Recheck, DispatchFailure>) async {
        var log = logger
        log[metadataKey: "account"] = "\(command.accountID)"
        log[metadataKey: "meter"] = "\(command.meterAddress)"
        log[metadataKey: "command_id"] = "\(command.id)"
        log[metadataKey: "kind"] = "\(command.kind.rawValue)"
        // The claim counted this attempt.
        let attempts = command.attempts
        log[metadataKey: "attempt"] = "\(attempts)"
        let resolution: Resolution
        switch recheck {
        case .success(let seen): resolution = await attempt(command, recheck: seen, log: &log)
        case .failure(let failure): resolution = .failed(failure)
        }
        do {
            let again = try await settle(command, resolution, attempts: attempts, log: log)
            release(command.meterAddress, requeue: again.map {
                PendingCommandKey(id: command.id, meterAddress: command.meterAddress, isUrgent: command.kind.isUrgent,
                                  notBefore: command.notBefore, nextAttemptAt: $0)
            })
        } catch {
            log.error("cannot record the outcome of a command; it stays in flight until the next start",
                      metadata: ["error": "\(error)"])
            release(command.meterAddress, stuck: true)
        }
    }
}
