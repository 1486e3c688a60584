import SeededRandom
/// How meters consume: a per-meter load and the register schedule, applied lazily.
///
/// Registers move only when a meter is looked at (a read, a command, an admin call): the
/// consumption since `lastUpdate` is computed then, split at every schedule boundary so each
/// slice lands in the register in force, and whole hundredths are added while the remainder is
/// carried in watt-seconds, so nothing is lost to rounding.
public struct ConsumptionModel: Sendable {
    /// Which register runs when.
    public let schedule: any RegisterSchedule

    /// A model attributing consumption by `schedule`.
    public init(schedule: any RegisterSchedule) {
        self.schedule = schedule
    }

    /// Watt-seconds in a hundredth of a kWh.
    static let wattSecondsPerHundredth: Int64 = 36_000

    /// Advances `meter` to `now` (simulated unix seconds) at `watts`. The schedule is consulted in
    /// the meter's own clock, its `clockOffset` seconds ahead of simulated time. A meter whose
    /// relay is not closed consumes nothing; time never runs backwards.
    public func advance(_ meter: inout MeterState, to now: Int64, watts: Int64) {
        guard now > meter.lastUpdate else { return }
        let clockOffset = Int64(meter.clockOffset)
        guard meter.relay == .closed, watts > 0 else {
            meter.lastUpdate = now
            return
        }
        var t = meter.lastUpdate
        var carry = Int64(meter.carryWattSeconds)
        while t < now {
            let (register, until) = schedule.period(at: t + clockOffset)
            let end = until == Int64.max ? now : min(now, max(until - clockOffset, t + 1))
            let wattSeconds = watts * (end - t) + carry
            meter[register: register] += wattSeconds / ConsumptionModel.wattSecondsPerHundredth
            carry = wattSeconds % ConsumptionModel.wattSecondsPerHundredth
            t = end
        }
        meter.carryWattSeconds = UInt16(carry)
        meter.lastUpdate = now
    }
}

/// Per-meter loads: the configured average, varied per meter between 50 % and 150 %
/// deterministically from the seed and the meter's index.
public struct LoadProfile: Sendable, Hashable {
    /// Average load over all meters, in watts.
    public let averageWatts: Int64
    /// Seed of the per-meter variation.
    public let seed: UInt64

    /// A profile around `averageWatts`.
    public init(averageWatts: Int64, seed: UInt64) {
        self.averageWatts = averageWatts
        self.seed = seed
    }

    /// The load of meter `index` (0-based over the whole simulator), in watts.
    @inlinable
    public func watts(meter index: Int) -> Int64 {
        var rng = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15))
        // 500…1500 per mille: averages to 1000 ‰ over many meters.
        let permille = 500 + Int64(rng.next() % 1001)
        return averageWatts * permille / 1000
    }
}
