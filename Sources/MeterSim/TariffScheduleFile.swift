import Foundation
import Tariffs

/// The register schedule of a tariff file, read with the station's own parser (Tariffs), so the
/// simulator accepts exactly the files the daemon accepts and follows the same periods, in the
/// tariff's time zone (daylight saving included).
public struct TariffFileSchedule: RegisterSchedule {
    public let schedule: TimeOfUseSchedule
    /// The whole tariff, for its prices.
    public let tariff: Tariff

    public init(_ tariff: Tariff) {
        self.tariff = tariff
        schedule = tariff.schedule
    }

    public func period(at unixSecond: Int64) -> (register: Int, until: Int64) {
        let (register, until) = schedule.period(at: Date(unixSeconds: unixSecond))
        return (register.rawValue, until.unixSeconds)
    }

    public func prices(at unixSecond: Int64) -> PerRegister<Price>? {
        tariff.prices(at: Date(unixSeconds: unixSecond))?.prices
    }
}

/// Loading `--tariff FILE`.
public enum TariffScheduleFile {
    /// Why a tariff file could not give a schedule; the description names the file, the key and
    /// the problem (it is the Tariffs parser's own message).
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Loads and validates the tariff file at `path`.
    public static func load(path: String) throws(LoadError) -> TariffFileSchedule {
        do {
            return TariffFileSchedule(try Tariff.load(path: path))
        } catch {
            throw LoadError(description: "tariff file \(error.description)")
        }
    }

    /// Parses tariff-file text (`name` stands for the file in messages).
    public static func schedule(fromTOML text: String, name: String = "<text>") throws(LoadError) -> TariffFileSchedule {
        do {
            return TariffFileSchedule(try Tariff.parse(text, file: name))
        } catch {
            throw LoadError(description: "tariff file \(error.description)")
        }
    }
}
