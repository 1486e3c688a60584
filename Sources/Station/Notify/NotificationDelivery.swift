import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization
import Tariffs
import Wakeup

/// Delivers the notification outbox to the webhook (`[notify] url`).
///
/// - Rows are written by the evaluation, in the transaction of the decision they report, whether
///   or not a webhook is configured (cheap, and an audit of what customers were told); this
///   service runs only when one is, and then delivers the backlog too.
/// - Oldest first, one at a time, each POSTed as JSON with `Idempotency-Key: <event_key>`, so a
///   receiver drops a retry whose first answer was lost (delivery is at least once; the key
///   makes it once for the customer).
/// - 2xx: delivered. No answer, 5xx, 408 or 429: the webhook is unavailable; the row backs off
///   and the others wait with it, so a dead gateway is tried once per back-off, not once per row.
///   Another status: that row backs off, the others go on.
/// - Nothing is dropped: back-off doubles up to a cap and stays there; every failure is logged
///   (a warning, an error from `alertAfter` failures on).
/// - One delivering process per database (rows are not leased).
///
/// ```swift
/// if let url = config.notify.url {
///     let delivery = NotificationDelivery(store: core.store, url: url, clock: core.clock, logger: logger)
///     group.addTask { await delivery.run() }   // returns when the task is cancelled
/// }
/// ```
public final class NotificationDelivery: Sendable {
    public let url: URL
    public let policy: NotificationRetryPolicy
    private let store: StationStore
    private let clock: any StationClock
    private let logger: Logger
    private let sender: any WebhookSender
    private let pollInterval: Duration
    private let batchSize: Int
    private let random: @Sendable () -> Double
    private let signal: WakeSignal
    /// A graceful shutdown asked it to stop after the delivery under way.
    private let stopping = Mutex(false)
    private let statsBox = NotificationStatsBox()

    /// - Parameters:
    ///   - url: the webhook.
    ///   - sender: how requests are sent (URLSession by default, 10 s timeout).
    ///   - pollInterval: the longest sleep between two looks at the outbox; `wake()` looks at once.
    ///   - batchSize: rows read per look.
    ///   - random: values in 0..<1 for the back-off jitter.
    ///   - signal: bumped when rows were written (`StationCore.outboxSignal`): the outbox is looked at once.
    public init(store: StationStore, url: URL, clock: any StationClock, logger: Logger,
                sender: any WebhookSender = URLSessionWebhookSender(), policy: NotificationRetryPolicy = NotificationRetryPolicy(),
                pollInterval: Duration = .seconds(1), batchSize: Int = 100,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, signal: WakeSignal = WakeSignal()) {
        self.signal = signal
        self.store = store
        self.url = url
        self.clock = clock
        self.logger = logger
        self.sender = sender
        self.policy = policy
        self.pollInterval = pollInterval
        self.batchSize = max(1, batchSize)
        self.random = random
    }

    /// The counters since start.
    public var stats: NotificationStats { statsBox.snapshot }

    /// Looks at the outbox at once (after an evaluation that may have written to it).
    public func wake() { signal.bump() }

    /// Delivers until a graceful shutdown (after the delivery under way) or cancellation.
    public func run() async {
        await withGracefulShutdownHandler {
            await deliverUntilStopped()
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
            self.signal.bump()
        }
    }

    private func deliverUntilStopped() async {
        var heldUntil: Date?
        while !Task.isCancelled && !stopping.withLock({ $0 }) {
            let seen = signal.generation
            let now = clock.now
            statsBox.update { $0.lastHeartbeat = now }
            var wake = now.adding(pollInterval)
            if let held = heldUntil, held > now {
                wake = min(wake, held)
            } else {
                heldUntil = nil
                do {
                    heldUntil = try await deliverDue(at: now)
                    if let held = heldUntil {
                        wake = min(wake, held)
                    } else if let next = try await store.nextNotificationDue() {
                        wake = min(wake, next)
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.error("cannot read the notification outbox", metadata: ["error": "\(error)"])
                }
            }
            await signal.wait(since: seen) { [clock, wake] in try? await clock.sleep(until: wake) }
        }
    }

    /// Delivers the due rows in order; returns the instant to hold back until if the webhook is
    /// unavailable.
    private func deliverDue(at now: Date) async throws -> Date? {
        for item in try await store.dueNotifications(at: now, limit: batchSize) {
            if Task.isCancelled { return nil }
            if let held = try await deliver(item) { return held }
        }
        return nil
    }

    /// One attempt; returns the next attempt if the webhook is unavailable.
    private func deliver(_ item: OutboxItem) async throws -> Date? {
        let request = WebhookRequest(url: url, body: Data(item.payload.utf8), idempotencyKey: item.eventKey)
        let verdict: NotificationRetryPolicy.Verdict
        do {
            verdict = NotificationRetryPolicy.verdict(status: try await sender.post(request))
        } catch {
            if Task.isCancelled { return nil }
            verdict = .unavailable("\(error)")
        }
        let now = clock.now
        var log = logger
        log[metadataKey: "event"] = "\(item.event)"
        log[metadataKey: "account"] = "\(item.accountID)"
        log[metadataKey: "event_key"] = "\(item.eventKey)"
        switch verdict {
        case .delivered:
            try await store.markNotificationDelivered(item.id, at: now)
            statsBox.update {
                $0.delivered += 1
                $0.lastDeliveredAt = now
            }
            log.info("notification delivered", metadata: ["attempt": "\(item.attempts + 1)"])
            return nil
        case .unavailable(let why), .rejected(let why):
            let next = policy.nextAttempt(afterFailures: item.attempts + 1, now: now, random: random())
            let failures = try await store.markNotificationFailed(item.id, error: why, next: next, at: now)
            statsBox.update {
                $0.failed += 1
                $0.lastError = why
            }
            let metadata: Logger.Metadata = [
                "attempts": "\(failures)", "error": "\(why)",
                "next_attempt": "\(RFC3339.format(next, in: TimeZone(identifier: "UTC") ?? .current))",
            ]
            log.log(level: failures >= policy.alertAfter ? .error : .warning,
                    "notification not delivered, retrying: \(why)", metadata: metadata)
            if case .unavailable = verdict { return next }
            return nil
        }
    }
}
