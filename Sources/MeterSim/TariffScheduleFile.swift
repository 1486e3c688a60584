import Foundation
import TOMLKit

/// Reads the register schedule out of a tariff file (INTERFACES.md "Tariff file"): only
/// `timezone` and the `[[periods]]` tables (`start = "HH:MM"`, `register = "sharp"|"peak"|"flat"|"valley"`).
///
/// Stand-in until the Tariffs module's parser can be used here; prices and tiers are ignored.
/// The time zone's current UTC offset is used as a fixed offset (Asia/Shanghai has no DST).
public enum TariffScheduleFile {
    /// Why a tariff file could not give a schedule; the description names the file and the problem.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let problem: String
        public var description: String { "tariff file \(path): \(problem)" }
    }

    /// Loads and parses the file at `path`.
    public static func load(path: String) throws(LoadError) -> DailyPeriodsSchedule {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LoadError(path: path, problem: "cannot read: \(error.localizedDescription)")
        }
        do {
            return try parse(text)
        } catch {
            throw LoadError(path: path, problem: error.problem)
        }
    }

    struct ParseProblem: Error { let problem: String }

    /// Parses tariff-file text into a schedule.
    public static func schedule(fromTOML text: String, name: String = "<text>") throws(LoadError) -> DailyPeriodsSchedule {
        do {
            return try parse(text)
        } catch {
            throw LoadError(path: name, problem: error.problem)
        }
    }

    private static func parse(_ text: String) throws(ParseProblem) -> DailyPeriodsSchedule {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ParseProblem(problem: "invalid TOML: \(error.debugDescription)")
        } catch {
            throw ParseProblem(problem: "invalid TOML: \(error)")
        }
        guard let zoneName = table["timezone"]?.string else {
            throw ParseProblem(problem: "key timezone: missing or not a string")
        }
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ParseProblem(problem: "key timezone: unknown time zone \"\(zoneName)\"")
        }
        guard let periodValues = table["periods"]?.array else {
            throw ParseProblem(problem: "key periods: missing; want [[periods]] tables with start and register")
        }
        var periods: [DailyPeriodsSchedule.Period] = []
        for (i, value) in periodValues.enumerated() {
            let key = "periods[\(i)]"
            guard let period = value.table else { throw ParseProblem(problem: "key \(key): not a table") }
            guard let start = period["start"]?.string, let minute = minuteOfDay(start) else {
                throw ParseProblem(problem: "key \(key).start: want \"HH:MM\"")
            }
            guard let name = period["register"]?.string, let register = TariffRegister.number(named: name) else {
                throw ParseProblem(problem: "key \(key).register: want one of sharp, peak, flat, valley")
            }
            periods.append(.init(startMinute: minute, register: register))
        }
        do {
            return try DailyPeriodsSchedule(periods: periods, utcOffsetSeconds: zone.secondsFromGMT())
        } catch {
            throw ParseProblem(problem: "key periods: \(error)")
        }
    }

    /// `"HH:MM"` → minute of the day.
    static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m)
        else { return nil }
        return h * 60 + m
    }
}
