import Foundation

/// Whether the daemon may tell systemd it is alive: only when every loop that matters has beaten
/// recently. A loop that has not beaten yet gets `freshness` of grace from start-up. A stalled
/// loop thus stops the pings, and systemd restarts the daemon after `WatchdogSec=`.
public struct WatchdogGate: Sendable {
    /// How old a heartbeat may be and still count: the loops beat at least every 10 s.
    public static let standardFreshness: TimeInterval = 30

    public let freshness: TimeInterval
    public let startedAt: Date

    public init(freshness: TimeInterval, startedAt: Date) {
        self.freshness = freshness
        self.startedAt = startedAt
    }

    /// The heartbeats of the loops (nil: none yet) at `now`.
    public func mayPing(heartbeats: [Date?], at now: Date) -> Bool {
        heartbeats.allSatisfy { isFresh($0, at: now) }
    }

    /// Whether one loop's heartbeat (nil: none yet) shows it alive at `now` (`/healthz` asks loop by loop).
    public func isFresh(_ heartbeat: Date?, at now: Date) -> Bool {
        now.timeIntervalSince(heartbeat ?? startedAt) < freshness
    }
}
