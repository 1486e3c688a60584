import Foundation

/// How much of the controlled meters the collector has read within their interval, per
/// customer class, and which have not been (`/v1/stats`, `/metrics`, systemd's `STATUS=`).
///
/// Computed from the collector's in-memory last good read of each meter it schedules, never by
/// scanning the readings table. A meter counts as read within its interval when its last good
/// read is no older than its class's `coverageWindow`; a meter not read since it was scheduled
/// (a start, a new account) counts from then, so a restart does not show everything stale.
public struct CollectionCoverage: Sendable, Hashable {
    /// The meters of one customer class.
    public struct ClassCoverage: Sendable, Hashable {
        /// Meters of the class the collector schedules.
        public var meters = 0
        /// Those read within their interval.
        public var read = 0
        /// The class's interval (`[collection.classes.NAME] interval`, else `[collection]`'s).
        public var interval: Duration = .zero

        /// `read ÷ meters`; 1 for a class with no meters.
        public var ratio: Double { meters == 0 ? 1 : Double(read) / Double(meters) }
    }

    /// The label of meters without a customer class.
    public static let defaultClass = "default"

    /// By customer class (`defaultClass` for accounts without one).
    public var classes: [String: ClassCoverage] = [:]
    /// Meters not read within their interval, all classes.
    public var staleCount = 0
    /// The first stale meters' addresses, in address order (at most the limit asked for).
    public var stale: [String] = []

    public init() {}

    /// All classes together: read ÷ meters (1 with no meters).
    public var ratio: Double {
        let meters = classes.values.map(\.meters).reduce(0, +)
        return meters == 0 ? 1 : Double(classes.values.map(\.read).reduce(0, +)) / Double(meters)
    }

    /// The systemd `STATUS=` part: `coverage 99.5% (3 stale)`.
    public var statusText: String {
        "coverage \((ratio * 100).formatted(.number.precision(.fractionLength(1))))% (\(staleCount) stale)"
    }
}

extension ReadingStrategy {
    /// How old a meter's last good read may be and the meter still count as read within its
    /// interval: the interval, its jitter, and a tenth of the interval for the read itself and the
    /// line's queue (a read due at its slot ends a little after it).
    public var coverageWindow: Duration { interval + jitter + interval / 10 }
}

/// Adds meters up into a `CollectionCoverage`, keeping only the first `staleLimit` stale addresses.
struct CoverageTally {
    let now: Date
    let staleLimit: Int
    private(set) var coverage = CollectionCoverage()
    private var staleAddresses: [String] = []

    init(at now: Date, staleLimit: Int) {
        self.now = now
        self.staleLimit = max(0, staleLimit)
    }

    /// One scheduled meter: its class, strategy, when it was scheduled and its last good read.
    mutating func add(meter: String, customerClass: String?, strategy: ReadingStrategy, since: Date, lastRead: Date?) {
        let name = customerClass ?? CollectionCoverage.defaultClass
        var c = coverage.classes[name, default: .init()]
        c.meters += 1
        c.interval = strategy.interval
        let age = now.timeIntervalSince(lastRead ?? since)
        if age <= strategy.coverageWindow.inSeconds {
            c.read += 1
        } else {
            coverage.staleCount += 1
            staleAddresses.append(meter)
            // Bounded: keep the smallest addresses, trimming when twice the limit has piled up.
            if staleAddresses.count >= 2 * max(1, staleLimit) { trim() }
        }
        coverage.classes[name] = c
    }

    private mutating func trim() {
        staleAddresses.sort()
        staleAddresses.removeLast(max(0, staleAddresses.count - staleLimit))
    }

    /// The totals and the first stale addresses.
    mutating func result() -> CollectionCoverage {
        trim()
        coverage.stale = staleAddresses
        return coverage
    }
}
