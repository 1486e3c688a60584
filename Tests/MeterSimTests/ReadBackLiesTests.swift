import DLT645
import Testing
@testable import MeterSim

/// `read_back_lies`: status word 3 reports the relay state before the last relay command while
/// the real relay moves as commanded (a stuck relay, for the station's read-back checks).
@Suite struct ReadBackLiesTests {
    let meter = addr("000000000004")

    @Test func statusWordShowsTheStateBeforeTheLastRelayCommand() throws {
        let fleet = try makeFleet(testConfiguration())
        let status = Request.read(meter, .statusWord3)
        let lying = try #require(fleet.apply(MeterChange(readBackLies: true), to: meter))
        #expect(lying.readBackLies)
        #expect(statusWord(of: fleet.exchange(status)) == [.moneyPrepaid], "nothing commanded yet: closed")

        #expect(fleet.exchange(.remoteControl(meter, control(.trip))) == .acknowledged(meter, .remoteControl))
        #expect(fleet.snapshot(meter)?.relay == "open", "the relay really opened")
        #expect(statusWord(of: fleet.exchange(status)) == [.moneyPrepaid], "but reads back closed")

        // An alarm is no relay command: the word still shows the state before the trip, alarm bit real.
        _ = fleet.exchange(.remoteControl(meter, control(.alarm)))
        #expect(statusWord(of: fleet.exchange(status)) == [.moneyPrepaid, .preTripAlarm])

        _ = fleet.exchange(.remoteControl(meter, control(.allowClose)))
        #expect(fleet.snapshot(meter)?.relay == "armed")
        #expect(statusWord(of: fleet.exchange(status)) == [.moneyPrepaid, .preTripAlarm, .relayOpen, .relayCommandedOpen],
                "reads back open, the state before allow-close")

        _ = fleet.exchange(.remoteControl(meter, control(.directClose)))
        #expect(fleet.snapshot(meter)?.relay == "closed")
        #expect(statusWord(of: fleet.exchange(status)) == [.moneyPrepaid, .preTripAlarm, .relayOpen], "reads back armed")

        let honest = try #require(fleet.apply(MeterChange(readBackLies: false), to: meter))
        #expect(!honest.readBackLies)
        #expect(statusWord(of: fleet.exchange(status)) == [.moneyPrepaid, .preTripAlarm], "the truth again")
    }

    @Test func aRefusedTripChangesNothing() throws {
        let fleet = try makeFleet(testConfiguration())
        _ = fleet.apply(MeterChange(readBackLies: true), to: meter)
        _ = fleet.exchange(.remoteControl(meter, control(.trip)))
        _ = fleet.exchange(.remoteControl(meter, control(.directClose)))
        // Now the word lies "open"; a trip refused for its password leaves that as it is.
        #expect(statusWord(of: fleet.exchange(.read(meter, .statusWord3))) == [.moneyPrepaid, .relayOpen, .relayCommandedOpen])
        #expect(errorWord(of: fleet.exchange(.remoteControl(meter, control(.trip, password: "02123456")))) == 0x04)
        #expect(statusWord(of: fleet.exchange(.read(meter, .statusWord3))) == [.moneyPrepaid, .relayOpen, .relayCommandedOpen])
        #expect(fleet.snapshot(meter)?.relay == "closed")
    }

    @Test func honestMetersReportTheRealRelay() throws {
        let fleet = try makeFleet(testConfiguration())
        _ = fleet.exchange(.remoteControl(meter, control(.trip)))
        #expect(statusWord(of: fleet.exchange(.read(meter, .statusWord3))) == [.moneyPrepaid, .relayOpen, .relayCommandedOpen])
        #expect(fleet.snapshot(meter)?.readBackLies == false)
    }
}
