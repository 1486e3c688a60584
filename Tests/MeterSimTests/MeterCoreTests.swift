import DLT645
import Testing
@testable import MeterSim

/// The pure meter core: consumption, relays, refusals, status word, reads.
@Suite struct MeterCoreTests {
    let address = addr("000000000001")

    func environment(now: Int64 = noonShanghai, watts: Int64 = 1000, schedule: any RegisterSchedule = FlatSchedule(),
                     autoClose: Bool = false) -> MeterEnvironment {
        MeterEnvironment(now: now, utcOffsetSeconds: shanghaiOffset, watts: watts,
                         consumption: ConsumptionModel(schedule: schedule), password: password("02000000"),
                         autoClose: autoClose)
    }

    func handle(_ request: Request, _ meter: inout MeterState, _ env: MeterEnvironment) -> Reply? {
        var parameters = WrittenParameters()
        return MeterBehavior.handle(request, address: address, meter: &meter, parameters: &parameters, environment: env)
    }

    @Test func oneKilowattForAnHourIsOneKWhInFlat() {
        var meter = MeterState(at: noonShanghai)
        ConsumptionModel(schedule: FlatSchedule()).advance(&meter, to: noonShanghai + 3600, watts: 1000)
        #expect(meter.flat == 100)
        #expect(meter.total == 100)
        #expect(meter.carryWattSeconds == 0)
    }

    @Test func fractionsAreCarriedNotLost() {
        var meter = MeterState(at: 0)
        let model = ConsumptionModel(schedule: FlatSchedule())
        // 1 W for 1 s, 36,000 times = 36,000 Ws = 0.01 kWh.
        for t in 1...36_000 { model.advance(&meter, to: Int64(t), watts: 1) }
        #expect(meter.total == 1)
        #expect(meter.carryWattSeconds == 0)
    }

    @Test func consumptionSplitsAtPeriodBoundariesAndSums() throws {
        // Peak 08:00-22:00, valley 22:00-08:00, Shanghai time.
        let schedule = try TariffScheduleFile.schedule(fromTOML: ScheduleTests.tariffText)
        let model = ConsumptionModel(schedule: schedule)
        var meter = MeterState(at: noonShanghai)
        // Noon to next day 10:00 = 22 h: 10 h peak, 10 h valley, 2 h peak, at 3.6 kW (0.036 kWh/10 s).
        model.advance(&meter, to: noonShanghai + 22 * 3600, watts: 3600)
        #expect(meter.peak == 12 * 360)
        #expect(meter.valley == 10 * 360)
        #expect(meter.total == Int64(meter.sharp) + Int64(meter.peak) + Int64(meter.flat) + Int64(meter.valley))
        // In odd steps the sum still equals the total.
        var stepped = MeterState(at: noonShanghai)
        var t = noonShanghai
        while t < noonShanghai + 3 * 86_400 {
            t += 4_321
            model.advance(&stepped, to: t, watts: 1234)
            #expect(stepped.total == Int64(stepped.sharp) + Int64(stepped.peak) + Int64(stepped.flat) + Int64(stepped.valley))
        }
        var once = MeterState(at: noonShanghai)
        model.advance(&once, to: t, watts: 1234)
        #expect(once == stepped)
    }

    @Test func registersRollOverAt999999_99() {
        var meter = MeterState(initialHundredths: 99_999_990, at: 0)
        ConsumptionModel(schedule: FlatSchedule()).advance(&meter, to: 3600, watts: 1000)
        #expect(meter.flat == 90)
        #expect(meter.total == 90)
        #expect(MeterReads.energy(meter.total) == [0x90, 0, 0, 0])
    }

    @Test func openAndArmedRelaysConsumeNothing() {
        let model = ConsumptionModel(schedule: FlatSchedule())
        for relay in [RelayState.open, .armed] {
            var meter = MeterState(initialHundredths: 500, at: 0)
            meter.relay = relay
            model.advance(&meter, to: 86_400, watts: 5000)
            #expect(meter.total == 500)
            #expect(meter.lastUpdate == 86_400)
        }
    }

    @Test func relayTransitions() {
        var meter = MeterState(at: noonShanghai)
        let env = environment()
        #expect(handle(.remoteControl(address, control(.trip)), &meter, env) == .acknowledged(address, .remoteControl))
        #expect(meter.relay == .open)
        _ = handle(.remoteControl(address, control(.allowClose)), &meter, env)
        #expect(meter.relay == .armed)
        #expect(RelayLogic.pressButton(&meter))
        #expect(meter.relay == .closed)
        #expect(!RelayLogic.pressButton(&meter))
        _ = handle(.remoteControl(address, control(.allowClose)), &meter, env)
        #expect(meter.relay == .closed, "allow-close on a closed relay leaves it closed")
        _ = handle(.remoteControl(address, control(.trip)), &meter, env)
        _ = handle(.remoteControl(address, control(.directClose)), &meter, env)
        #expect(meter.relay == .closed)
        _ = handle(.remoteControl(address, control(.trip)), &meter, env)
        _ = handle(.remoteControl(address, control(.allowClose)), &meter, environment(autoClose: true))
        #expect(meter.relay == .closed, "--auto-close closes at once")
        _ = handle(.remoteControl(address, control(.alarm)), &meter, env)
        #expect(meter.alarm)
        _ = handle(.remoteControl(address, control(.alarmRelease)), &meter, env)
        #expect(!meter.alarm)
    }

    @Test func refusals() {
        var meter = MeterState(at: noonShanghai)
        let env = environment()
        let wrong = handle(.remoteControl(address, control(.trip, password: "02123456")), &meter, env)
        #expect(wrong == .abnormal(address, .remoteControl, ErrorWord(0x04)))
        let expired = handle(.remoteControl(address, control(.trip, deadline: pastDeadline)), &meter, env)
        #expect(expired == .abnormal(address, .remoteControl, ErrorWord(0x01)))
        #expect(meter.relay == .closed)
        _ = handle(.remoteControl(address, control(.keepPower)), &meter, env)
        #expect(meter.keepPower)
        let refused = handle(.remoteControl(address, control(.trip)), &meter, env)
        #expect(refused == .abnormal(address, .remoteControl, ErrorWord(0x01)))
        #expect(meter.relay == .closed)
        _ = handle(.remoteControl(address, control(.keepPowerRelease)), &meter, env)
        #expect(handle(.remoteControl(address, control(.trip)), &meter, env) == .acknowledged(address, .remoteControl))
        let autoRestore = handle(.remoteControl(address, control(.tripAutoRestoreClose)), &meter, env)
        #expect(errorWord(of: autoRestore) == 0x01)
    }

    @Test func deadlineEqualToNowIsStillValid() {
        var meter = MeterState(at: noonShanghai)
        let now = dateTime(2025, 6, 30, 12, 0, 0)
        let reply = handle(.remoteControl(address, control(.trip, deadline: now)), &meter, environment())
        #expect(reply == .acknowledged(address, .remoteControl))
    }

    @Test func statusWord3Bits() {
        var meter = MeterState(at: noonShanghai)
        let env = environment()
        let read = Request.read(address, .statusWord3)
        #expect(statusWord(of: handle(read, &meter, env)) == [.moneyPrepaid])
        _ = handle(.remoteControl(address, control(.trip)), &meter, env)
        #expect(statusWord(of: handle(read, &meter, env)) == [.moneyPrepaid, .relayOpen, .relayCommandedOpen])
        _ = handle(.remoteControl(address, control(.allowClose)), &meter, env)
        #expect(statusWord(of: handle(read, &meter, env)) == [.moneyPrepaid, .relayOpen])
        _ = handle(.remoteControl(address, control(.alarm)), &meter, env)
        _ = handle(.remoteControl(address, control(.keepPower)), &meter, env)
        RelayLogic.pressButton(&meter)
        #expect(statusWord(of: handle(read, &meter, env)) == [.moneyPrepaid, .preTripAlarm, .keepPower])
        #expect(MeterBehavior.statusWord3(of: meter).rawValue == 0x1280)
    }

    @Test func reads() {
        var meter = MeterState(initialHundredths: 123_456, at: noonShanghai)
        meter.peak = 44
        let env = environment(watts: 0)
        #expect(energy(of: handle(.read(address, .forwardActiveTotal), &meter, env)) == 123_500)
        #expect(energy(of: handle(.read(address, .combinedActiveTotal), &meter, env)) == 123_500)
        #expect(energy(of: handle(.read(address, .forwardActiveTariff(2)), &meter, env)) == 44)
        #expect(energy(of: handle(.read(address, .forwardActiveTariff(3)), &meter, env)) == 123_456)
        guard case .data(_, _, let block, _)? = handle(.read(address, .forwardActiveBlock), &meter, env) else {
            Issue.record("no block")
            return
        }
        #expect(block.count == 20)
        #expect(Array(block[0..<4]) == [0x00, 0x35, 0x12, 0x00])
        meter.blockReads = false
        #expect(errorWord(of: handle(.read(address, .forwardActiveBlock), &meter, env)) == 0x02)
        #expect(errorWord(of: handle(.read(address, .remainingAmount), &meter, env)) == 0x02)
        #expect(errorWord(of: handle(.read(address, DataIdentifier(rawValue: 0x1234_5678)), &meter, env)) == 0x02)
        guard case .data(_, _, let date, _)? = handle(.read(address, .date), &meter, env),
              case .data(_, _, let time, _)? = handle(.read(address, .time), &meter, env),
              case .data(_, _, let own, _)? = handle(.read(address, .communicationAddress), &meter, env) else {
            Issue.record("no clock")
            return
        }
        #expect(date == [0x01, 0x30, 0x06, 0x25], "Monday 2025-06-30")
        #expect(time == [0x00, 0x00, 0x12])
        #expect(own == address.wireBytes)
    }

    @Test func setTotalAdjustsFlat() {
        var meter = MeterState(at: 0)
        meter.peak = 300
        meter.setTotal(1000)
        #expect(meter.total == 1000 && meter.peak == 300 && meter.flat == 700)
        meter.setTotal(100)
        #expect(meter.total == 100 && meter.peak == 0 && meter.flat == 100)
    }

    @Test func meterStateIsCompact() {
        #expect(MemoryLayout<MeterState>.stride <= 32)
    }

    @Test func loadVariesAroundTheAverage() {
        let profile = LoadProfile(averageWatts: 1000, seed: 42)
        let loads = (0..<10_000).map { profile.watts(meter: $0) }
        #expect(loads.allSatisfy { (500...1500).contains($0) })
        let mean = loads.reduce(0, +) / Int64(loads.count)
        #expect((950...1050).contains(mean))
        #expect(profile.watts(meter: 3) == LoadProfile(averageWatts: 1000, seed: 42).watts(meter: 3))
    }
}
