import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// The limits on the API's connections (`[api] max_connections`, `idle_timeout`, `body_timeout`).
public struct APIConnectionLimits: Sendable {
    /// The most connections open at once, asked on every new connection: the daemon's answer
    /// follows the descriptor budget and the terminals provisioned now.
    public var cap: @Sendable () -> Int
    /// How long a connection with no request under way has to deliver a complete request head.
    public var idleTimeout: TimeAmount
    /// How long a request's body may take after its head.
    public var bodyTimeout: TimeAmount

    public init(cap: @escaping @Sendable () -> Int, idleTimeout: Duration, bodyTimeout: Duration) {
        self.cap = cap
        self.idleTimeout = TimeAmount(idleTimeout)
        self.bodyTimeout = TimeAmount(bodyTimeout)
    }
}

/// The API connection figures for `/metrics`.
public struct APIConnectionStats: Sendable, Equatable {
    /// Connections open now.
    public var open: Int
    /// The cap as of now.
    public var cap: Int
    /// Connections the station closed, by reason, since it started.
    public var refused: [APIConnectionRefusal: Int]

    public init(open: Int = 0, cap: Int = 0, refused: [APIConnectionRefusal: Int] = [:]) {
        self.open = open
        self.cap = cap
        self.refused = refused
    }
}

/// Keeps the HTTP API from starving the meters (issue 17): every API connection holds a file
/// descriptor, and so do the terminal lines and the database, so the connections are capped
/// below the descriptor budget, idle ones make room for new ones, and slow clients are cut.
///
/// One gate is shared by all connections (on any event loop); each connection's pipeline gets
/// an ``APIConnectionHandler`` from ``makeHandler()``, which reports its phase changes here and
/// runs its own timers. The decisions are ``APIConnectionTable``'s and ``APIConnectionPhase``'s;
/// this class adds the channels to close, the counters and the rate-limited log.
///
/// The cap counts the connections in the table; a socket also lives a moment before the gate's
/// decision (accepted, not yet registered) and after it (evicted or refused, still closing). So
/// ``acceptBackstop`` stops accepting, leaving new connections in the kernel's backlog, while
/// more than ``transitSlack`` sockets above the cap are open, which keeps the descriptors within
/// the budget however fast the flood; it lifts as soon as the closes complete (milliseconds).
///
/// An eviction can race a request head arriving on the evicted connection in the same instant;
/// that client sees the connection reset without an answer and sends again (payments are
/// idempotent by order number).
public final class APIConnectionGate: Sendable {
    /// Sockets allowed above the cap while they wait for the gate's decision or finish closing;
    /// part of ``DescriptorBudget/fixedReserve``.
    public static let transitSlack = 16

    public let limits: APIConnectionLimits
    private let logger: Logger

    private struct State {
        var table = APIConnectionTable()
        /// Accepted and not yet closed, whatever the gate decided.
        var sockets = 0
        var channels: [UInt64: any Channel] = [:]
        var nextID: UInt64 = 0
        var refused: [APIConnectionRefusal: Int] = [:]
        var logBook: APIRefusalLogBook

        /// Counts one refusal and says what the log should do about it.
        mutating func count(_ reason: APIConnectionRefusal, at now: NIODeadline) -> APIRefusalLogBook.Action {
            refused[reason, default: 0] += 1
            return logBook.record(reason, at: now)
        }
    }

    private let state: Mutex<State>

    /// - Parameter logInterval: at most one log line about closed connections per this.
    public init(limits: APIConnectionLimits, logger: Logger, logInterval: TimeAmount = .seconds(5)) {
        self.limits = limits
        self.logger = logger
        state = Mutex(State(logBook: APIRefusalLogBook(interval: logInterval)))
    }

    /// A handler for one new connection's pipeline (after HTTP decoding).
    public func makeHandler() -> APIConnectionHandler {
        APIConnectionHandler(gate: self)
    }

    /// The figures as of now.
    public var stats: APIConnectionStats {
        let cap = limits.cap()
        return state.withLock { APIConnectionStats(open: $0.table.count, cap: cap, refused: $0.refused) }
    }

    /// For Hummingbird's `availableConnectionsDelegate`: counts every accepted socket until it
    /// closes and stops accepting above the cap plus ``transitSlack``.
    public var acceptBackstop: some AvailableConnectionsDelegate { AcceptBackstop(gate: self) }

    private struct AcceptBackstop: AvailableConnectionsDelegate {
        let gate: APIConnectionGate
        func connectionOpened() { gate.state.withLock { $0.sockets += 1 } }
        func connectionClosed() { gate.state.withLock { $0.sockets -= 1 } }
        /// Measured against the table when it is above a cap that shrank (terminals added), so
        /// that new connections still come in and evict it down to the cap.
        func isAcceptingNewConnections() -> Bool {
            let cap = gate.limits.cap()
            return gate.state.withLock { $0.sockets < max(cap, $0.table.count, 1) + APIConnectionGate.transitSlack }
        }
    }

    // MARK: called by the connections' handlers

    /// Admits `channel`, opened at `now`, and closes the connections evicted for it; nil when it
    /// is refused (the caller closes it).
    func open(_ channel: any Channel, at now: NIODeadline) -> UInt64? {
        let cap = limits.cap()
        let (id, victims, actions) = state.withLock { s -> (UInt64?, [any Channel], [APIRefusalLogBook.Action]) in
            let id = s.nextID
            s.nextID += 1
            let admission = s.table.admit(id, cap: cap)
            var actions: [APIRefusalLogBook.Action] = []
            var victims: [any Channel] = []
            for victim in admission.evicted {
                if let channel = s.channels.removeValue(forKey: victim) { victims.append(channel) }
                actions.append(s.count(.evicted, at: now))
            }
            guard admission.admitted else {
                actions.append(s.count(.cap, at: now))
                return (nil, victims, actions)
            }
            s.channels[id] = channel
            return (id, victims, actions)
        }
        for victim in victims { victim.close(promise: nil) }
        perform(actions, on: channel.eventLoop)
        return id
    }

    /// Connection `id` now has no request under way (`idle`), or has one.
    func update(_ id: UInt64, idle: Bool) {
        state.withLock { $0.table.update(id, idle: idle) }
    }

    /// Connection `id` is closing because its deadline passed; counted unless it was evicted first.
    func timedOut(_ id: UInt64, reason: APIConnectionRefusal, at now: NIODeadline, on eventLoop: any EventLoop) {
        let action = state.withLock { s -> APIRefusalLogBook.Action in
            guard s.table.contains(id) else { return .none }
            s.table.remove(id)
            s.channels.removeValue(forKey: id)
            return s.count(reason, at: now)
        }
        perform([action], on: eventLoop)
    }

    /// Connection `id` closed.
    func closed(_ id: UInt64) {
        state.withLock { s in
            s.table.remove(id)
            s.channels.removeValue(forKey: id)
        }
    }

    // MARK: the log

    private func perform(_ actions: [APIRefusalLogBook.Action], on eventLoop: any EventLoop) {
        for action in actions {
            switch action {
            case .write(let counts): write(counts)
            case .flushAt(let deadline):
                eventLoop.scheduleTask(deadline: deadline) { [self] in
                    if let counts = state.withLock({ $0.logBook.flush(at: eventLoop.now) }) { write(counts) }
                }
            case .none: break
            }
        }
    }

    private func write(_ counts: [APIConnectionRefusal: Int]) {
        let figures = stats
        logger.warning(APIRefusalLogBook.message(counts, open: figures.open, cap: figures.cap,
                                                 idleTimeout: limits.idleTimeout, bodyTimeout: limits.bodyTimeout),
                       metadata: ["event": "api_connections_closed"])
    }
}
