import SeededRandom
import Foundation
import Testing
import Tariffs
@testable import ChargeControl

/// The shared seeded generator, so property tests replay exactly from their seed.
typealias SeededGenerator = SplitMix64

/// The station clock of a test: an instant from RFC 3339 text (test input is known good).
func at(_ text: String) -> Date {
    guard let date = RFC3339.parse(text) else {
        Issue.record("bad test instant \(text)")
        return Date(timeIntervalSince1970: 0)
    }
    return date
}

func money(_ text: String) -> Money {
    (try? Money(yuan: text)) ?? Money(microYuan: Int64.min)
}

let stationZone = TimeZone(identifier: "Asia/Shanghai") ?? .current

/// Working days 08:00–16:00, National Day 2026 a holiday (a Thursday).
func standardCalendar() throws -> TripCalendar {
    try TripCalendar.parse(windows: ["Mon-Fri 08:00-16:00"], holidays: ["2026-10-01"], timeZone: stationZone)
}

func settings(alarm: String = "20", trip: String = "0", margin: String = "5", protected: Bool = false) throws -> ControlSettings {
    try ControlSettings(
        alarm: AlarmThreshold(money(alarm)), trip: TripThreshold(money(trip)),
        reconnectMargin: ReconnectMargin(money(margin)), isProtected: protected)
}
