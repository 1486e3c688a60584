import Foundation

/// A tariff: register prices by effective instant, the daily time-of-use schedule, and annual
/// tiers, all in one time zone. Built from a tariff file (``Tariff/parse(_:file:)``) or in code.
public struct Tariff: Sendable, Equatable {
    /// Why the parts do not make a tariff.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case noPrices
        case duplicateEffective(Date)

        public var description: String {
            switch self {
            case .noPrices: return "no prices; at least one [[prices]] table is required"
            case .duplicateEffective(let instant):
                return "two price versions take effect at \(RFC3339.format(instant, in: TimeZone(identifier: "UTC") ?? .current))"
            }
        }
    }

    /// The tariff's name; accounts refer to it.
    public let name: String
    /// The zone of the schedule's times of day and of the tier year start.
    public let timeZone: TimeZone
    /// Price versions, oldest first.
    public let priceVersions: [PriceVersion]
    /// The daily time-of-use schedule.
    public let schedule: TimeOfUseSchedule
    /// The annual steps.
    public let tiers: AnnualTiers

    /// Effective instants of `priceVersions` in Unix seconds, for the rater's searches.
    package let effectiveSeconds: [Int64]
    package let tierYears: TierYears

    /// A tariff; price versions may come in any order but no two may share an effective instant.
    public init(
        name: String, timeZone: TimeZone, priceVersions: [PriceVersion],
        schedule: TimeOfUseSchedule, tiers: AnnualTiers
    ) throws(Problem) {
        guard !priceVersions.isEmpty else { throw .noPrices }
        let sorted = priceVersions.sorted { $0.effective < $1.effective }
        let seconds = sorted.map(\.effective.unixSeconds)
        for index in seconds.indices.dropFirst() where seconds[index] == seconds[index - 1] {
            throw .duplicateEffective(sorted[index].effective)
        }
        self.name = name
        self.timeZone = timeZone
        self.priceVersions = sorted
        self.schedule = schedule
        self.tiers = tiers
        self.effectiveSeconds = seconds
        self.tierYears = TierYears(yearStart: tiers.yearStart, zone: timeZone)
    }

    public static func == (lhs: Tariff, rhs: Tariff) -> Bool {
        lhs.name == rhs.name && lhs.timeZone == rhs.timeZone && lhs.priceVersions == rhs.priceVersions
            && lhs.schedule == rhs.schedule && lhs.tiers == rhs.tiers
    }

    /// The price version in force at `instant` (the newest one effective at or before it), or
    /// `nil` before the first one.
    public func prices(at instant: Date) -> PriceVersion? {
        versionIndex(at: instant.unixSeconds).map { priceVersions[$0] }
    }

    /// The tier year containing `instant`: from its `year_start` (inclusive) to the next one.
    public func tierYear(containing instant: Date) -> (start: Date, end: Date) {
        let year = tierYears.year(containing: instant.unixSeconds)
        return (Date(unixSeconds: year.start), Date(unixSeconds: year.end))
    }

    /// Index of the version in force at `seconds`; versions are few, so a linear scan from the
    /// newest is faster than a binary search in practice.
    package func versionIndex(at seconds: Int64) -> Int? {
        var index = effectiveSeconds.count - 1
        while index >= 0 {
            if effectiveSeconds[index] <= seconds { return index }
            index -= 1
        }
        return nil
    }
}
