import Foundation
import Synchronization

/// The simulator's notion of "now": unix milliseconds of simulated time.
///
/// Everything time-dependent (consumption, meter clocks, validity deadlines) reads the time
/// through this protocol, so tests can run hours of simulated time instantly and deterministically.
public protocol SimClock: Sendable {
    /// Simulated unix time in milliseconds: what consumption runs on.
    func nowMilliseconds() -> Int64
    /// The unix time meters show on their own clocks (date/time reads, validity deadlines). Real
    /// meters keep real time however fast the simulation consumes, so a sped-up simulator must
    /// not make every reading look clock-skewed to the station. Defaults to simulated time.
    func civilMilliseconds() -> Int64
}

extension SimClock {
    public func civilMilliseconds() -> Int64 { nowMilliseconds() }

    /// Civil unix time in whole seconds (rounded down).
    public func civilSeconds() -> Int64 {
        let ms = civilMilliseconds()
        return ms >= 0 ? ms / 1000 : (ms - 999) / 1000
    }

    /// Simulated unix time in whole seconds (rounded down).
    public func nowSeconds() -> Int64 {
        let ms = nowMilliseconds()
        return ms >= 0 ? ms / 1000 : (ms - 999) / 1000
    }
}

/// Wall-clock time sped up by `timeScale`: simulated time starts at the wall time of creation and
/// then runs `timeScale` times faster than real time.
public struct ScaledWallClock: SimClock {
    private let startWallMilliseconds: Int64
    private let startMonotonicNanoseconds: UInt64
    /// How many simulated seconds pass per real second.
    public let timeScale: Double

    /// A clock starting at the current wall time, running `timeScale` times faster.
    public init(timeScale: Double = 1) {
        self.timeScale = timeScale
        startWallMilliseconds = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        startMonotonicNanoseconds = DispatchTime.now().uptimeNanoseconds
    }

    public func nowMilliseconds() -> Int64 {
        let elapsedNanoseconds = DispatchTime.now().uptimeNanoseconds &- startMonotonicNanoseconds
        // Time scaling is not money or energy: a Double is fine here.
        let scaledMilliseconds = Double(elapsedNanoseconds) / 1_000_000 * timeScale
        return startWallMilliseconds + Int64(scaledMilliseconds.rounded(.down))
    }

    /// Meter clocks keep real wall time.
    public func civilMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// A clock that moves only when told to: for tests.
public final class ManualClock: SimClock {
    private let milliseconds: Mutex<Int64>

    /// A clock standing at `unixSeconds`.
    public init(unixSeconds: Int64) {
        milliseconds = Mutex(unixSeconds * 1000)
    }

    public func nowMilliseconds() -> Int64 { milliseconds.withLock { $0 } }

    /// Moves the clock forward (or back) by `seconds`.
    public func advance(seconds: Int64) {
        milliseconds.withLock { $0 += seconds * 1000 }
    }

    /// Sets the clock to `unixSeconds`.
    public func set(unixSeconds: Int64) {
        milliseconds.withLock { $0 = unixSeconds * 1000 }
    }
}
