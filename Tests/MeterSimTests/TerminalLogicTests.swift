import DLT645
import Testing
@testable import MeterSim

/// The terminal's frame handling without sockets: addressing, silence, clocks, faults.
@Suite struct TerminalLogicTests {
    @Test func blocksAreContiguous() throws {
        let fleet = try makeFleet(testConfiguration(terminals: 3, meters: 10))
        #expect(fleet.terminals.map(\.meterCount) == [4, 4, 2])
        #expect(fleet.locate(addr("000000000005"))?.terminal.index == 1)
        #expect(fleet.locate(addr("000000000005"))?.local == 0)
        #expect(fleet.locate(addr("000000000011")) == nil)
        #expect(fleet.exchange(.read(addr("000000000005"), .forwardActiveTotal), terminal: 1) != nil)
        #expect(fleet.exchange(.read(addr("000000000005"), .forwardActiveTotal), terminal: 0) == nil,
                "terminal 0 does not serve meter 5")
    }

    @Test func registersAdvanceWithTheClock() throws {
        let clock = ManualClock(unixSeconds: noonShanghai)
        let fleet = try makeFleet(testConfiguration(loadWatts: 2000), clock: clock)
        let read = Request.read(addr("000000000001"), .forwardActiveTotal)
        #expect(energy(of: fleet.exchange(read)) == 0)
        clock.advance(seconds: 3600)
        let watts = LoadProfile(averageWatts: 2000, seed: 7).watts(meter: 0)
        #expect(energy(of: fleet.exchange(read)) == watts * 3600 / 36_000)
    }

    @Test func wildcardReadsAndReadAddress() throws {
        let single = try makeFleet(testConfiguration(terminals: 1, meters: 1))
        #expect(single.exchange(.readAddress) == .address(addr("000000000001")))
        let wildcardRead = single.exchange(.read(.wildcard, .forwardActiveTotal))
        #expect(wildcardRead?.address == addr("000000000001"))

        let many = try makeFleet(testConfiguration(terminals: 1, meters: 20))
        #expect(many.exchange(.readAddress) == nil, "several meters would collide")
        // AA in the high bytes matching exactly one meter.
        let partial = addr("AAAAAAAAAA12")
        #expect(many.exchange(.read(partial, .forwardActiveTotal))?.address == addr("000000000012"))
    }

    @Test func broadcastsAreSilentAndSetTheClock() throws {
        let fleet = try makeFleet(testConfiguration())
        // Three minutes ahead: within the ±5 minutes a meter accepts from a broadcast.
        let set = dateTime(2025, 6, 30, 12, 3, 0)
        #expect(fleet.respond(to: Request.broadcastTime(set).frame, onTerminal: 0).bytes == nil)
        let time = fleet.exchange(.read(addr("000000000001"), .time))
        #expect(time == .data(addr("000000000001"), .time, value: [0x00, 0x03, 0x12], followUp: false))
        // Terminal 1's meters keep their own clock.
        let other = fleet.exchange(.read(addr("000000000011"), .time), terminal: 1)
        #expect(other == .data(addr("000000000011"), .time, value: [0x00, 0x00, 0x12], followUp: false))
    }

    @Test func offlineMetersAreSilentButConsume() throws {
        let clock = ManualClock(unixSeconds: noonShanghai)
        let fleet = try makeFleet(testConfiguration(), clock: clock)
        let a = addr("000000000002")
        _ = fleet.apply(MeterChange(offline: true), to: a)
        clock.advance(seconds: 3600)
        #expect(fleet.exchange(.read(a, .forwardActiveTotal)) == nil)
        _ = fleet.apply(MeterChange(offline: false), to: a)
        #expect((energy(of: fleet.exchange(.read(a, .forwardActiveTotal))) ?? 0) > 0)
    }

    @Test func faultsWithCertainty() throws {
        let read = Request.read(addr("000000000001"), .forwardActiveTotal)
        let dropping = try makeFleet(testConfiguration(faults: FaultConfiguration(drop: 1)))
        #expect(dropping.respond(to: read.frame, onTerminal: 0).bytes == nil)
        let naking = try makeFleet(testConfiguration(faults: FaultConfiguration(nak: 1)))
        #expect(naking.exchange(read) == .abnormal(addr("000000000001"), .read, ErrorWord(0x01)))
        let garbling = try makeFleet(testConfiguration(faults: FaultConfiguration(garble: 1)))
        let answer = garbling.respond(to: read.frame, onTerminal: 0)
        var decoder = FrameDecoder()
        decoder.append(answer.bytes ?? [])
        guard case .error(.badChecksum)? = decoder.next() else {
            Issue.record("garbled reply should fail its checksum")
            return
        }
        let delaying = try makeFleet(testConfiguration(faults: FaultConfiguration(delayMilliseconds: 20...40)))
        let delay = delaying.respond(to: read.frame, onTerminal: 0).delayMilliseconds
        #expect((20...40).contains(delay))
    }

    @Test func faultsAreDeterministicFromTheSeed() throws {
        let read = Request.read(addr("000000000001"), .forwardActiveTotal)
        func pattern() throws -> [Bool] {
            let fleet = try makeFleet(testConfiguration(faults: FaultConfiguration(drop: 0.5)))
            return (0..<64).map { _ in fleet.respond(to: read.frame, onTerminal: 0).bytes == nil }
        }
        let first = try pattern()
        #expect(first == (try pattern()))
        #expect(first.contains(true) && first.contains(false))
    }

    @Test func badConfigurationsNameTheFlag() {
        #expect(throws: SimConfiguration.Problem.self) { try makeFleet(testConfiguration(terminals: 30, meters: 20)) }
        do {
            _ = try makeFleet(testConfiguration(faults: FaultConfiguration(drop: 1.5)))
            Issue.record("accepted --drop 1.5")
        } catch let problem as SimConfiguration.Problem {
            #expect(problem.description == "--drop 1.5: probability must be between 0 and 1")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func argumentsAreParsedByHand() throws {
        let raw = SimArguments.Raw(listen: "127.0.0.1:9100", terminals: 2, meters: 20, loadKW: "1.5",
                                   initialKWh: "12.3", delayMs: "5-20")
        let configuration = try SimArguments.configuration(from: raw)
        #expect(configuration.loadWatts == 1500)
        #expect(configuration.initialHundredths == 1230)
        #expect(configuration.faults.delayMilliseconds == 5...20)
        #expect(configuration.basePort == 9100)
        for (bad, flag) in [(SimArguments.Raw(listen: "nope", meters: 1), "--listen"),
                            (SimArguments.Raw(listen: "h:1", meters: 1, loadKW: "1.2345"), "--load-kw"),
                            (SimArguments.Raw(listen: "h:1", meters: 1, initialKWh: "1.234"), "--initial-kwh"),
                            (SimArguments.Raw(listen: "h:1", meters: 1, password: "xyz"), "--password"),
                            (SimArguments.Raw(listen: "h:1", meters: 1, delayMs: "9-3"), "--delay-ms"),
                            (SimArguments.Raw(listen: "h:1", meters: 1, timezone: "Nowhere/City"), "--timezone"),
                            (SimArguments.Raw(listen: "h:1", meters: 1, tariff: "/nonexistent.toml"), "--tariff"),
                            (SimArguments.Raw(listen: "h:1", meters: 1, clockDriftS: -1), "--clock-drift-s"),
                            (SimArguments.Raw(listen: "h:1", meters: 1, clockDriftS: 400_000_000), "--clock-drift-s")] {
            do {
                _ = try SimArguments.configuration(from: bad)
                Issue.record("accepted a bad \(flag)")
            } catch {
                #expect(error.flag.hasPrefix(flag))
            }
        }
    }

    @Test func kwhStrings() {
        #expect(KWh.format(123_456) == "1234.56")
        #expect(KWh.format(5) == "0.05")
        #expect(KWh.parse("1234.56") == 123_456)
        #expect(KWh.parse("7") == 700)
        #expect(KWh.parse("7.5") == 750)
        for bad in ["", ".5", "1.", "1.234", "-1", "1e3", "1000000", " 1"] { #expect(KWh.parse(bad) == nil) }
    }
}
