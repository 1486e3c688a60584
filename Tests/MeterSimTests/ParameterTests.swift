import DLT645
import Testing
@testable import MeterSim

/// Meter management: 14H writes of parameters and the clock, read back with 11H (INTERFACES.md
/// v2 "meter-sim").
@Suite struct ParameterTests {
    let meter = addr("000000000003")

    /// One value of every kind, with what the meter shows for it.
    static let samples: [(DataIdentifier, [UInt8], String)] = [
        (.alarmAmountLimit1, [0x00, 0x20, 0x00, 0x00], "20.00"),
        (.alarmAmountLimit2, [0x00, 0x10, 0x00, 0x00], "10.00"),
        (.overdraftAmountLimit, [0x50, 0x00, 0x00, 0x00], "0.50"),
        (.closeAllowedAmountLimit, [0x56, 0x34, 0x12, 0x00], "1234.56"),
        (.tariffPrice(1), [0x80, 0x56, 0x00, 0x00], "0.5680"),
        (.tariffPrice(2), [0x81, 0x56, 0x00, 0x00], "0.5681"),
        (.tariffPrice(3), [0x82, 0x56, 0x00, 0x00], "0.5682"),
        (.tariffPrice(4), [0x80, 0x28, 0x00, 0x00], "0.2880"),
        (.secondSetTariffPrice(1), [0x00, 0x60, 0x00, 0x00], "0.6000"),
        (.secondSetTariffPrice(2), [0x01, 0x60, 0x00, 0x00], "0.6001"),
        (.secondSetTariffPrice(3), [0x02, 0x60, 0x00, 0x00], "0.6002"),
        (.secondSetTariffPrice(4), [0x00, 0x30, 0x00, 0x00], "0.3000"),
        (.priceSetSwitchTime, [0x59, 0x23, 0x31, 0x12, 0x26], "2612312359"),
    ]

    @Test func everyKindIsWrittenAndReadBackExactly() throws {
        let fleet = try makeFleet(testConfiguration())
        for (di, bytes, _) in Self.samples {
            #expect(fleet.exchange(writeRequest(meter, di, bytes)) == .acknowledged(meter, .write), "\(di)")
            #expect(fleet.exchange(.read(meter, di)) == .data(meter, di, value: bytes, followUp: false), "\(di)")
        }
        let snapshot = try #require(fleet.snapshot(meter))
        #expect(snapshot.writes == Self.samples.count)
        for (di, _, shown) in Self.samples { #expect(snapshot.parameters[di.description] == shown, "\(di)") }
        // Only the meter written to has a record; its neighbours read defaults.
        #expect(fleet.terminals[0].bank.withLock { Array($0.parameters.keys) } == [2])
        #expect(value(of: fleet.exchange(.read(addr("000000000004"), .alarmAmountLimit1))) == [0, 0, 0, 0])
    }

    @Test func unwrittenParametersReadTheirDefaultsAndStoreNothing() throws {
        let fleet = try makeFleet(testConfiguration())
        #expect(value(of: fleet.exchange(.read(meter, .alarmAmountLimit1))) == [0, 0, 0, 0])
        #expect(value(of: fleet.exchange(.read(meter, .closeAllowedAmountLimit))) == [0, 0, 0, 0])
        #expect(value(of: fleet.exchange(.read(meter, .tariffPrice(1)))) == [0, 0, 0, 0], "no tariff: no prices")
        #expect(value(of: fleet.exchange(.read(meter, .secondSetTariffPrice(4)))) == [0, 0, 0, 0])
        #expect(value(of: fleet.exchange(.read(meter, .priceSetSwitchTime))) == [0, 0, 0, 0, 0])
        #expect(fleet.terminals[0].bank.withLock { $0.parameters.isEmpty }, "reads store nothing")
        let shown = try #require(fleet.snapshot(meter)).parameters
        #expect(shown["04001001"] == "0.00")
        #expect(shown["04050101"] == "0.0000")
        #expect(shown["04000108"] == "0000000000")
        #expect(shown.count == MeterParameters.catalogue.count + 2, "every writable identifier, the clock included")
    }

    @Test func theFirstPriceSetDefaultsToTheTariffPrices() throws {
        let schedule = try TariffScheduleFile.schedule(fromTOML: ScheduleTests.tariffText)
        let fleet = try makeFleet(testConfiguration(schedule: schedule))
        #expect(value(of: fleet.exchange(.read(meter, .tariffPrice(1)))) == [0x80, 0x56, 0x00, 0x00])
        #expect(value(of: fleet.exchange(.read(meter, .tariffPrice(4)))) == [0x80, 0x28, 0x00, 0x00])
        #expect(value(of: fleet.exchange(.read(meter, .secondSetTariffPrice(1)))) == [0, 0, 0, 0])
        #expect(fleet.snapshot(meter)?.parameters["04050104"] == "0.2880")
    }

    @Test func aWrongPasswordIsRefusedWithErr04() throws {
        let fleet = try makeFleet(testConfiguration())
        let reply = fleet.exchange(writeRequest(meter, .alarmAmountLimit1, [0x00, 0x20, 0x00, 0x00], password: "02123456"))
        #expect(reply == .abnormal(meter, .write, ErrorWord(0x04)))
        #expect(value(of: fleet.exchange(.read(meter, .alarmAmountLimit1))) == [0, 0, 0, 0])
        #expect(fleet.snapshot(meter)?.writes == 0)
        #expect(fleet.terminals[0].bank.withLock { $0.parameters.isEmpty })
        // The clock is protected the same way.
        let clock = fleet.exchange(writeRequest(meter, .time, [0x00, 0x00, 0x08], password: "02999999"))
        #expect(errorWord(of: clock) == 0x04)
        #expect(fleet.snapshot(meter)?.clockOffsetSeconds == 0)
    }

    @Test(arguments: [
        (DataIdentifier(rawValue: 0x0400_0401), [0x01, 0, 0, 0, 0, 0]),     // the address: not writable here
        (DataIdentifier(rawValue: 0x1234_5678), [0x00, 0x20, 0x00, 0x00]),  // no such identifier
        (DataIdentifier.statusWord3, [0x00, 0x00]),                        // read-only
        (DataIdentifier.alarmAmountLimit1, [0x00, 0x20, 0x00]),            // 3 bytes
        (DataIdentifier.alarmAmountLimit1, [0x00, 0x20, 0x00, 0x00, 0x00]), // 5 bytes
        (DataIdentifier.tariffPrice(1), [0x8A, 0x56, 0x00, 0x00]),         // not BCD
        (DataIdentifier.priceSetSwitchTime, [0x59, 0x23, 0x31, 0x12]),     // 4 bytes
        (DataIdentifier.priceSetSwitchTime, [0x00, 0x00, 0x31, 0x02, 0x26]), // 31 February
        (DataIdentifier.date, [0x01, 0x32, 0x06, 0x25]),                   // day 32
        (DataIdentifier.date, [0x09, 0x30, 0x06, 0x25]),                   // weekday 9
        (DataIdentifier.time, [0x00, 0x60, 0x12]),                         // minute 60
        (DataIdentifier.time, [0x00, 0x00, 0x12, 0x00]),                   // 4 bytes
    ] as [(DataIdentifier, [UInt8])])
    func unknownIdentifiersAndBadValuesAreOtherErrors(di: DataIdentifier, bytes: [UInt8]) throws {
        let fleet = try makeFleet(testConfiguration())
        #expect(fleet.exchange(writeRequest(meter, di, bytes)) == .abnormal(meter, .write, ErrorWord(0x01)))
        #expect(fleet.snapshot(meter)?.writes == 0)
        #expect(fleet.snapshot(meter)?.clockOffsetSeconds == 0)
        #expect(fleet.terminals[0].bank.withLock { $0.parameters.isEmpty }, "a refused write stores nothing")
    }

    @Test func noSwitchPlannedCanBeWrittenBack() throws {
        let fleet = try makeFleet(testConfiguration())
        _ = fleet.exchange(writeRequest(meter, .priceSetSwitchTime, [0x59, 0x23, 0x31, 0x12, 0x26]))
        #expect(fleet.exchange(writeRequest(meter, .priceSetSwitchTime, [0, 0, 0, 0, 0])) == .acknowledged(meter, .write))
        #expect(value(of: fleet.exchange(.read(meter, .priceSetSwitchTime))) == [0, 0, 0, 0, 0])
        #expect(fleet.snapshot(meter)?.writes == 2)
    }

    @Test func clockWritesSetTheDateAndTimeWhateverTheOffset() throws {
        let clock = ManualClock(unixSeconds: noonShanghai)
        let fleet = try makeFleet(testConfiguration(), clock: clock)
        // Ten days ahead: far beyond what broadcast time would correct.
        _ = fleet.apply(MeterChange(clockOffsetSeconds: 10 * 86_400), to: meter)
        #expect(value(of: fleet.exchange(.read(meter, .date))) == [0x04, 0x10, 0x07, 0x25], "Thursday 2025-07-10")
        // The date write keeps the time of day (12:00:00) and sets 2025-06-30 (weekday as sent is ignored).
        #expect(fleet.exchange(writeRequest(meter, .date, [0x00, 0x30, 0x06, 0x25])) == .acknowledged(meter, .write))
        #expect(value(of: fleet.exchange(.read(meter, .date))) == [0x01, 0x30, 0x06, 0x25], "Monday")
        #expect(value(of: fleet.exchange(.read(meter, .time))) == [0x00, 0x00, 0x12])
        #expect(fleet.snapshot(meter)?.clockOffsetSeconds == 0)
        // The time write keeps the date.
        #expect(fleet.exchange(writeRequest(meter, .time, [0x30, 0x15, 0x11])) == .acknowledged(meter, .write))
        #expect(value(of: fleet.exchange(.read(meter, .time))) == [0x30, 0x15, 0x11])
        #expect(value(of: fleet.exchange(.read(meter, .date))) == [0x01, 0x30, 0x06, 0x25])
        #expect(fleet.snapshot(meter)?.clockOffsetSeconds == -(44 * 60 + 30))
        // The clock runs on from what was written.
        clock.advance(seconds: 90)
        #expect(value(of: fleet.exchange(.read(meter, .time))) == [0x00, 0x17, 0x11])
        let snapshot = try #require(fleet.snapshot(meter))
        #expect(snapshot.writes == 2, "clock writes count")
        #expect(snapshot.parameters["04000102"] == "111700")
        #expect(snapshot.parameters["04000101"] == "25063001")
        // Clock writes keep no parameter values.
        #expect(fleet.terminals[0].bank.withLock { $0.parameters[2]?.values.isEmpty } == true)
    }
}
