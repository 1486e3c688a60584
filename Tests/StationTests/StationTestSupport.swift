import ChargeControl
import Foundation
import Store
import Tariffs
import Testing
@testable import Station

let shanghai = TimeZone(identifier: "Asia/Shanghai") ?? .current

/// A flat 0.5000 yuan/kWh tariff with no tier surcharge, so charges are easy to check by hand.
let flatTariffText = """
    name = "flat-test"
    timezone = "Asia/Shanghai"
    [[prices]]
    effective = "2020-01-01T00:00:00+08:00"
    sharp = "0.5000"
    peak = "0.5000"
    flat = "0.5000"
    valley = "0.5000"
    [[periods]]
    start = "00:00"
    register = "flat"
    """

func instant(_ text: String) -> Date {
    guard let d = RFC3339.parse(text) else {
        Issue.record("bad instant \(text)")
        return Date(timeIntervalSince1970: 0)
    }
    return d
}

func yuan(_ text: String) -> Money { (try? Money(yuan: text)) ?? Money(microYuan: .min) }

func kWh(_ text: String) -> Energy { (try? Energy(kWh: text)) ?? Energy(hundredths: .min) }

/// Rules with trips allowed `windows` (all week by default), alarm 20, trip 0, margin 5, and two
/// customer classes: `hospital` (protected) and `business` (alarm 50, trip −10: friendly credit).
func rules(windows: [String] = ["Mon-Sun 00:00-24:00"]) throws -> EvaluationRules {
    let tariff = try Tariff.parse(flatTariffText, file: "flat-test.toml")
    return EvaluationRules(
        tariffs: [tariff.name: tariff],
        policy: ControlPolicy(calendar: try TripCalendar.parse(windows: windows, holidays: [], timeZone: shanghai)),
        limits: ValidationLimits(ratedPower: RatedPower(watts: 20_000), clockSkew: ClockSkewLimit(seconds: 300),
                                 registerSumTolerance: Energy(hundredths: 2)),
        defaultAlarm: AlarmThreshold(yuan("20.00")), defaultTrip: TripThreshold(yuan("0.00")),
        reconnectMargin: ReconnectMargin(yuan("5.00")), commandLifetime: .seconds(86_400),
        classSettings: [
            "hospital": try ControlSettings(alarm: AlarmThreshold(yuan("20.00")), trip: TripThreshold(yuan("0.00")), isProtected: true),
            "business": try ControlSettings(alarm: AlarmThreshold(yuan("50.00")), trip: TripThreshold(yuan("-10.00"))),
        ])
}

/// A flat-register reading: all of `total` on the flat register.
func reading(_ at: String, total: String) -> MeterReading {
    let e = kWh(total)
    return MeterReading(collectedAt: instant(at), total: e,
                        registers: PerRegister(sharp: .zero, peak: .zero, flat: e, valley: .zero))
}

/// A store with terminal T1 and account A1 (meter 000000000001) holding `opening` yuan.
func storeWithAccount(opening: String, protected: Bool = false, customerClass: String? = nil) async throws -> StationStore {
    let store = try StationStore.inMemory()
    let t = instant("2026-11-23T09:00:00+08:00")
    try await store.upsertTerminal(TerminalRecord(id: "T1", host: "127.0.0.1", port: 9100), at: t)
    _ = try await store.upsertAccount(id: "A1", meterAddress: "000000000001", terminalID: "T1", tariff: "flat-test",
                                      region: "north", customerClass: customerClass, alarmThreshold: nil, tripThreshold: nil,
                                      isProtected: protected, openingBalance: yuan(opening), at: t)
    return store
}

/// Polls `condition` until it holds; records an issue naming `what` (and throws) after a
/// generous bound. Tests assert on outcomes, never on how long they took.
///
/// The bound is wall time *and* polls (one per 5 ms of `limit`): on a loaded 2-core machine a
/// starved task pool polls seldom, so the wait stretches with the load instead of failing a test
/// that was only waiting its turn (seen in `make test` 5× under load); ten times `limit` still
/// ends a real hang.
func eventually(_ what: String, within limit: Duration = .seconds(15), sourceLocation: SourceLocation = #_sourceLocation,
                _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let start = clock.now
    let polls = Int(limit / .milliseconds(5))
    var polled = 0
    while clock.now < start.advanced(by: limit) || (polled < polls && clock.now < start.advanced(by: limit * 10)) {
        if try await condition() { return }
        polled += 1
        try await Task.sleep(for: .milliseconds(5))
    }
    if try await condition() { return }
    Issue.record("timed out waiting for: \(what)", sourceLocation: sourceLocation)
    throw WaitTimeout(what: what)
}

struct WaitTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for: \(what)" }
}
