/// Which tariff register a meter's consumption runs into, over time.
public protocol RegisterSchedule: Sendable {
    /// The register (1 sharp, 2 peak, 3 flat, 4 valley) in force at `unixSecond`, and the first
    /// unix second at which that period no longer applies (`Int64.max` when it never ends).
    func period(at unixSecond: Int64) -> (register: Int, until: Int64)
}

/// Tariff register numbers and their names in tariff files and the admin API.
public enum TariffRegister {
    /// Register 1, 尖.
    public static let sharp = 1
    /// Register 2, 峰.
    public static let peak = 2
    /// Register 3, 平: where consumption goes when there is no schedule.
    public static let flat = 3
    /// Register 4, 谷.
    public static let valley = 4

    /// Register names, index 0 = register 1.
    public static let names = ["sharp", "peak", "flat", "valley"]

    /// The register number for a name (`"peak"` → 2), or nil.
    public static func number(named name: String) -> Int? {
        names.firstIndex(of: name).map { $0 + 1 }
    }
}

/// Everything into one register (flat unless told otherwise), forever.
public struct FlatSchedule: RegisterSchedule {
    /// The register that always runs.
    public let register: Int

    /// A schedule that always names `register` (default flat).
    public init(register: Int = TariffRegister.flat) {
        self.register = register
    }

    public func period(at unixSecond: Int64) -> (register: Int, until: Int64) {
        (register, Int64.max)
    }
}

/// A daily time-of-use schedule: each period starts at a minute of the day (in a fixed UTC
/// offset) and runs until the next period's start, wrapping at midnight.
public struct DailyPeriodsSchedule: RegisterSchedule {
    /// One period: from `startMinute` (0..<1440) of the local day, `register` (1...4) runs.
    public struct Period: Sendable, Hashable {
        public var startMinute: Int
        public var register: Int

        /// A period starting at `startMinute` of the local day.
        public init(startMinute: Int, register: Int) {
            self.startMinute = startMinute
            self.register = register
        }
    }

    /// Why a list of periods is not a schedule.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case noPeriods
        case startOutOfRange(minute: Int)
        case registerOutOfRange(register: Int)
        case duplicateStart(minute: Int)

        public var description: String {
            switch self {
            case .noPeriods: "no periods"
            case .startOutOfRange(let m): "period start minute \(m) is not within 0..<1440"
            case .registerOutOfRange(let r): "register \(r) is not within 1...4"
            case .duplicateStart(let m): "two periods start at minute \(m)"
            }
        }
    }

    /// The periods, sorted by start.
    public let periods: [Period]
    /// Seconds east of UTC of the schedule's local time (fixed: no daylight saving).
    public let utcOffsetSeconds: Int64

    /// Validates and sorts `periods`.
    public init(periods: [Period], utcOffsetSeconds: Int) throws(Problem) {
        guard !periods.isEmpty else { throw .noPeriods }
        let sorted = periods.sorted { $0.startMinute < $1.startMinute }
        for (i, p) in sorted.enumerated() {
            guard (0..<1440).contains(p.startMinute) else { throw .startOutOfRange(minute: p.startMinute) }
            guard (1...4).contains(p.register) else { throw .registerOutOfRange(register: p.register) }
            if i > 0, sorted[i - 1].startMinute == p.startMinute { throw .duplicateStart(minute: p.startMinute) }
        }
        self.periods = sorted
        self.utcOffsetSeconds = Int64(utcOffsetSeconds)
    }

    public func period(at unixSecond: Int64) -> (register: Int, until: Int64) {
        let local = unixSecond + utcOffsetSeconds
        let secondOfDay = floorMod(local, 86_400)
        let dayStartUTC = local - secondOfDay - utcOffsetSeconds
        // The last period starting at or before now; before the first start, yesterday's last runs.
        var index = periods.count - 1
        for (i, p) in periods.enumerated() where Int64(p.startMinute) * 60 <= secondOfDay { index = i }
        let next = index + 1 < periods.count && Int64(periods[index + 1].startMinute) * 60 > secondOfDay
            ? Int64(periods[index + 1].startMinute) * 60
            : Int64(periods[0].startMinute) * 60 + (Int64(periods[0].startMinute) * 60 > secondOfDay ? 0 : 86_400)
        return (periods[index].register, dayStartUTC + next)
    }
}

@inline(__always)
func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
    let r = a % b
    return r < 0 ? r + b : r
}
