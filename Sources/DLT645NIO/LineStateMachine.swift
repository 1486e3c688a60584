import DLT645

/// The logic of one terminal line, without sockets or clocks: connection state, the two request
/// lanes and the request on the wire. Each event is a `mutating func` that returns the actions
/// the driver (`LineCore`) must carry out. Time is passed in as `now`, a duration on the line's
/// clock since the line was created, so tests can drive it step by step.
struct LineStateMachine: Sendable {
    /// What the driver must do after an event.
    enum Action: Equatable, Sendable {
        /// Open connection number `generation` to the terminal.
        case connect(generation: Int)
        /// Write `frame` for request `id` on connection `generation`, then report `written`.
        case write(Frame, RequestID, generation: Int)
        /// Complete request `id` with a reply.
        case succeed(RequestID, Reply)
        /// Complete request `id` with an error.
        case fail(RequestID, TerminalLineError)
        /// Close connection `generation`.
        case close(generation: Int)
    }

    private enum Connection: Equatable {
        case notStarted
        case connecting(generation: Int)
        case connected(generation: Int)
        case backingOff(until: Duration)
        case shutDown
    }

    private struct InFlight {
        let id: RequestID
        let request: Request
        let timeout: Duration
        let deadline: Duration
    }

    private let backoff: Backoff
    private let quietPeriod: Duration
    private let random: @Sendable () -> Double

    private var connection = Connection.notStarted
    private var generation = 0
    private var queue = RequestQueue()
    private var inFlight: InFlight?
    /// No write before this instant (after a timeout, to let a late reply drain).
    private var quietUntil: Duration?
    /// Failed connection attempts since the last successful one: drives the back-off.
    private var connectFailures = 0
    /// Why the line is down, for requests that give up waiting for it.
    private var downReason: TerminalLineError?
    private var lastSuccess: Duration?
    private var consecutiveFailures = 0
    private(set) var counters = TerminalLineHealth.Counters()
    /// When the connection last came up or went down (a failed attempt while down is no change).
    private var connectionChangedAt: Duration?
    private var roundTrips = RoundTripHistogram()

    init(backoff: Backoff, quietPeriod: Duration, random: @escaping @Sendable () -> Double) {
        self.backoff = backoff
        self.quietPeriod = quietPeriod
        self.random = random
    }

    // MARK: - Queries

    var isShutDown: Bool { connection == .shutDown }
    var isConnected: Bool { if case .connected = connection { true } else { false } }

    /// The next instant at which `tick` has something to do.
    var nextDeadline: Duration? {
        var deadlines: [Duration] = []
        if let inFlight { deadlines.append(inFlight.deadline) }
        if let quietUntil { deadlines.append(quietUntil) }
        if case .backingOff(let until) = connection { deadlines.append(until) }
        if let d = queue.earliestConnectionDeadline { deadlines.append(d) }
        return deadlines.min()
    }

    func health(now: Duration) -> TerminalLineHealth {
        TerminalLineHealth(
            isConnected: isConnected,
            sinceLastSuccess: lastSuccess.map { now - $0 },
            consecutiveFailures: consecutiveFailures,
            queued: queue.count,
            counters: counters,
            sinceConnectionChange: connectionChangedAt.map { now - $0 },
            roundTrips: roundTrips
        )
    }

    // MARK: - Events from the owner

    /// The line starts: connect at once (connections are eager, so health shows a dead terminal
    /// before anyone needs it).
    mutating func start() -> [Action] {
        guard connection == .notStarted else { return [] }
        return beginConnecting()
    }

    mutating func enqueue(_ id: RequestID, _ request: Request, priority: LinePriority, timeout: Duration, now: Duration) -> [Action] {
        if connection == .shutDown { return [.fail(id, .shutdown)] }
        let waiting = isConnected ? nil : now + timeout
        queue.append(QueuedRequest(id: id, request: request, timeout: timeout, connectionDeadline: waiting), priority: priority)
        return pump(now: now)
    }

    /// The caller of `id` went away. A queued request leaves the queue; a request on the wire
    /// stays there (the bus is busy until its reply or timeout) but its caller is released now.
    mutating func cancel(_ id: RequestID) -> [Action] {
        if queue.remove(id) != nil { return [.fail(id, .cancelled)] }
        if inFlight?.id == id { return [.fail(id, .cancelled)] }
        return []
    }

    mutating func shutdown() -> [Action] {
        var actions: [Action] = []
        switch connection {
        case .connected(let g), .connecting(let g): actions.append(.close(generation: g))
        case .notStarted, .backingOff, .shutDown: break
        }
        connection = .shutDown
        if let inFlight { actions.append(.fail(inFlight.id, .shutdown)) }
        inFlight = nil
        quietUntil = nil
        actions += queue.removeAll().map { .fail($0.id, .shutdown) }
        return actions
    }

    // MARK: - Events from the connection

    /// Connection `g` is up. Returns nil when it is no longer wanted (shut down meanwhile): the
    /// driver closes it.
    mutating func connectSucceeded(_ g: Int, now: Duration) -> [Action]? {
        guard connection == .connecting(generation: g) else { return nil }
        connection = .connected(generation: g)
        connectionChangedAt = now
        counters.connects += 1
        connectFailures = 0
        downReason = nil
        queue.updateEach { $0.connectionDeadline = nil }
        return pump(now: now)
    }

    mutating func connectFailed(_ g: Int, reason: String, now: Duration) -> [Action] {
        guard connection == .connecting(generation: g) else { return [] }
        counters.connectFailures += 1
        if connectionChangedAt == nil { connectionChangedAt = now }  // down from the start
        connectFailures += 1
        consecutiveFailures += 1
        downReason = .cannotConnect(reason: reason)
        return backOff(now: now)
    }

    mutating func connectionLost(_ g: Int, now: Duration) -> [Action] {
        guard connection == .connected(generation: g) else { return [] }
        counters.connectionsLost += 1
        connectionChangedAt = now
        consecutiveFailures += 1
        downReason = .connectionLost
        var actions: [Action] = []
        if let inFlight { actions.append(.fail(inFlight.id, .connectionLost)) }
        inFlight = nil
        quietUntil = nil
        // Queued requests now wait for the line to come back, each up to its own timeout.
        queue.updateEach { $0.connectionDeadline = now + $0.timeout }
        return actions + backOff(now: now)
    }

    /// Request `id` went out on connection `g` (or failed to). A broadcast is complete once
    /// written; a failed write closes the connection, whose loss then fails the request.
    mutating func written(_ id: RequestID, generation g: Int, success: Bool, now: Duration) -> [Action] {
        guard connection == .connected(generation: g) else { return [] }
        guard success else { return [.close(generation: g)] }
        guard let inFlight, inFlight.id == id, !inFlight.request.expectsReply else { return [] }
        self.inFlight = nil
        // Meters do not answer broadcasts: a synthetic acknowledgement tells the caller it is out.
        return [.succeed(id, .acknowledged(inFlight.request.address, inFlight.request.function))] + pump(now: now)
    }

    mutating func received(_ event: FrameDecoder.Event, generation g: Int, now: Duration) -> [Action] {
        guard connection == .connected(generation: g) else { return [] }
        let frame: Frame
        switch event {
        case .error:
            counters.decodeErrors += 1
            return []
        case .frame(let f):
            frame = f
        }
        guard let inFlight, inFlight.request.expectsReply, ReplyMatching.isAddressed(frame, to: inFlight.request) else {
            counters.ignoredFrames += 1
            return []
        }
        let outcome: Action
        do {
            let reply = try Reply(frame: frame)
            guard reply.answers(inFlight.request) else {
                counters.ignoredFrames += 1
                return []
            }
            if case .abnormal(_, let fn, let word) = reply {
                outcome = .fail(inFlight.id, .abnormalReply(fn, word))
            } else {
                outcome = .succeed(inFlight.id, reply)
            }
        } catch {
            outcome = .fail(inFlight.id, .malformedReply(error))
        }
        // Any answer, even a refusal, shows that terminal and meter are alive.
        counters.replies += 1
        // Written at its deadline less its timeout (`pump`).
        roundTrips.record(now - (inFlight.deadline - inFlight.timeout))
        lastSuccess = now
        consecutiveFailures = 0
        self.inFlight = nil
        return [outcome] + pump(now: now)
    }

    // MARK: - Time

    /// Expires whatever is due at `now`.
    mutating func tick(now: Duration) -> [Action] {
        var actions: [Action] = []
        if let current = inFlight, current.deadline <= now {
            inFlight = nil
            counters.timeouts += 1
            consecutiveFailures += 1
            quietUntil = now + quietPeriod
            actions.append(.fail(current.id, .timeout(current.timeout)))
        }
        // Cleared here as well as in `pump`, which returns early while the line is down: a
        // passed deadline left standing would make the timer loop spin.
        if let quiet = quietUntil, quiet <= now { quietUntil = nil }
        let expired = queue.removeAll { $0.connectionDeadline.map { $0 <= now } ?? false }
        actions += expired.map { .fail($0.id, downReason ?? .timeout($0.timeout)) }
        if case .backingOff(let until) = connection, until <= now {
            actions += beginConnecting()
        }
        return actions + pump(now: now)
    }

    // MARK: - Internals

    private mutating func beginConnecting() -> [Action] {
        generation += 1
        connection = .connecting(generation: generation)
        return [.connect(generation: generation)]
    }

    private mutating func backOff(now: Duration) -> [Action] {
        let delay = backoff.delay(afterFailures: connectFailures, random: random())
        connection = .backingOff(until: now + delay)
        return []
    }

    /// Writes the next queued request if the bus is free.
    private mutating func pump(now: Duration) -> [Action] {
        guard case .connected(let g) = connection, inFlight == nil else { return [] }
        if let quiet = quietUntil {
            guard quiet <= now else { return [] }
            quietUntil = nil
        }
        guard let next = queue.popNext() else { return [] }
        inFlight = InFlight(id: next.id, request: next.request, timeout: next.timeout, deadline: now + next.timeout)
        counters.sent += 1
        return [.write(next.request.frame, next.id, generation: g)]
    }
}
