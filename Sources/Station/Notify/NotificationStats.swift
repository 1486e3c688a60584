import Foundation
import Synchronization

/// The delivery service's counters since it started.
public struct NotificationStats: Sendable, Hashable {
    /// Notifications the webhook took.
    public var delivered = 0
    /// Failed attempts (each is retried).
    public var failed = 0
    public var lastDeliveredAt: Date?
    public var lastError: String?
    /// The last time the loop looked at the outbox.
    public var lastHeartbeat: Date?

    public init() {}
}

final class NotificationStatsBox: Sendable {
    private let value = Mutex(NotificationStats())
    var snapshot: NotificationStats { value.withLock { $0 } }
    func update(_ body: (inout NotificationStats) -> Void) { value.withLock { body(&$0) } }
}
