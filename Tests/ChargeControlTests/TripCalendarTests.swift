import Foundation
import Testing
import Tariffs
@testable import ChargeControl

@Suite struct TripCalendarTests {
    @Test(arguments: [
        ("Mon-Fri 08:00-16:00", "Mon,Tue,Wed,Thu,Fri 08:00-16:00"),
        ("Sat 00:00-24:00", "Sat 00:00-24:00"),
        ("sat,SUN 09:30-12:00", "Sat,Sun 09:30-12:00"),
        ("Fri-Mon 10:00-11:00", "Mon,Fri,Sat,Sun 10:00-11:00"),
        ("Mon-Wed,Fri 08:00-09:00", "Mon,Tue,Wed,Fri 08:00-09:00"),
    ])
    func windowsParse(_ text: String, _ normalised: String) throws {
        #expect(try TripWindow(text).description == normalised)
    }

    @Test(arguments: [
        ("Mon-Fri", TripWindow.Problem.malformed("Mon-Fri")),
        ("Mon-Fry 08:00-16:00", .unknownDay("Fry")),
        ("Mon 8:00-16:00", .badTime("8:00")),
        ("Mon 08:00-24:01", .badTime("24:01")),
        ("Mon 16:00-08:00", .emptyRange("16:00-08:00")),
        ("Mon 08:00-08:00", .emptyRange("08:00-08:00")),
        ("Mon 08:00", .malformed("Mon 08:00")),
    ])
    func windowsRefuse(_ text: String, _ problem: TripWindow.Problem) {
        #expect(throws: problem) { try TripWindow(text) }
    }

    @Test func configErrorsNameTheKey() {
        #expect(throws: TripCalendar.Problem(key: "control.trip_windows[1]", problem: TripWindow.Problem.unknownDay("Fry").description)) {
            try TripCalendar.parse(windows: ["Mon 08:00-09:00", "Fry 08:00-09:00"], holidays: [], timeZone: stationZone)
        }
        #expect(throws: TripCalendar.Problem(key: "control.holidays[0]", problem: "\"2026-13-01\" is not a date \"YYYY-MM-DD\"")) {
            try TripCalendar.parse(windows: ["Mon 08:00-09:00"], holidays: ["2026-13-01"], timeZone: stationZone)
        }
        #expect(throws: TripCalendar.Problem.self) {
            try TripCalendar.parse(windows: [], holidays: [], timeZone: stationZone)
        }
    }

    /// 2026-09-28 is a Monday; 2026-10-01 (Thursday) is a holiday.
    @Test(arguments: [
        ("2026-09-30T10:00:00+08:00", true, "2026-09-30T10:00:00+08:00"),
        ("2026-09-30T08:00:00+08:00", true, "2026-09-30T08:00:00+08:00"),
        ("2026-09-30T07:59:30+08:00", false, "2026-09-30T08:00:00+08:00"),
        ("2026-09-30T15:59:59+08:00", true, "2026-09-30T15:59:59+08:00"),
        ("2026-09-30T16:00:00+08:00", false, "2026-10-02T08:00:00+08:00"),
        ("2026-10-01T10:00:00+08:00", false, "2026-10-02T08:00:00+08:00"),
        ("2026-10-03T09:00:00+08:00", false, "2026-10-05T08:00:00+08:00"),
        ("2026-09-28T20:00:00+08:00", false, "2026-09-29T08:00:00+08:00"),
        ("2026-09-30T01:00:00Z", true, "2026-09-30T01:00:00Z"),
    ])
    func windowsAndHolidays(_ now: String, _ open: Bool, _ next: String) throws {
        let calendar = try standardCalendar()
        #expect(calendar.isOpen(at: at(now)) == open)
        #expect(calendar.nextOpening(atOrAfter: at(now)) == at(next))
    }

    @Test func wholeDayWindowsAndLongHolidays() throws {
        let holidays = (1...7).map { "2026-10-0\($0)" }
        let calendar = try TripCalendar.parse(windows: ["Mon-Sun 00:00-24:00"], holidays: holidays, timeZone: stationZone)
        #expect(calendar.isOpen(at: at("2026-09-30T23:59:59+08:00")))
        #expect(calendar.nextOpening(atOrAfter: at("2026-10-01T00:00:00+08:00")) == at("2026-10-08T00:00:00+08:00"))
    }
}
