import Foundation
import Logging
import Station
import Store
import Systemd

/// Tells systemd the daemon is alive — only while it is: `WATCHDOG=1` at half of
/// `WatchdogSec=`, sent only when the collector and the dispatcher have both shown a heartbeat
/// recently, so a stalled loop gets the daemon restarted instead of kept alive by a timer. Also
/// keeps the `STATUS=` line of `systemctl status` current.
struct Watchdog {
    let notifier: ServiceNotifier
    let store: StationStore
    let clock: any StationClock
    let logger: Logger
    /// The loops' last heartbeats (nil: not yet).
    let heartbeats: @Sendable () -> [Date?]
    let cycle: @Sendable () -> Duration?
    /// Whether READY=1 has gone out: nothing is sent before it.
    let isReady: @Sendable () -> Bool

    /// How old a heartbeat may be and still count. The loops beat at least every 10 s.
    static let freshness: TimeInterval = 30

    func run() async {
        let timeout = notifier.watchdogTimeout
        let period: Duration = timeout.map { $0 / 2 } ?? .seconds(10)
        let gate = WatchdogGate(freshness: Self.freshness, startedAt: clock.now)
        while !Task.isCancelled {
            guard isReady() else {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            let alive = gate.mayPing(heartbeats: heartbeats(), at: clock.now)
            if timeout != nil {
                if alive {
                    notifier.watchdog()
                } else {
                    logger.critical("a service loop has stalled: not pinging the watchdog", metadata: ["event": "stall"])
                }
            }
            await updateStatus()
            try? await Task.sleep(for: period)
        }
    }

    private func updateStatus() async {
        guard let counts = try? await store.commandCounts(), let review = try? await store.openReviewCount() else { return }
        let pending = (counts[.pending] ?? 0) + (counts[.inFlight] ?? 0)
        let lastCycle = cycle().map { " last cycle \($0.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))" } ?? ""
        notifier.status("commands pending \(pending), review \(review)\(lastCycle)")
    }
}
