import Foundation

/// How often one class of meters is read: the collection side of `StationConfig`'s
/// `CollectionStrategy` (named apart so the daemon, which imports both, needs no qualification).
public struct ReadingStrategy: Sendable, Hashable {
    /// How often each meter is read.
    public var interval: Duration
    /// Each read starts up to this much after its slot, at random; shorter than `interval`.
    public var jitter: Duration
    /// A meter (or terminal) whose last good read is older than this is stale / offline.
    public var staleness: Duration

    /// `staleness` defaults to four intervals, as in the configuration.
    public init(interval: Duration = .seconds(900), jitter: Duration = .zero, staleness: Duration? = nil) {
        self.interval = interval
        self.jitter = jitter
        self.staleness = staleness ?? interval * 4
    }

    /// Every 15 minutes, no jitter, stale after an hour.
    public static let standard = ReadingStrategy()
}

/// When a meter is read: pure arithmetic on the meter's address and the strategy.
///
/// Each meter has a fixed **slot**: an offset within the interval taken from a hash of its
/// address, so a terminal's meters (and the station's) are spread evenly and deterministically
/// over the interval, the same after every restart. Slots repeat every interval on the
/// Unix-epoch-aligned grid: slot k of a meter is `k × interval + offset`. Jitter, when
/// configured, adds a random delay in `0..<jitter` to each slot from the injected source.
public struct CollectionSchedule: Sendable {
    public let strategy: ReadingStrategy
    private let random: @Sendable () -> Double
    let intervalMillis: Int64
    let jitterMillis: Int64

    /// - Parameter random: values in `0..<1` for the jitter.
    public init(strategy: ReadingStrategy, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.strategy = strategy
        self.random = random
        intervalMillis = max(1, Self.millis(strategy.interval))
        jitterMillis = min(max(0, Self.millis(strategy.jitter)), intervalMillis - 1)
    }

    /// The meter's slot offset within the interval, in milliseconds (`0..<interval`).
    public func offsetMillis(of meter: String) -> Int64 {
        Int64(Self.hash(meter) % UInt64(intervalMillis))
    }

    /// The meter's slot offset within the interval.
    public func offset(of meter: String) -> Duration { .milliseconds(offsetMillis(of: meter)) }

    /// The meter's first slot strictly after `date`, plus jitter: when it is next due.
    public func nextDue(for meter: String, after date: Date) -> Date {
        let base = nextSlotMillis(for: meter, after: Self.millis(date))
        let jitter = jitterMillis == 0 ? 0 : Int64((random() * Double(jitterMillis)).rounded(.down))
        return Date(timeIntervalSince1970: TimeInterval(base + min(max(0, jitter), jitterMillis)) / 1000)
    }

    /// When a meter is due again after its read (due at `due`) ended at `end`: the next slot
    /// after both, and, when the read gave a reading collected at `collectedAt`, in a later whole
    /// second than that reading. Readings are validated to the second, so a late read whose next
    /// slot follows within the same second would otherwise make a duplicate (abnormal) reading.
    public func nextDue(for meter: String, afterReadDue due: Date, endedAt end: Date, collectedAt: Date?) -> Date {
        var after = max(end, due)
        if let collectedAt {
            // Half a millisecond short of the next second: whole milliseconds floor to …999, and
            // the next slot lies strictly after that.
            after = max(after, Date(timeIntervalSince1970: collectedAt.timeIntervalSince1970.rounded(.down) + 0.9995))
        }
        return nextDue(for: meter, after: after)
    }

    /// The index of the interval (on the epoch-aligned grid) that holds `date`.
    public func cycle(containing date: Date) -> Int64 {
        Self.floorDiv(Self.millis(date), intervalMillis)
    }

    /// The start of interval `cycle` on the epoch-aligned grid.
    public func start(ofCycle cycle: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(cycle * intervalMillis) / 1000)
    }

    func nextSlotMillis(for meter: String, after t: Int64) -> Int64 {
        let offset = offsetMillis(of: meter)
        return (Self.floorDiv(t - offset, intervalMillis) + 1) * intervalMillis + offset
    }

    // MARK: arithmetic

    static func millis(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    static func millis(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// FNV-1a over the address text, then the SplitMix64 finaliser so that consecutive
    /// addresses (the usual case) land far apart. Stable across processes, unlike `Hasher`.
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01B3
        }
        h ^= h >> 30
        h &*= 0xBF58_476D_1CE4_E5B9
        h ^= h >> 27
        h &*= 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        return h
    }
}
