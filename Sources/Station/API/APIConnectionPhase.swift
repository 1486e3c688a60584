import NIOCore

/// Why the station closed an API connection on its own (the `reason` label of
/// `chargecontrol_api_connections_refused_total`).
public enum APIConnectionRefusal: String, CaseIterable, Sendable, Hashable {
    /// A new connection arrived at the cap while every open connection had a request under way.
    case cap
    /// An idle connection (no request under way) was closed to make room for a new one.
    case evicted
    /// No complete request head within `[api] idle_timeout` of opening or of the previous response.
    case idleTimeout = "idle_timeout"
    /// A request body not complete within `[api] body_timeout` of its head.
    case bodyTimeout = "body_timeout"
}

/// Where one API connection is in its request/response cycle, and so which timer applies.
///
/// Three phases: *idle* (opened, or its last response written, and no new request head yet)
/// must see a complete head within the idle timeout, counted from the start of the phase and
/// not reset by bytes, so a client that dribbles a header cannot hold the connection; *reading
/// a body* (head seen, end not yet) must end within the body timeout of the head, also after an
/// early answer such as a 401 while the body still comes; *handling* (request read, response
/// not finished) has no timer, the station is working. Only idle connections may be evicted.
///
/// Pure: instants come in with the events, so tests drive it without sleeping.
public struct APIConnectionPhase: Sendable, Equatable {
    /// Since when the connection has had no request under way; nil while one is.
    public private(set) var idleSince: NIODeadline?
    /// When the head of the request whose body is being read arrived; nil when no body is open.
    public private(set) var bodyStartedAt: NIODeadline?
    /// Requests whose head arrived and whose response has not been written to the end
    /// (more than one only when a client pipelines).
    public private(set) var responsesOwed = 0

    /// A connection opened at `openedAt`: idle from then.
    public init(openedAt: NIODeadline) {
        idleSince = openedAt
    }

    /// Whether the connection has no request under way (it may be evicted).
    public var isIdle: Bool { idleSince != nil }

    /// A request head arrived.
    public mutating func requestHead(at now: NIODeadline) {
        responsesOwed += 1
        bodyStartedAt = now
        idleSince = nil
    }

    /// The request's end arrived (its body, if any, is complete).
    public mutating func requestEnd(at now: NIODeadline) {
        bodyStartedAt = nil
        if responsesOwed == 0 { idleSince = now }
    }

    /// A response was written to its end.
    public mutating func responseEnd(at now: NIODeadline) {
        responsesOwed = max(0, responsesOwed - 1)
        if responsesOwed == 0, bodyStartedAt == nil { idleSince = now }
    }

    /// When the connection must be closed unless something happens first, and why; nil while
    /// the station handles a request.
    public func deadline(idleTimeout: TimeAmount, bodyTimeout: TimeAmount) -> (at: NIODeadline, reason: APIConnectionRefusal)? {
        if let bodyStartedAt { return (bodyStartedAt + bodyTimeout, .bodyTimeout) }
        if let idleSince { return (idleSince + idleTimeout, .idleTimeout) }
        return nil
    }

    /// The reason to close the connection at `now`, or nil when its deadline has not passed (a
    /// timer that fires for a deadline since moved on).
    public func expired(at now: NIODeadline, idleTimeout: TimeAmount, bodyTimeout: TimeAmount) -> APIConnectionRefusal? {
        guard let due = deadline(idleTimeout: idleTimeout, bodyTimeout: bodyTimeout), now >= due.at else { return nil }
        return due.reason
    }
}
