import DLT645NIO
import Foundation

/// How a failed delivery is retried. Notifications are never given up: the delay doubles from
/// `backoff.initial` up to `backoff.maximum` and then stays there for as long as it takes.
public struct NotificationRetryPolicy: Sendable, Hashable {
    /// Delays between attempts (jitter only shortens them).
    public var backoff: Backoff
    /// From this many failures on, each failure is logged as an error rather than a warning.
    public var alertAfter: Int

    public init(backoff: Backoff = Backoff(initial: .seconds(5), maximum: .seconds(600), jitter: 0.2), alertAfter: Int = 10) {
        self.backoff = backoff
        self.alertAfter = max(1, alertAfter)
    }

    /// When to try again after the `failures`-th failure (1 for the first), at `now`.
    public func nextAttempt(afterFailures failures: Int, now: Date, random: Double) -> Date {
        now.adding(backoff.delay(afterFailures: max(0, failures - 1), random: random))
    }

    /// What a webhook answer means for the notification.
    public enum Verdict: Sendable, Hashable {
        /// 2xx: taken.
        case delivered
        /// The webhook is down or overloaded (no answer, 5xx, 408, 429): retry later, and hold
        /// the other notifications back until then.
        case unavailable(String)
        /// Another answer about this notification (4xx): retry later; the others go on.
        case rejected(String)
    }

    /// Classifies an HTTP status.
    public static func verdict(status: Int) -> Verdict {
        switch status {
        case 200..<300: .delivered
        case 408, 429, 500..<600: .unavailable("HTTP \(status)")
        default: .rejected("HTTP \(status)")
        }
    }
}
