import ChargeControl
import Foundation
import Tariffs

/// `[control]`: the station's default thresholds, its trip windows and holidays, and optional
/// thresholds per customer class in `[control.classes.NAME]`.
///
/// ```toml
/// [control]
/// alarm_yuan = "20.00"
/// trip_yuan = "0.00"                 # may be negative: friendly credit
/// reconnect_margin_yuan = "5.00"
/// alarm2_yuan = "10.00"              # the meter's alarm limit 2; default half alarm_yuan
/// trip_windows = ["Mon-Fri 08:00-16:00"]
/// holidays = ["2026-10-01"]
///
/// [control.classes.hospital]
/// protected = true                   # keep power, never trip
/// ```
///
/// A class's missing keys come from `[control]`; an account may override further.
public struct ControlConfiguration: Sendable, Hashable {
    /// Thresholds of accounts whose class has no table. Defaults: alarm 20.00, trip 0.00,
    /// reconnect margin 5.00, not protected.
    public var defaults: ControlSettings
    /// Thresholds by customer class name.
    public var classes: [String: ControlSettings]
    /// When trips may be carried out, in the station's zone. Default `Mon-Fri 08:00-16:00`, no holidays.
    public var calendar: TripCalendar
    /// The alarm amount limit 2 pushed into enrolled meters (`04001002`); nil: half the account's
    /// alarm threshold.
    public var alarm2: Money? = nil

    /// The settings for an account of customer class `name` (`defaults` for nil or an unlisted class).
    public func settings(forClass name: String?) -> ControlSettings {
        name.flatMap { classes[$0] } ?? defaults
    }

    static let keys = ["alarm_yuan", "trip_yuan", "reconnect_margin_yuan", "alarm2_yuan", "trip_windows", "holidays", "classes"]
    static let classKeys = ["alarm_yuan", "trip_yuan", "reconnect_margin_yuan", "protected"]
    static let defaultWindows = ["Mon-Fri 08:00-16:00"]

    static func read(_ root: Section, _ reader: TableReader, timeZone: TimeZone) -> ControlConfiguration? {
        let section = reader.section(root, "control", known: keys)
        let builtIn = (alarm: Money(microYuan: 20_000_000), trip: Money.zero, margin: Money(microYuan: 5_000_000), protected: false)
        let defaults = settings(section, reader, inherited: builtIn)
        var classes: [String: ControlSettings] = [:]
        for (name, table) in reader.namedSections(section, "classes", known: classKeys) {
            let inherited = defaults.map {
                (alarm: $0.alarm.balance, trip: $0.trip.balance, margin: $0.reconnectMargin.amount, protected: $0.isProtected)
            } ?? builtIn
            classes[name] = settings(table, reader, inherited: inherited)
        }
        let windows = reader.strings(section, "trip_windows", default: defaultWindows, example: defaultWindows[0])
        let holidays = reader.strings(section, "holidays", default: [], example: "2026-10-01")
        var calendar: TripCalendar?
        do {
            calendar = try TripCalendar.parse(windows: windows, holidays: holidays, timeZone: timeZone, keyPrefix: section.path)
        } catch {
            reader.report(error.key, error.problem)
        }
        let alarm2 = section.has("alarm2_yuan") ? money(section, "alarm2_yuan", reader, default: .zero) : nil
        guard let defaults, let calendar else { return nil }
        return ControlConfiguration(defaults: defaults, classes: classes, calendar: calendar, alarm2: alarm2)
    }

    private static func settings(
        _ section: Section, _ reader: TableReader, inherited: (alarm: Money, trip: Money, margin: Money, protected: Bool)
    ) -> ControlSettings? {
        let alarm = money(section, "alarm_yuan", reader, default: inherited.alarm)
        let trip = money(section, "trip_yuan", reader, default: inherited.trip)
        let margin = money(section, "reconnect_margin_yuan", reader, default: inherited.margin)
        let isProtected = reader.boolean(section, "protected", default: inherited.protected)
        let keys = (alarm: section.key("alarm_yuan"), trip: section.key("trip_yuan"), margin: section.key("reconnect_margin_yuan"))
        guard reader.isValid(keys.alarm, keys.trip, keys.margin) else { return nil }
        do {
            return try ControlSettings(
                alarm: AlarmThreshold(alarm), trip: TripThreshold(trip), reconnectMargin: ReconnectMargin(margin), isProtected: isProtected)
        } catch .alarmBelowTrip {
            // Blame the key the operator wrote here; a class may inherit the other one.
            if section.has("alarm_yuan") || !section.has("trip_yuan") {
                reader.report(keys.alarm, "\"\(alarm)\" is below trip_yuan \"\(trip)\"; the alarm must come first")
            } else {
                reader.report(keys.trip, "\"\(trip)\" is above alarm_yuan \"\(alarm)\"; the alarm must come first")
            }
        } catch .negativeMargin {
            reader.report(keys.margin, "\"\(margin)\" must not be negative")
        } catch {
            reader.report(keys.margin, error.description)
        }
        return nil
    }

    private static func money(_ section: Section, _ name: String, _ reader: TableReader, default fallback: Money) -> Money {
        reader.value(section, name, default: fallback, example: fallback.yuanString) { (text: String) throws(InvalidValue) -> Money in
            let amount: Money
            do throws(DecimalError) {
                amount = try Money(yuan: text, maxDecimals: 2)
            } catch {
                throw InvalidValue(error.description)
            }
            let bound = AmountBounds.threshold
            guard amount.microYuan.magnitude <= bound.microYuan.magnitude else {
                throw InvalidValue("\"\(text)\" is out of bounds: thresholds and margins lie between -\(bound.yuanString) and \(bound.yuanString) yuan")
            }
            return amount
        }
    }
}
