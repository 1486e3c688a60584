import Foundation

/// Whether the daemon may tell systemd it is alive: only when every loop that matters has beaten
/// recently. A loop that has not beaten yet gets `freshness` of grace from start-up. A stalled
/// loop thus stops the pings, and systemd restarts the daemon after `WatchdogSec=`.
public struct WatchdogGate: Sendable {
    public let freshness: TimeInterval
    public let startedAt: Date

    public init(freshness: TimeInterval, startedAt: Date) {
        self.freshness = freshness
        self.startedAt = startedAt
    }

    /// The heartbeats of the loops (nil: none yet) at `now`.
    public func mayPing(heartbeats: [Date?], at now: Date) -> Bool {
        heartbeats.allSatisfy { now.timeIntervalSince($0 ?? startedAt) < freshness }
    }
}
