import Testing
@testable import StationConfig

/// `[billing] reading_day` (issue 14 item 2): 1 to 28, default 1, mistakes named like any key's.
@Suite("Billing settings")
struct BillingSettingsTests {
    @Test(arguments: [
        ("[billing]\nreading_day = 29", "billing.reading_day: 29 is too large; want a day from 1 to 28, one every month has"),
        ("[billing]\nreading_day = 0", "billing.reading_day: 0 is too small; want at least 1"),
        ("[billing]\nreading_day = \"1\"", "billing.reading_day: want an integer such as 1, found a string"),
        ("[billing]\nreading_dya = 5", "billing.reading_dya: unknown key (did you mean \"reading_day\"?)"),
        ("[biling]\nreading_day = 5", "biling: unknown key (did you mean \"billing\"?)"),
    ])
    func reportsMistake(text: String, expected: String) {
        #expect(problems(text) == ["\(testFile): \(expected)"])
    }

    @Test func theReadingDayIsReadAndDefaultsToTheFirst() throws {
        #expect(try configuration("").billing.readingDay == 1)
        #expect(try configuration("[billing]\nreading_day = 28").billing.readingDay == 28)
        #expect(try configuration("[billing]\nreading_day = 15").settingLines.contains { $0.key == "billing.reading_day" && $0.shown == "15" })
    }
}
