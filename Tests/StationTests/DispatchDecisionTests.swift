import ChargeControl
import DLT645
import DLT645NIO
import Foundation
import Testing
@testable import Station

/// The dispatcher's pure decisions, table-driven.
@Suite("Dispatch decisions")
struct DispatchDecisionTests {
    let policy: DispatchPolicy
    let t0 = instant("2026-11-23T10:00:00+08:00")

    init() throws {
        policy = DispatchPolicy(maxAttempts: 5, backoffInitial: .seconds(10), backoffMax: .seconds(600), jitter: 0.2,
                                password: try Password("02000000"), operatorCode: try OperatorCode("00000001"), timeZone: shanghai)
    }

    static let classification: [(DispatchFailure, DispatchFailure.Kind)] = [
        (.line(.timeout(.seconds(5))), .transient),
        (.line(.connectionLost), .transient),
        (.line(.cannotConnect(reason: "connection refused")), .transient),
        (.line(.malformedReply(.badChecksum(expected: 1, found: 2))), .transient),
        (.line(.shutdown), .transient),
        (.line(.abnormalReply(.remoteControl, ErrorWord(0x04))), .permanent),
        (.line(.abnormalReply(.remoteControl, ErrorWord(0x01))), .permanent),
        (.line(.abnormalReply(.remoteControl, ErrorWord(esam: 0x0020))), .permanent),
        (.line(.invalidRequest(.dataTooLong(length: 300, limit: 200))), .permanent),
        (.line(.cancelled), .interrupted),
        (.noLine(terminal: "T9"), .transient),
        (.unexpectedReply("read"), .transient),
        (.unsendable("invalid meter address"), .permanent),
        (.recheckFailed("database is locked"), .transient),
    ]

    @Test(arguments: classification)
    func errorsAreClassified(failure: DispatchFailure, kind: DispatchFailure.Kind) {
        #expect(failure.kind == kind)
    }

    @Test func refusalsNameTheErrorWord() {
        #expect(DispatchFailure.line(.abnormalReply(.remoteControl, ErrorWord(0x04))).description
            == "meter refused: ERR 04H (wrong password/unauthorised)")
        #expect(DispatchFailure.line(.abnormalReply(.remoteControl, ErrorWord(esam: 0x0020))).description
            .contains("keep-power active"))
    }

    @Test func backoffDoublesFromTheInitialWaitUpToTheCap() {
        let plain = (1...8).map { policy.backoff(afterAttempts: $0, random: 0) }
        #expect(plain == [10, 20, 40, 80, 160, 320, 600, 600].map { Duration.seconds($0) })
        // Jitter takes up to 20 % off, never adds: random 0.5 → 10 % off.
        let jittered = (1...3).map { policy.backoff(afterAttempts: $0, random: 0.5) }
        #expect(jittered == [9, 18, 36].map { Duration.seconds($0) })
        #expect(policy.backoff(afterAttempts: 50, random: 0.999) <= .seconds(600))
        #expect(policy.backoff(afterAttempts: 50, random: 0.999) > .seconds(480))
    }

    @Test func afterAFailure() {
        let timeout = DispatchFailure.line(.timeout(.seconds(5)))
        let deadline = t0.addingTimeInterval(86_400)
        let cases: [(DispatchFailure, Int, Date, FailureOutcome)] = [
            (timeout, 1, deadline, .retry(at: t0.addingTimeInterval(10))),
            (timeout, 3, deadline, .retry(at: t0.addingTimeInterval(40))),
            (.noLine(terminal: "T1"), 4, deadline, .retry(at: t0.addingTimeInterval(80))),
            (.line(.cancelled), 5, deadline, .putBack),
        ]
        for (failure, attempts, deadline, expected) in cases {
            #expect(policy.outcome(of: failure, attempts: attempts, deadline: deadline, now: t0, random: 0) == expected)
        }
        // Out of attempts.
        guard case .review(let exhausted) = policy.outcome(of: timeout, attempts: 5, deadline: deadline, now: t0, random: 0) else {
            Issue.record("not review")
            return
        }
        #expect(exhausted == "attempts exhausted (5 of 5): no reply within 5.0 seconds")
        // The next attempt would fall after the deadline.
        guard case .review(let late) = policy.outcome(of: timeout, attempts: 2, deadline: t0.addingTimeInterval(20), now: t0,
                                                       random: 0) else {
            Issue.record("not review")
            return
        }
        #expect(late.hasPrefix("deadline passed:") && late.contains("2026-11-23T10:00:20+08:00"))
        // Refusals go to review on the first attempt.
        #expect(policy.outcome(of: .line(.abnormalReply(.remoteControl, ErrorWord(0x04))), attempts: 1, deadline: deadline,
                               now: t0, random: 0) == .review(reason: "meter refused: ERR 04H (wrong password/unauthorised)"))
    }

    static let statusWords: [(UInt16, MeterState)] = [
        (0x0000, MeterState(relay: .closed)),
        (0x0200, MeterState(relay: .closed)),
        (0x0010, MeterState(relay: .armed)),
        (0x0050, MeterState(relay: .open)),
        (0x0040, MeterState(relay: .closed)),  // commanded open, actually closed: the actual state wins
        (0x0290, MeterState(relay: .armed, alarm: true)),
        (0x02D0, MeterState(relay: .open, alarm: true)),
        (0x1200, MeterState(relay: .closed, keepPower: true)),
        (0xFFFF, MeterState(relay: .open, alarm: true, keepPower: true)),
    ]

    @Test(arguments: statusWords)
    func statusWord3IsRead(raw: UInt16, state: MeterState) {
        #expect(ControlEffects.meterState(from: StatusWord3(rawValue: raw)) == state)
    }

    @Test func statusWord3PrintsAsFourHexDigits() {
        #expect(ControlEffects.hex(StatusWord3(rawValue: 0x10)) == "0010H")
        #expect(ControlEffects.hex(StatusWord3(rawValue: 0x12D0)) == "12D0H")
    }

    static let effects: [(CommandKind, MeterState, MeterState, RemoteControlCommand)] = [
        (.trip, MeterState(relay: .closed, alarm: true), MeterState(relay: .open, alarm: true), .trip),
        (.allowClose, MeterState(relay: .open), MeterState(relay: .armed), .allowClose),
        (.allowClose, MeterState(relay: .closed), MeterState(relay: .closed), .allowClose),
        (.directClose, MeterState(relay: .armed), MeterState(relay: .closed), .directClose),
        (.alarm, MeterState(relay: .closed), MeterState(relay: .closed, alarm: true), .alarm),
        (.alarmRelease, MeterState(relay: .open, alarm: true), MeterState(relay: .open), .alarmRelease),
        (.keepPower, MeterState(relay: .closed), MeterState(relay: .closed, keepPower: true), .keepPower),
        (.keepPowerRelease, MeterState(relay: .closed, keepPower: true), MeterState(relay: .closed), .keepPowerRelease),
    ]

    @Test(arguments: effects)
    func commandsHaveTheirEffects(kind: CommandKind, before: MeterState, after: MeterState, n1: RemoteControlCommand) {
        #expect(before.after(kind) == after)
        #expect(ControlEffects.remoteControlCommand(for: kind) == n1)
        #expect(ControlEffects.isRelayCommand(kind) == [.trip, .allowClose, .directClose].contains(kind))
    }

    @Test func theRecheckFollowsThePolicyNow() throws {
        let policy = ControlPolicy(calendar: try TripCalendar.parse(windows: ["Mon-Fri 08:00-16:00"], holidays: [], timeZone: shanghai))
        let settings = try ControlSettings(alarm: AlarmThreshold(yuan("20.00")), trip: TripThreshold(yuan("0.00")))
        let alarmed = MeterState(relay: .closed, alarm: true)
        let meter = "000000000001"
        // Still in debt inside a window: send.
        let inDebt = policy.evaluate(balance: yuan("-1.00"), settings: settings, meter: alarmed, data: .normal, at: t0)
        #expect(ControlEffects.recheck(.trip, meter: meter, accountMeter: meter, plan: inDebt, at: t0) == .send)
        // Paid: the trip is no longer wanted.
        let paid = policy.evaluate(balance: yuan("49.00"), settings: settings, meter: alarmed, data: .normal, at: t0)
        guard case .supersede(let reason) = ControlEffects.recheck(.trip, meter: meter, accountMeter: meter, plan: paid, at: t0) else {
            Issue.record("not superseded")
            return
        }
        #expect(reason == "no longer wanted: balance 49.00, state normal, the policy now plans alarm_release")
        // Data under review (an open abnormal-reading item) holds the trip: superseded too, saying why.
        let abnormal = policy.evaluate(balance: yuan("-1.00"), settings: settings, meter: alarmed, data: .abnormal([]), at: t0)
        #expect(ControlEffects.recheck(.trip, meter: meter, accountMeter: meter, plan: abnormal, at: t0)
            == .supersede(reason: "held: the account's data is under review (an open abnormal-reading item), balance -1.00"))
        // Outside the window: wait for the next one.
        let evening = instant("2026-11-23T18:00:00+08:00")
        let late = policy.evaluate(balance: yuan("-1.00"), settings: settings, meter: alarmed, data: .normal, at: evening)
        guard case .wait(let until, _) = ControlEffects.recheck(.trip, meter: meter, accountMeter: meter, plan: late, at: evening) else {
            Issue.record("not waiting")
            return
        }
        #expect(until == instant("2026-11-24T08:00:00+08:00"))
        // The account moved to another meter.
        #expect(ControlEffects.recheck(.trip, meter: meter, accountMeter: "000000000009", plan: inDebt, at: t0)
            == .supersede(reason: "the account's meter is now 000000000009, not 000000000001"))
    }
}

@Suite("Dispatch policy never shows the password")
struct DispatchPolicySecrecyTests {
    @Test func printingOrDumpingThePolicyHidesThePassword() throws {
        let policy = try DispatchRig.policy(password: "02A1B2C3")
        var dumped = ""
        dump(policy, to: &dumped)
        for text in [policy.description, "\(policy)", String(reflecting: policy), dumped] {
            #expect(!text.uppercased().contains("A1B2C3") && !text.contains("161") && !text.contains("178"))
            #expect(text.contains("level 02"))
        }
    }
}
