import DLT645
import Testing
@testable import MeterSim

/// Per-meter clocks: `--clock-drift-s`, the admin offset, broadcast time (08H) within ±5 minutes.
@Suite struct ClockTests {
    func offsets(_ fleet: MeterFleet) -> [Int32] {
        fleet.terminals.flatMap { terminal in terminal.bank.withLock { $0.meters.map(\.clockOffset) } }
    }

    @Test func broadcastSetsClocksWithinFiveMinutesAndIsIgnoredBeyond() throws {
        let fleet = try makeFleet(testConfiguration())
        let offsets: [(String, Int32)] = [("000000000001", 0), ("000000000002", 200), ("000000000003", -300),
                                          ("000000000004", 301), ("000000000005", -3600), ("000000000006", 86_400)]
        for (meter, offset) in offsets { _ = fleet.apply(MeterChange(clockOffsetSeconds: offset), to: addr(meter)) }
        // Broadcast 12:00:30 while civil time is 12:00:00.
        #expect(fleet.respond(to: Request.broadcastTime(dateTime(2025, 6, 30, 12, 0, 30)).frame, onTerminal: 0).bytes == nil)
        let after = offsets.map { fleet.snapshot(addr($0.0))?.clockOffsetSeconds }
        // Within ±300 s of the broadcast (+30 s) are 0, 200 and 301; −300 is 330 s off.
        #expect(after == [30, 30, -300, 30, -3600, 86_400])
        #expect(value(of: fleet.exchange(.read(addr("000000000002"), .time))) == [0x30, 0x00, 0x12])
        #expect(value(of: fleet.exchange(.read(addr("000000000005"), .time))) == [0x00, 0x00, 0x11], "an hour slow still")
        // Terminal 1 heard nothing.
        #expect(fleet.snapshot(addr("000000000011"))?.clockOffsetSeconds == 0)
    }

    @Test func theLimitIsInclusive() throws {
        let fleet = try makeFleet(testConfiguration())
        _ = fleet.apply(MeterChange(clockOffsetSeconds: -300), to: addr("000000000001"))
        _ = fleet.apply(MeterChange(clockOffsetSeconds: 300), to: addr("000000000002"))
        _ = fleet.apply(MeterChange(clockOffsetSeconds: -301), to: addr("000000000003"))
        _ = fleet.respond(to: Request.broadcastTime(dateTime(2025, 6, 30, 12, 0, 0)).frame, onTerminal: 0)
        #expect(fleet.snapshot(addr("000000000001"))?.clockOffsetSeconds == 0)
        #expect(fleet.snapshot(addr("000000000002"))?.clockOffsetSeconds == 0)
        #expect(fleet.snapshot(addr("000000000003"))?.clockOffsetSeconds == -301)
    }

    @Test func offlineMetersMissTheBroadcast() throws {
        let fleet = try makeFleet(testConfiguration())
        _ = fleet.apply(MeterChange(offline: true, clockOffsetSeconds: 100), to: addr("000000000001"))
        _ = fleet.respond(to: Request.broadcastTime(dateTime(2025, 6, 30, 12, 0, 0)).frame, onTerminal: 0)
        #expect(fleet.snapshot(addr("000000000001"))?.clockOffsetSeconds == 100)
    }

    @Test func driftIsDeterministicPerSeedAndWithinBounds() throws {
        let a = offsets(try makeFleet(testConfiguration(meters: 200, seed: 11, clockDrift: 900)))
        let b = offsets(try makeFleet(testConfiguration(meters: 200, seed: 11, clockDrift: 900)))
        let c = offsets(try makeFleet(testConfiguration(meters: 200, seed: 12, clockDrift: 900)))
        #expect(a == b)
        #expect(a != c)
        #expect(a.allSatisfy { (-900...900).contains($0) } && c.allSatisfy { (-900...900).contains($0) })
        #expect(Set(a).count > 150, "spread out, not one offset for all")
        #expect(a.contains { $0 < -300 } && a.contains { $0 > 300 } && a.contains { abs($0) <= 300 })
        #expect(offsets(try makeFleet(testConfiguration(meters: 200, seed: 11))).allSatisfy { $0 == 0 }, "no drift by default")
        // The drawn offset is what the meter's clock shows (noon + offset).
        let fleet = try makeFleet(testConfiguration(meters: 200, seed: 11, clockDrift: 900))
        let offset = Int(a[0])
        let shown = noonShanghai + Int64(offset)
        let expected = try #require(CivilTime.meterDateTime(unixSecond: shown, utcOffsetSeconds: shanghaiOffset))
        #expect(value(of: fleet.exchange(.read(addr("000000000001"), .time))) == expected.timeWireBytes)
        #expect(fleet.snapshot(addr("000000000001"))?.clockOffsetSeconds == offset)
    }

    @Test func theMeterClockDrivesDeadlines() throws {
        let fleet = try makeFleet(testConfiguration())
        let meter = addr("000000000001")
        // A deadline 10 minutes from now is already past for a meter an hour fast.
        let deadline = dateTime(2025, 6, 30, 12, 10, 0)
        _ = fleet.apply(MeterChange(clockOffsetSeconds: 3600), to: meter)
        #expect(errorWord(of: fleet.exchange(.remoteControl(meter, control(.trip, deadline: deadline)))) == 0x01)
        _ = fleet.apply(MeterChange(clockOffsetSeconds: 0), to: meter)
        #expect(fleet.exchange(.remoteControl(meter, control(.trip, deadline: deadline))) == .acknowledged(meter, .remoteControl))
    }

    @Test func offsetsFitThePaddingOfTheMeterRecord() {
        #expect(MemoryLayout<MeterState>.stride <= 32)
        #expect(MeterClock.checked(MeterClock.maximumOffset) == Int32(MeterClock.maximumOffset))
        #expect(MeterClock.checked(-MeterClock.maximumOffset - 1) == nil)
        #expect(MeterClock.afterBroadcast(current: 500, broadcastOffset: 200) == 200)
        #expect(MeterClock.afterBroadcast(current: 501, broadcastOffset: 200) == 501)
    }
}
