import Logging
import NIOCore

/// Decides when a line about API connections the station closed goes to the log: at most one
/// per `interval`, carrying the counts since the previous line, so a flood of thousands of
/// connections costs a line every few seconds instead of a journal full of them.
///
/// The first refusal after a quiet spell is logged at once; later ones within the interval are
/// held, and the caller is told once to come back (``flush(at:)``) when the interval is over.
/// Pure: instants are passed in.
public struct APIRefusalLogBook: Sendable {
    /// What the caller does after ``record(_:at:)``.
    public enum Action: Sendable, Equatable {
        /// Write a line with these counts now.
        case write([APIConnectionRefusal: Int])
        /// Call ``flush(at:)`` at this instant (no flush was pending).
        case flushAt(NIODeadline)
        /// Nothing: a flush is already pending.
        case none
    }

    public let interval: TimeAmount
    private var lastLine: NIODeadline?
    private var held: [APIConnectionRefusal: Int] = [:]
    private var flushPending = false

    public init(interval: TimeAmount) {
        self.interval = interval
    }

    /// One more connection closed for `reason` at `now`.
    public mutating func record(_ reason: APIConnectionRefusal, at now: NIODeadline) -> Action {
        held[reason, default: 0] += 1
        guard let lastLine, now < lastLine + interval else { return flush(at: now).map(Action.write) ?? .none }
        if flushPending { return .none }
        flushPending = true
        return .flushAt(lastLine + interval)
    }

    /// The counts held since the last line, to write now; nil when there are none.
    public mutating func flush(at now: NIODeadline) -> [APIConnectionRefusal: Int]? {
        flushPending = false
        guard !held.isEmpty else { return nil }
        lastLine = now
        defer { held = [:] }
        return held
    }
}

extension APIRefusalLogBook {
    /// The log line for `counts`: each reason with its count, and the connections open now.
    static func message(_ counts: [APIConnectionRefusal: Int], open: Int, cap: Int,
                        idleTimeout: TimeAmount, bodyTimeout: TimeAmount) -> Logger.Message {
        let parts = APIConnectionRefusal.allCases.compactMap { reason -> String? in
            guard let count = counts[reason], count > 0 else { return nil }
            return "\(count) \(reason.explanation(idleTimeout: idleTimeout, bodyTimeout: bodyTimeout))"
        }
        return "API connections closed by the station to keep descriptors and time for the meters: \(parts.joined(separator: ", ")); \(open) open, cap \(cap)"
    }
}

extension APIConnectionRefusal {
    /// What happened, for the log.
    func explanation(idleTimeout: TimeAmount, bodyTimeout: TimeAmount) -> String {
        switch self {
        case .cap: "refused at the cap (every connection busy)"
        case .evicted: "evicted (idle the longest, to make room for a new one)"
        case .idleTimeout: "idle_timeout (no complete request head within \(idleTimeout.shortText))"
        case .bodyTimeout: "body_timeout (request body not complete within \(bodyTimeout.shortText))"
        }
    }
}

extension TimeAmount {
    /// `10s`, or `1500ms` when not whole seconds, as the configuration writes durations.
    var shortText: String {
        let milliseconds = nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }
}
