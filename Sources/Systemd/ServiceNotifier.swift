import CSystemd

/// Talks to systemd's notification socket (`Type=notify`, `WatchdogSec=`).
///
/// Every call is a no-op when `NOTIFY_SOCKET` is unset, so the daemon and its tests call it
/// unconditionally.
public struct ServiceNotifier: Sendable {
    public init() {}

    /// Sends raw `KEY=value` lines; true when systemd was told.
    @discardableResult
    public func send(_ state: String) -> Bool {
        sd_notify(0, state) > 0
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
