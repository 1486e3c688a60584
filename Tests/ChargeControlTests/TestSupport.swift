import Foundation
import Testing
import Tariffs
@testable import ChargeControl

/// SplitMix64: a tiny seeded generator, so property tests replay exactly from their seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

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
