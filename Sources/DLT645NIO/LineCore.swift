import DLT645
import NIOCore
import Synchronization
import Wakeup

/// The driver of a line's state machine: holds it under a lock together with what the machine
/// must not know about (callers' continuations, channels), feeds it events from callers, the
/// connection and the clock, and carries out the actions it returns, outside the lock.
final class LineCore: Sendable {
    typealias Outcome = Result<Reply, TerminalLineError>
    typealias Waiter = CheckedContinuation<Outcome, Never>

    fileprivate struct State {
        var machine: LineStateMachine
        var waiters: [RequestID: Waiter] = [:]
        /// Open channels by generation (at most one normally; an old one lingers until inactive).
        var channels: [Int: any Channel] = [:]
        var pendingConnect: Int?
        var lastID: UInt64 = 0
        var started = false
        /// The deadline the timer loop sleeps until (nil: it waits for the bell alone). An event
        /// bumps the timer signal only when it brings the next deadline before this one: a request's
        /// timeout is later than the one before it, and waking the loop (a task group, two tasks,
        /// a dispatch timer) at every request, write and reply was a tenth of the daemon's CPU
        /// while collecting (issue 7, p2 profile). A loop woken early just sleeps again.
        var armed: Duration?
    }

    /// What is left to do once the lock is released.
    fileprivate enum Effect {
        case resume(Waiter, Outcome)
        case write(any Channel, Frame, RequestID, generation: Int)
        case close(any Channel)
        case ringConnect
    }

    let clock: LineClock
    /// Bumped when the earliest deadline may have moved, to wake the timer loop.
    let timerSignal = WakeSignal()
    /// Bumped when the machine asks for a connection, or at shutdown.
    let connectSignal = WakeSignal()
    private let state: Mutex<State>

    init(machine: LineStateMachine, clock: LineClock) {
        self.clock = clock
        state = Mutex(State(machine: machine))
    }

    // MARK: - Callers

    func send(_ request: Request, priority: LinePriority, timeout: Duration) async -> Outcome {
        let id = state.withLock { s in
            s.lastID += 1
            return RequestID(rawValue: s.lastID)
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: Waiter) in
                update { s, now in
                    s.waiters[id] = waiter
                    return s.machine.enqueue(id, request, priority: priority, timeout: timeout, now: now)
                }
                // A cancellation that came before the request was queued found nothing to remove.
                if Task.isCancelled { update { s, _ in s.machine.cancel(id) } }
            }
        } onCancel: {
            update { s, _ in s.machine.cancel(id) }
        }
    }

    func health() -> TerminalLineHealth {
        let now = clock.now()
        return state.withLock { $0.machine.health(now: now) }
    }

    /// Marks the line started; false if it already was (run() is single-use).
    func start() -> Bool {
        let first = state.withLock { s in
            defer { s.started = true }
            return !s.started
        }
        if first { update { s, _ in s.machine.start() } }
        return first
    }

    func shutdown() {
        update { s, _ in s.machine.shutdown() }
        timerSignal.bump()
        connectSignal.bump()
    }

    /// Channels not yet seen to close, to wait for at the end of `run()`.
    var openChannels: [any Channel] { state.withLock { Array($0.channels.values) } }

    // MARK: - Connection

    /// Waits until the machine wants connection `generation`; nil at shutdown or cancellation.
    func nextConnectRequest() async -> Int? {
        while true {
            let seen = connectSignal.generation
            let next = state.withLock { s -> Int?? in
                if s.machine.isShutDown { return .some(nil) }
                defer { s.pendingConnect = nil }
                return s.pendingConnect.map { .some($0) }
            }
            if let next { return next }
            if Task.isCancelled { return nil }
            await connectSignal.wait(since: seen)
        }
    }

    /// Connection `g` is up; false if it is no longer wanted and the caller must close it.
    func connected(_ channel: any Channel, generation g: Int) -> Bool {
        var accepted = false
        update { s, now in
            guard let actions = s.machine.connectSucceeded(g, now: now) else { return [] }
            accepted = true
            s.channels[g] = channel
            return actions
        }
        // The peer may have closed before the channel was registered here: its inactive event
        // then found the machine still connecting and was dropped.
        if accepted && !channel.isActive { connectionLost(generation: g) }
        return accepted
    }

    func connectFailed(generation g: Int, error: any Error) {
        update { s, now in s.machine.connectFailed(g, reason: String(describing: error), now: now) }
    }

    func connectionLost(generation g: Int) {
        update { s, now in
            s.channels[g] = nil
            return s.machine.connectionLost(g, now: now)
        }
    }

    func received(_ event: FrameDecoder.Event, generation g: Int) {
        update { s, now in s.machine.received(event, generation: g, now: now) }
    }

    // MARK: - Time

    /// The machine's next deadline, or nil when there is none; `.none` when shut down. The
    /// timer loop sleeps until it: events bump the timer signal only for an earlier one.
    func armNextDeadline() -> Duration?? {
        state.withLock { s in
            guard !s.machine.isShutDown else { return .none }
            s.armed = s.machine.nextDeadline
            return .some(s.armed)
        }
    }

    func tick() {
        update(ringTimer: false) { s, now in s.machine.tick(now: now) }
    }

    // MARK: - Executing actions

    /// Runs `body` on the state under the lock, then carries out the actions it returned.
    private func update(ringTimer: Bool = true, _ body: (inout State, Duration) -> [LineStateMachine.Action]) {
        let now = clock.now()
        let (effects, earlier) = state.withLock { s -> ([Effect], Bool) in
            let actions = body(&s, now)
            guard ringTimer, let next = s.machine.nextDeadline, s.armed.map({ next < $0 }) ?? true else {
                return (s.effects(for: actions), false)
            }
            s.armed = next
            return (s.effects(for: actions), true)
        }
        for effect in effects { perform(effect) }
        if earlier { timerSignal.bump() }
    }

    private func perform(_ effect: Effect) {
        switch effect {
        case .resume(let waiter, let outcome):
            waiter.resume(returning: outcome)
        case .write(let channel, let frame, let id, let g):
            let promise = channel.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { result in
                let success = if case .success = result { true } else { false }
                self.update { s, now in s.machine.written(id, generation: g, success: success, now: now) }
            }
            channel.writeAndFlush(frame, promise: promise)
        case .close(let channel):
            channel.close(promise: nil)
        case .ringConnect:
            connectSignal.bump()
        }
    }
}

extension LineCore.State {
    fileprivate mutating func effects(for actions: [LineStateMachine.Action]) -> [LineCore.Effect] {
        actions.compactMap { action in
            switch action {
            case .connect(let g):
                pendingConnect = g
                return .ringConnect
            case .write(let frame, let id, let g):
                return channels[g].map { .write($0, frame, id, generation: g) }
            case .succeed(let id, let reply):
                // A cancelled caller is gone already: its late outcome has nobody to go to.
                return waiters.removeValue(forKey: id).map { .resume($0, .success(reply)) }
            case .fail(let id, let error):
                return waiters.removeValue(forKey: id).map { .resume($0, .failure(error)) }
            case .close(let g):
                return channels[g].map { .close($0) }
            }
        }
    }
}
