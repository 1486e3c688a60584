/// Exponential back-off between reconnection attempts, with jitter.
///
/// The delay before reconnect attempt `n` (after `n` failed attempts since the last successful
/// connection; `n` = 0 right after a connection is lost) is `initial × 2ⁿ`, capped at `maximum`,
/// then shortened by up to `jitter` of itself. Jitter only ever shortens the delay, so `maximum`
/// really is the longest wait, and many lines that lost their terminals together (a switch
/// reboot) do not all retry in the same instant.
public struct Backoff: Hashable, Sendable {
    /// The delay after a lost connection, and the base of the doubling.
    public var initial: Duration
    /// The longest delay between two attempts.
    public var maximum: Duration
    /// The fraction (0...1) of a delay that the random source may take off it.
    public var jitter: Double

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay after `failures` failed attempts, given `random` in 0..<1 from the line's
    /// random source.
    public func delay(afterFailures failures: Int, random: Double) -> Duration {
        // Double until the cap; counting the doublings avoids overflowing Duration.
        var base = initial
        var n = 0
        while n < failures && base < maximum {
            base *= 2
            n += 1
        }
        base = min(base, maximum)
        let r = min(max(random, 0), 1)
        return base * (1 - jitter * r)
    }
}
