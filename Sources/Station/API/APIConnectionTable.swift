import NIOCore

/// The open API connections and the admission decision for a new one: the pure core of
/// ``APIConnectionGate`` (no channels, no locks, no clock).
///
/// Below the cap a new connection is admitted. At the cap, the connection idle the longest (no
/// request under way, and the first of those to have become idle) is evicted to make room, as
/// nginx reuses idle keep-alive connections, so a flood of idle connections can never keep out
/// a fresh one carrying a payment. Only when every open connection has a request under way is
/// the new one refused: those are bounded by the body timeout or are being answered.
///
/// Idle connections queue in the order they became idle, so finding the longest idle is O(1)
/// amortised even with tens of thousands open; entries made stale by a later request are
/// skipped when they reach the front, and the queue is compacted when they pile up.
public struct APIConnectionTable: Sendable {
    /// The outcome of ``admit(_:cap:)``.
    public struct Admission: Sendable, Equatable {
        /// Whether the new connection may stay.
        public var admitted: Bool
        /// Connections to close now, longest idle first (already taken out of the table).
        public var evicted: [UInt64]
    }

    /// What an open connection is doing: idle since the period with this ticket began, or busy.
    private enum Use: Equatable {
        case idle(ticket: UInt64)
        case busy
    }

    private var connections: [UInt64: Use] = [:]
    /// (ticket, connection) in the order the idle periods began; stale tickets included.
    private var idleQueue = CircularBuffer<(ticket: UInt64, id: UInt64)>()
    private var nextTicket: UInt64 = 0

    public init() {}

    /// Connections open (admitted and not yet removed or evicted).
    public var count: Int { connections.count }

    /// Whether `id` is open.
    public func contains(_ id: UInt64) -> Bool { connections[id] != nil }

    /// Whether `id` is open with no request under way.
    public func isIdle(_ id: UInt64) -> Bool {
        if case .idle = connections[id] { true } else { false }
    }

    /// Decides on connection `id`, new, with at most `cap` (at least 1) connections open. When
    /// the cap has shrunk below the count (terminals added), idle connections are evicted until
    /// there is room again; the new one is refused when there are not enough of them.
    public mutating func admit(_ id: UInt64, cap: Int) -> Admission {
        let cap = max(cap, 1)
        var evicted: [UInt64] = []
        while count >= cap, let victim = takeLongestIdle() {
            evicted.append(victim)
        }
        guard count < cap else { return Admission(admitted: false, evicted: evicted) }
        becomeIdle(id)
        return Admission(admitted: true, evicted: evicted)
    }

    /// Records that `id` has no request under way from now on (`idle`), or that one began.
    /// Ignored for connections not open (evicted meanwhile).
    public mutating func update(_ id: UInt64, idle: Bool) {
        guard let use = connections[id] else { return }
        if !idle {
            connections[id] = .busy
        } else if use == .busy {
            becomeIdle(id)
        }
    }

    /// Forgets `id` (closed).
    public mutating func remove(_ id: UInt64) {
        connections.removeValue(forKey: id)
    }

    private mutating func becomeIdle(_ id: UInt64) {
        connections[id] = .idle(ticket: nextTicket)
        idleQueue.append((nextTicket, id))
        nextTicket += 1
        if idleQueue.count > 2 * connections.count + 64 {
            idleQueue = CircularBuffer(idleQueue.filter { connections[$0.id] == .idle(ticket: $0.ticket) })
        }
    }

    /// Removes and returns the connection idle the longest.
    private mutating func takeLongestIdle() -> UInt64? {
        while let front = idleQueue.popFirst() {
            if connections[front.id] == .idle(ticket: front.ticket) {
                connections.removeValue(forKey: front.id)
                return front.id
            }
        }
        return nil
    }
}
