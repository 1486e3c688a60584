import Dispatch
import Synchronization

/// Keeps systemd from killing a start that is slow for a good reason (a schema migration of a
/// large database): sends `EXTEND_TIMEOUT_USEC=` at once and then every `period` until stopped,
/// each asking for `step` more from that moment, with a `STATUS=` line saying why.
///
/// The unit's `TimeoutStartSec=` still bounds a start that hangs before or after the work: the
/// extension lasts only while the work runs. The timer runs on its own queue, so the messages go
/// out while the work blocks the calling thread.
public final class StartTimeoutExtension: Sendable {
    private let timer: Mutex<(any DispatchSourceTimer)?>

    /// Starts extending. `step` should exceed `period` with room to spare (systemd counts
    /// from each message's arrival).
    public init(notifier: ServiceNotifier, status: String, step: Duration = .seconds(90), period: Duration = .seconds(30)) {
        let usec = step.components.seconds * 1_000_000 + step.components.attoseconds / 1_000_000_000_000
        let message = "EXTEND_TIMEOUT_USEC=\(usec)\nSTATUS=\(status)"
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "chargecontrol.start-timeout"))
        let periodMillis = Int(period.components.seconds * 1000 + period.components.attoseconds / 1_000_000_000_000_000)
        // The first one now, from here: work that ends before the timer's first turn still told systemd.
        notifier.send(message)
        timer.schedule(deadline: .now() + .milliseconds(max(1, periodMillis)), repeating: .milliseconds(max(1, periodMillis)))
        timer.setEventHandler { notifier.send(message) }
        timer.resume()
        self.timer = Mutex(Optional(timer))
    }

    /// The work is done: no more extensions.
    public func stop() { timer.withLock { $0?.cancel() } }
}
