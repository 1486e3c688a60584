import ChargeControl
import Foundation
import Logging
import Prometheus
import Store

/// What the dispatcher calls after the store has recorded a command as acknowledged: the
/// command as it was claimed and the acknowledgement instant (station clock).
public typealias CommandAcknowledgedObserver = @Sendable (_ command: CommandRecord, _ acknowledgedAt: Date) async -> Void

/// The payment → reconnection latency: for each acknowledged allow-close or direct close, the
/// time from the receipt of the payment that caused it to the meter's acknowledgement.
///
/// The cause is the account's latest payment received at or before the command was created,
/// and at most `causeWindow` before it: a payment's transaction queues the reconnection at the
/// instant the payment is received, so an older payment did not cause this command (an
/// operator's change, or a reconnection decided from a reading). Those are counted in
/// `chargecontrol_reconnections_without_payment_total` instead. A reconnection kept from before
/// a later payment is measured from the earlier payment that queued it.
///
/// ```swift
/// let latency = PaymentLatencyRecorder(store: store)
/// let dispatcher = Dispatcher(..., onAcknowledged: latency.commandAcknowledged)
/// ```
public final class PaymentLatencyRecorder: Sendable {
    /// Histogram buckets in seconds, suited to a sub-second goal with a tail for retries.
    public static let buckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    /// Holds the histogram and the counter; emitted on every scrape.
    let registry = PrometheusCollectorRegistry()
    private let store: StationStore
    private let causeWindow: Duration
    private let logger: Logger
    private let histogram: ValueHistogram
    private let withoutPayment: Counter

    public init(store: StationStore, causeWindow: Duration = .seconds(60),
                logger: Logger = Logger(label: "chargecontrol.metrics")) {
        self.store = store
        self.causeWindow = causeWindow
        self.logger = logger
        histogram = registry.makeValueHistogram(descriptor: StationMetric.paymentLatency.descriptor, labels: [],
                                                buckets: Self.buckets)
        withoutPayment = registry.makeCounter(descriptor: StationMetric.reconnectionsWithoutPayment.descriptor, labels: [])
    }

    /// The observer to give the dispatcher (`CommandAcknowledgedObserver`): looks up the payment
    /// behind an acknowledged reconnection and records the latency; other kinds are ignored.
    /// Never throws: a failed lookup is logged and the command counted as without payment.
    public func commandAcknowledged(_ command: CommandRecord, at acknowledgedAt: Date) async {
        guard command.kind == .allowClose || command.kind == .directClose else { return }
        let received: Date?
        do {
            received = try await store.latestPaymentReceived(
                account: command.accountID, from: command.createdAt.addingTimeInterval(-causeWindow.inSeconds),
                through: command.createdAt)
        } catch {
            logger.warning("cannot look up the payment behind a reconnection", metadata: [
                "command_id": "\(command.id)", "account": "\(command.accountID)", "error": "\(error)",
            ])
            received = nil
        }
        guard let received else {
            withoutPayment.increment()
            return
        }
        observe(seconds: acknowledgedAt.timeIntervalSince(received))
    }

    /// Records one latency (negative values, from a clock step, count as 0).
    public func observe(seconds: Double) {
        histogram.record(max(0, seconds))
    }
}
