import Testing
@testable import Tariffs

@Suite struct DecimalParsingTests {
    @Test(arguments: [
        ("0", 0), ("50.00", 50_000_000), ("-10", -10_000_000), ("0.01", 10_000), ("12.3", 12_300_000),
        ("9223372036854.77", 9_223_372_036_854_770_000),
    ] as [(String, Int64)])
    func moneyParses(_ text: String, _ micro: Int64) throws {
        #expect(try Money(yuan: text).microYuan == micro)
    }

    @Test(arguments: [
        ("", DecimalError.empty),
        ("abc", .notANumber("abc")),
        ("1.2.3", .notANumber("1.2.3")),
        ("1.", .notANumber("1.")),
        (".5", .notANumber(".5")),
        ("+1", .notANumber("+1")),
        (" 1", .notANumber(" 1")),
        ("1e3", .notANumber("1e3")),
        ("-", .notANumber("-")),
        ("0.001", .tooManyDecimals("0.001", decimals: 3, allowed: 2)),
        ("9223372036855", .outOfRange("9223372036855")),
    ])
    func moneyRefuses(_ text: String, _ error: DecimalError) {
        #expect(throws: error) { try Money(yuan: text) }
    }

    @Test(arguments: [
        ("0.5683", 568_300), ("0", 0), ("1", 1_000_000), ("0.0001", 100),
    ] as [(String, Int64)])
    func priceParses(_ text: String, _ micro: Int64) throws {
        #expect(try Price(yuanPerKWh: text).microYuanPerKWh == micro)
    }

    @Test func priceErrorsSayWhatIsWrong() {
        #expect(throws: DecimalError.tooManyDecimals("0.56801", decimals: 5, allowed: 4)) {
            try Price(yuanPerKWh: "0.56801")
        }
        #expect(throws: DecimalError.negative("-0.1")) { try Price(yuanPerKWh: "-0.1") }
        #expect(DecimalError.tooManyDecimals("0.56801", decimals: 5, allowed: 4).description
            == "\"0.56801\" has 5 decimals; at most 4 allowed")
    }

    @Test(arguments: [
        ("1234.56", 123_456), ("0", 0), ("999999.99", 99_999_999), ("2760", 276_000),
    ] as [(String, Int64)])
    func energyParses(_ text: String, _ hundredths: Int64) throws {
        #expect(try Energy(kWh: text).hundredths == hundredths)
    }

    @Test func energyRefuses() {
        #expect(throws: DecimalError.tooManyDecimals("1.234", decimals: 3, allowed: 2)) { try Energy(kWh: "1.234") }
        #expect(throws: DecimalError.negative("-1")) { try Energy(kWh: "-1") }
        #expect(throws: DecimalError.outOfRange("99999999999999999999")) { try Energy(kWh: "99999999999999999999") }
    }

    @Test(arguments: [
        (0, "0.00"), (12_345_000, "12.35"), (12_344_999, "12.34"), (5_000, "0.01"), (4_999, "0.00"),
        (-5_000, "-0.01"), (-4_999, "0.00"), (-12_345_000, "-12.35"), (Int64.min, "-9223372036854.78"),
    ] as [(Int64, String)])
    func moneyFormatsHalfUp(_ micro: Int64, _ text: String) {
        #expect(Money(microYuan: micro).yuanString == text)
    }

    @Test func formatsOtherUnits() {
        #expect(Energy(hundredths: 123_456).kWhString == "1234.56")
        #expect(Energy(hundredths: 5).kWhString == "0.05")
        #expect(Price(microYuanPerKWh: 568_000).yuanString == "0.5680")
        #expect(Money(microYuan: 1).exactYuanString == "0.000001")
    }

    @Test(arguments: [
        (100, 568_000, 568_000), (1, 568_300, 5_683), (12_345, 288_000, 35_553_600), (0, 999_900, 0),
    ] as [(Int64, Int64, Int64)])
    func chargeIsEnergyTimesPriceOverHundred(_ hundredths: Int64, _ price: Int64, _ micro: Int64) {
        #expect(Price(microYuanPerKWh: price).charge(for: Energy(hundredths: hundredths)) == Money(microYuan: micro))
    }

    @Test func chargeOverflowIsReported() {
        #expect(Price(microYuanPerKWh: Int64.max).charge(for: Energy(hundredths: 2)) == nil)
    }
}

@Suite struct CalendarValueTests {
    @Test(arguments: [
        ("2025-03-01T10:00:00+08:00", 1_740_794_400), ("2025-03-01T02:00:00Z", 1_740_794_400),
        ("1970-01-01T00:00:00Z", 0), ("2024-02-29T23:59:59.999-05:00", 1_709_269_199),
        ("1969-12-31T23:59:59Z", -1),
    ] as [(String, Int64)])
    func rfc3339Parses(_ text: String, _ seconds: Int64) {
        #expect(RFC3339.parse(text)?.unixSeconds == seconds)
    }

    @Test(arguments: [
        "2025-03-01T10:00:00", "2025-02-29T10:00:00Z", "2025-13-01T10:00:00Z", "2025-03-01 10:00",
        "2025-03-01T10:00:00+0800", "yesterday", "2025-03-01T24:00:00Z",
    ])
    func rfc3339Refuses(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func rfc3339FormatsInZone() {
        #expect(RFC3339.format(instant("2025-03-01T02:00:00Z"), in: shanghai) == "2025-03-01T10:00:00+08:00")
    }

    @Test func civilCalendarRoundTrips() {
        for day in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let civil = CivilCalendar.date(dayNumber: day)
            #expect(CivilCalendar.dayNumber(year: civil.year, month: civil.month, day: civil.day) == day)
        }
    }

    @Test func timeOfDayAndDates() {
        #expect(MinuteOfDay("08:30")?.minutes == 510)
        #expect(MinuteOfDay("24:00") == nil)
        #expect(MinuteOfDay("24:00", allowEndOfDay: true)?.minutes == 1440)
        #expect(MinuteOfDay("8:30") == nil)
        #expect(MonthDay("02-29") == nil)
        #expect(MonthDay("07-01")?.description == "07-01")
        #expect(LocalDate("2026-10-01")?.description == "2026-10-01")
        #expect(LocalDate("2026-02-30") == nil)
    }
}
