import Testing
@testable import DLT645

/// Meter-management identifiers and the value formats written with 14H (PROTOCOL.md §4).
@Suite("Parameter identifiers and formats")
struct ParameterFormatTests {
    @Test func identifiers() {
        #expect(DataIdentifier.closeAllowedAmountLimit.description == "04001005")
        #expect(DataIdentifier.hoardingAmountLimit.description == "04001004")
        #expect(DataIdentifier.priceSetSwitchTime.description == "04000108")
        #expect(DataIdentifier.secondSetTariffPrice(1).description == "04050201")
        #expect(DataIdentifier.secondSetTariffPrice(4).description == "04050204")
        // Sent DI0 first, like every identifier.
        #expect(DataIdentifier.priceSetSwitchTime.wireBytes == [0x08, 0x01, 0x00, 0x04])
    }

    @Test func switchTimeIsMinuteHourDayMonthYearOnTheWire() throws {
        let minute = try MeterMinute(year: 2026, month: 12, day: 31, hour: 23, minute: 59)
        #expect(minute.wireBytes == [0x59, 0x23, 0x31, 0x12, 0x26])
        #expect(minute.description == "2612312359")
        #expect(try MeterMinute(wireBytes: [0x59, 0x23, 0x31, 0x12, 0x26]) == minute)
        #expect(MeterMinute.digits(of: [0, 0, 0, 0, 0]) == "0000000000")
        #expect(MeterMinute.digits(of: [0x1A]) == "1A")
    }

    @Test(arguments: [
        [0x59, 0x23, 0x31, 0x12],          // 4 bytes
        [0x5A, 0x23, 0x31, 0x12, 0x26],    // not BCD
        [0x00, 0x24, 0x01, 0x01, 0x26],    // hour 24
        [0x00, 0x00, 0x30, 0x02, 0x26],    // 30 February
        [0x00, 0x00, 0x01, 0x13, 0x26],    // month 13
    ] as [[UInt8]])
    func badSwitchTimes(bytes: [UInt8]) {
        #expect(throws: DLT645Error.self) { try MeterMinute(wireBytes: bytes) }
    }

    @Test func dateAndTimeValues() throws {
        // Monday 2025-06-30, sent WW DD MM YY.
        let date = try MeterDate(wireBytes: [0x01, 0x30, 0x06, 0x25])
        #expect((date.year, date.month, date.day, date.weekday) == (2025, 6, 30, 1))
        #expect(throws: DLT645Error.self) { try MeterDate(wireBytes: [0x07, 0x30, 0x06, 0x25]) }
        #expect(throws: DLT645Error.self) { try MeterDate(wireBytes: [0x01, 0x31, 0x06, 0x25]) }
        #expect(throws: DLT645Error.self) { try MeterDate(wireBytes: [0x01, 0x30, 0x06]) }
        let time = try MeterTimeOfDay(wireBytes: [0x56, 0x34, 0x12])
        #expect((time.hour, time.minute, time.second) == (12, 34, 56))
        #expect(throws: DLT645Error.self) { try MeterTimeOfDay(wireBytes: [0x60, 0x00, 0x00]) }
        #expect(throws: DLT645Error.self) { try MeterTimeOfDay(wireBytes: [0x00, 0x00, 0x24]) }
        #expect(throws: DLT645Error.self) { try MeterTimeOfDay(wireBytes: [0x00, 0x0A, 0x00]) }
    }

    @Test func decimalText() {
        #expect(NumberFormat.hundredthsText(2000) == "20.00")
        #expect(NumberFormat.hundredthsText(5) == "0.05")
        #expect(NumberFormat.hundredthsText(-123_456) == "-1234.56")
        #expect(NumberFormat.hundredthsText(99_999_999) == "999999.99")
        #expect(NumberFormat.tenThousandthsText(5680) == "0.5680")
        #expect(NumberFormat.tenThousandthsText(12_345_678) == "1234.5678")
        #expect(NumberFormat.tenThousandthsText(0) == "0.0000")
    }

    /// What a meter takes (meter-sim uses the same definition): length, BCD, real dates and
    /// minutes, a minute stamp of zeros ("no switch planned").
    @Test func acceptedValues() {
        #expect(ParameterFormat.amount.accepts([0x00, 0x20, 0x00, 0x00]))
        #expect(!ParameterFormat.amount.accepts([0x00, 0x20, 0x00]))
        #expect(!ParameterFormat.price.accepts([0x0A, 0x00, 0x00, 0x00]))
        #expect(ParameterFormat.minuteStamp.accepts([0, 0, 0, 0, 0]))
        #expect(ParameterFormat.minuteStamp.accepts([0x59, 0x23, 0x31, 0x12, 0x26]))
        #expect(!ParameterFormat.minuteStamp.accepts([0x59, 0x23, 0x32, 0x12, 0x26]))
        #expect(ParameterFormat.timeOfDay.accepts([0x56, 0x34, 0x12]))
        #expect(!ParameterFormat.timeOfDay.accepts([0x00, 0x00, 0x24]))
        #expect(!ParameterFormat.dateWeekday.accepts([0x01, 0x31, 0x06, 0x25]))
    }
}
