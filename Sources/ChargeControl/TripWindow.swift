import Tariffs

/// A day of the week, Monday first (ISO 8601).
public enum Weekday: Int, Sendable, Hashable, Codable, CaseIterable {
    case monday = 0, tuesday, wednesday, thursday, friday, saturday, sunday

    /// The three-letter name used in window strings (`Mon`).
    public var abbreviation: String {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][rawValue]
    }

    init?(abbreviation: Substring) {
        guard let found = Self.allCases.first(where: { $0.abbreviation.lowercased() == abbreviation.lowercased() }) else {
            return nil
        }
        self = found
    }

    /// The weekday of local day number `day` (1970-01-01, day 0, was a Thursday).
    package init(dayNumber day: Int64) {
        let index = Int(((day + 3) % 7 + 7) % 7)
        self = Self.allCases[index]
    }
}

/// Hours of given weekdays during which trips may be carried out, in the station's zone:
/// `"Mon-Fri 08:00-16:00"`, `"Sat 00:00-24:00"`, `"Mon,Wed,Fri 09:00-12:00"`.
public struct TripWindow: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Why a window string is malformed.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case malformed(String)
        case unknownDay(String)
        case badTime(String)
        case emptyRange(String)

        public var description: String {
            switch self {
            case .malformed(let text):
                return "\"\(text)\" is not a window like \"Mon-Fri 08:00-16:00\""
            case .unknownDay(let day):
                return "unknown day \"\(day)\"; expected Mon, Tue, Wed, Thu, Fri, Sat or Sun"
            case .badTime(let time):
                return "\"\(time)\" is not a time \"HH:MM\" from 00:00 to 24:00"
            case .emptyRange(let text):
                return "\"\(text)\" ends before it starts; split a window across midnight into two"
            }
        }
    }

    /// The weekdays the window applies to.
    public let days: Set<Weekday>
    /// Opening time of day (inclusive).
    public let start: MinuteOfDay
    /// Closing time of day (exclusive); 24:00 is the end of the day.
    public let end: MinuteOfDay

    /// A window on `days` from `start` to `end` (start before end).
    public init(days: Set<Weekday>, start: MinuteOfDay, end: MinuteOfDay) throws(Problem) {
        guard !days.isEmpty else { throw .malformed("") }
        guard start < end else { throw .emptyRange("\(start)-\(end)") }
        self.days = days
        self.start = start
        self.end = end
    }

    /// Parses `DAYS HH:MM-HH:MM` where DAYS is a comma list of days or day ranges (`Mon-Fri`,
    /// `Sat,Sun`; a range may wrap: `Fri-Mon`).
    public init(_ text: String) throws(Problem) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 2 else { throw .malformed(text) }
        var days = Set<Weekday>()
        for item in fields[0].split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2 else { throw .malformed(text) }
            guard let first = Weekday(abbreviation: bounds[0]) else { throw .unknownDay(String(bounds[0])) }
            guard let last = Weekday(abbreviation: bounds[bounds.count - 1]) else {
                throw .unknownDay(String(bounds[bounds.count - 1]))
            }
            var day = first.rawValue
            while true {
                days.insert(Weekday.allCases[day])
                if day == last.rawValue { break }
                day = (day + 1) % 7
            }
        }
        let times = fields[1].split(separator: "-", omittingEmptySubsequences: false)
        guard times.count == 2 else { throw .malformed(text) }
        guard let start = MinuteOfDay(String(times[0])) else { throw .badTime(String(times[0])) }
        guard let end = MinuteOfDay(String(times[1]), allowEndOfDay: true) else { throw .badTime(String(times[1])) }
        guard start < end else { throw .emptyRange(String(fields[1])) }
        self.days = days
        self.start = start
        self.end = end
    }

    public var description: String {
        let names = Weekday.allCases.filter(days.contains).map(\.abbreviation).joined(separator: ",")
        return "\(names) \(start)-\(end)"
    }
}
