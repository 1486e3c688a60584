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
/// Messages go out in order from one thread of their own, to the socket `NOTIFY_SOCKET` named
/// when they were sent. A send blocks while the socket's queue is full (ten datagrams by
/// default), and `sd_notify` called from a task held a thread of Swift's cooperative pool: with
/// the watchdog's STATUS lines unread and then STOPPING=1, both of this machine's two pool
/// threads blocked and a graceful stop hung (issue 7, seen by the bench, which reads its socket
/// only while it waits for READY=1). The datagram is sent here rather than by `sd_notify`, which
/// would read `NOTIFY_SOCKET` only when the queue gets to it.
public struct ServiceNotifier: Sendable {
    private static let sender = DispatchQueue(label: "chargecontrol.sd-notify")

    /// False: a notifier that never sends (a station run in process beside other tests, whose
    /// `NOTIFY_SOCKET` is the process's, not this station's).
    private let enabled: Bool

    public init(enabled: Bool = true) { self.enabled = enabled }

    /// Queues raw `KEY=value` lines for systemd; true when there is a socket to send them to.
    @discardableResult
    public func send(_ state: String) -> Bool {
        guard enabled, let socket = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }), !socket.isEmpty else { return false }
        Self.sender.async { Self.deliver(state, to: socket) }
        return true
    }

    /// One datagram to the socket at `path` (`@…`: Linux's abstract namespace), as `sd_notify`
    /// sends it; blocks while the socket's queue is full.
    private static func deliver(_ state: String, to path: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(path.utf8)
        if name.first == UInt8(ascii: "@") { name[0] = 0 }
        guard name.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in name.enumerated() { raw[i] = byte }
        }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path) ?? 2) + socklen_t(name.count)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), target, length) }
            }
        }
    }

    /// The store is open and every listener is bound.
    @discardableResult public func ready() -> Bool { send("READY=1") }
    /// One line for `systemctl status`.
    @discardableResult public func status(_ text: String) -> Bool { send("STATUS=" + text.replacingNewlines()) }
    /// A watchdog keep-alive; send only while the daemon's loops show progress.
    @discardableResult public func watchdog() -> Bool { send("WATCHDOG=1") }
    /// A graceful stop has begun.
    @discardableResult public func stopping() -> Bool { send("STOPPING=1") }
    /// Configuration is being reloaded; follow with `ready()` when done. `MONOTONIC_USEC=` (the
    /// monotonic clock now) is what `Type=notify-reload` (systemd 253) matches the reload by.
    @discardableResult public func reloading() -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return send("RELOADING=1\nMONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)")
    }

    /// systemd's watchdog timeout for this process, or nil when none is configured. Ping at
    /// half of it. `sd_watchdog_enabled` fails when `WATCHDOG_PID` is set but empty; that is
    /// treated as "no watchdog".
    public var watchdogTimeout: Duration? {
        var usec: UInt64 = 0
        guard enabled, sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec))
    }
}

extension String {
    /// STATUS= is one line; a newline would start another assignment.
    fileprivate func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
