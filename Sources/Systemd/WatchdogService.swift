import Foundation
import Logging
import ServiceLifecycle

/// Tells systemd the daemon is alive — only while it is: `WATCHDOG=1` at half of
/// `WatchdogSec=`, sent only when every loop that matters has shown a heartbeat recently
/// (`WatchdogGate`), so a stalled loop gets the daemon restarted instead of kept alive by a
/// timer. Also keeps the `STATUS=` line of `systemctl status` current. Nothing is sent before
/// `isReady()` (READY=1 comes first).
public struct WatchdogService: Sendable {
    let notifier: ServiceNotifier
    let logger: Logger
    let freshness: TimeInterval
    let now: @Sendable () -> Date
    let heartbeats: @Sendable () -> [Date?]
    let isReady: @Sendable () -> Bool
    let status: @Sendable () async -> String?

    /// - Parameters:
    ///   - freshness: how old a heartbeat may be and still count (the loops beat at least every 10 s).
    ///   - heartbeats: the loops' last heartbeats (nil: not yet).
    ///   - status: the `STATUS=` line, or nil to leave it.
    public init(notifier: ServiceNotifier, logger: Logger, freshness: TimeInterval = WatchdogGate.standardFreshness,
                now: @escaping @Sendable () -> Date = { Date() }, heartbeats: @escaping @Sendable () -> [Date?],
                isReady: @escaping @Sendable () -> Bool, status: @escaping @Sendable () async -> String?) {
        self.notifier = notifier
        self.logger = logger
        self.freshness = freshness
        self.now = now
        self.heartbeats = heartbeats
        self.isReady = isReady
        self.status = status
    }

    /// Pings and reports until a graceful shutdown or cancellation.
    public func run() async {
        // Nothing to finish: a ping or a status line more or less is harmless.
        await cancelWhenGracefulShutdown { await pingAndReport() }
    }

    private func pingAndReport() async {
        let timeout = notifier.watchdogTimeout
        let period: Duration = timeout.map { $0 / 2 } ?? .seconds(10)
        let gate = WatchdogGate(freshness: freshness, startedAt: now())
        while !Task.isCancelled {
            guard isReady() else {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            if timeout != nil {
                if gate.mayPing(heartbeats: heartbeats(), at: now()) {
                    notifier.watchdog()
                } else {
                    logger.critical("a service loop has stalled: not pinging the watchdog", metadata: ["event": "stall"])
                }
            }
            if let line = await status() { notifier.status(line) }
            try? await Task.sleep(for: period)
        }
    }
}
