/// The line's injected clock with its type erased, measured as durations since the line was
/// created. The state machine then deals in plain `Duration`s, and any `Clock<Duration>` (a test
/// clock that tests advance by hand included) can drive the line.
struct LineClock: Sendable {
    /// Time elapsed since the line was created.
    let now: @Sendable () -> Duration
    /// Sleeps until `now()` reaches the given value; throws when cancelled.
    let sleepUntil: @Sendable (Duration) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let epoch = clock.now
        now = { epoch.duration(to: clock.now) }
        sleepUntil = { try await clock.sleep(until: epoch.advanced(by: $0), tolerance: nil) }
    }
}
