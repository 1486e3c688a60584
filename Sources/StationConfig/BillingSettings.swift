import ChargeControl

/// `[billing]`: how statements cut the months.
public struct BillingSettings: Sendable, Hashable {
    /// The day of the month a billing month starts on, at 00:00 in the station's zone
    /// (`reading_day`, 1...28: every month has the day). Default 1.
    public var readingDay: Int

    public init(readingDay: Int = 1) {
        self.readingDay = readingDay
    }

    static let keys = ["reading_day"]

    static func read(_ root: Section, _ reader: TableReader) -> BillingSettings {
        let section = reader.section(root, "billing", known: keys)
        let fallback = BillingSettings()
        let day = reader.integer(section, "reading_day", default: fallback.readingDay, minimum: BillingCalendar.readingDays.lowerBound)
        guard day <= BillingCalendar.readingDays.upperBound else {
            reader.report(section.key("reading_day"),
                          "\(day) is too large; want a day from 1 to \(BillingCalendar.readingDays.upperBound), one every month has")
            return fallback
        }
        return BillingSettings(readingDay: day)
    }
}
