import CSystemd
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Talks to systemd's notification socket (`Type=notify`, `WatchdogSec=`).
///
/// Every call is a no-op when `NOTIFY_SOCKET` is unset, so the daemon and its tests call it
/// unconditionally.
///
/// Messages go out in order from one thread of their own. `sd_notify` blocks while the socket's
/// queue is full (ten datagrams by default), and called from a task it held a thread of Swift's
/// cooperative pool: with the watchdog's STATUS lines unread and then STOPPING=1, both of this
/// machine's two pool threads blocked and a graceful stop hung (issue 7, seen by the bench,
/// which reads its socket only while it waits for READY=1).
public struct ServiceNotifier: Sendable {
    private static let sender = DispatchQueue(label: "chargecontrol.sd-notify")

    public init() {}

    /// Queues raw `KEY=value` lines for systemd; true when there is a socket to send them to.
    @discardableResult
    public func send(_ state: String) -> Bool {
        guard getenv("NOTIFY_SOCKET") != nil else { return false }
        Self.sender.async { _ = sd_notify(0, state) }
        return true
    }

    /// The store is open and every listener is bound.
    @discardableResult public func ready() -> Bool { send("READY=1") }
    /// One line for `systemctl status`.
    @discardableResult public func status(_ text: String) -> Bool { send("STATUS=" + text.replacingNewlines()) }
    /// A watchdog keep-alive; send only while the daemon's loops show progress.
    @discardableResult public func watchdog() -> Bool { send("WATCHDOG=1") }
    /// A graceful stop has begun.
    @discardableResult public func stopping() -> Bool { send("STOPPING=1") }
    /// Configuration is being reloaded; follow with `ready()` when done.
    @discardableResult public func reloading() -> Bool { send("RELOADING=1") }

    /// systemd's watchdog timeout for this process, or nil when none is configured. Ping at
    /// half of it. `sd_watchdog_enabled` fails when `WATCHDOG_PID` is set but empty; that is
    /// treated as "no watchdog".
    public var watchdogTimeout: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec))
    }
}

extension String {
    /// STATUS= is one line; a newline would start another assignment.
    fileprivate func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
