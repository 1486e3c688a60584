import DLT645NIO
import Foundation
import Store

/// One terminal's condition (`GET /v1/terminals`): its line's health and the collector's reads,
/// put together. Instants come from durations on the line's clock taken back from `now`.
public struct TerminalCondition: Sendable, Hashable {
    public var terminal: TerminalRecord
    /// The TCP connection to the terminal is up.
    public var online: Bool
    /// Since when `online` has been what it is; nil before the first connection attempt ended.
    public var since: Date?
    /// When a meter behind it last answered (anything, a refusal included).
    public var lastReplyAt: Date?
    /// Accounts whose meters hang on it.
    public var meters: Int
    public var readsOK: Int
    public var readsFailed: Int
    /// Round trips of the line's answered requests, in milliseconds.
    public var roundTripP50: Double?
    public var roundTripP99: Double?
    /// Requests waiting on the line (not counting the one on the wire).
    public var queueDepth: Int

    /// readsOK ÷ all reads; nil before any read.
    public var successRatio: Double? {
        let all = readsOK + readsFailed
        return all == 0 ? nil : Double(readsOK) / Double(all)
    }

    /// The condition of `terminal` from its line's health (nil: no line yet) and its read counts.
    public init(terminal: TerminalRecord, health: TerminalLineHealth?, reads: CollectorStats.TerminalStats?, meters: Int,
                at now: Date) {
        self.terminal = terminal
        online = health?.isConnected ?? false
        since = health?.sinceConnectionChange.map { now.adding(.zero - $0) }
        lastReplyAt = health?.sinceLastSuccess.map { now.adding(.zero - $0) }
        self.meters = meters
        readsOK = reads?.readsOK ?? 0
        readsFailed = reads?.readsFailed ?? 0
        roundTripP50 = health?.roundTrips.quantileMilliseconds(0.5)
        roundTripP99 = health?.roundTrips.quantileMilliseconds(0.99)
        queueDepth = health?.queued ?? 0
    }
}
