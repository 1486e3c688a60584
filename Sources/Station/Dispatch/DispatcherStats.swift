import Foundation
import Synchronization

/// What the dispatcher has done since it started, for status lines, metrics and the watchdog.
public struct DispatcherStats: Sendable, Hashable {
    /// 1CH requests put on a line.
    public var sent = 0
    /// Commands the meters acknowledged (9CH).
    public var acknowledged = 0
    /// Failed sends put back for a later attempt.
    public var retried = 0
    /// Commands moved to job review.
    public var reviewed = 0
    /// Commands dropped because the policy no longer wanted them.
    public var superseded = 0
    /// Commands being dispatched now.
    public var inFlight = 0
    /// The last time the dispatch loop went round (station clock); the watchdog checks it moves.
    public var lastHeartbeat: Date?

    public init() {}
}

/// The dispatcher's counters behind a lock.
final class DispatcherStatsBox: Sendable {
    private let state = Mutex(DispatcherStats())

    var snapshot: DispatcherStats { state.withLock { $0 } }

    func update(_ body: (inout DispatcherStats) -> Void) {
        state.withLock { body(&$0) }
    }
}
