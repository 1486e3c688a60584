import Foundation
import Testing
import Tariffs
@testable import ChargeControl

/// The hold an open abnormal-reading item puts on its account (issue 13 item 6): what happens
/// to readings meanwhile, what the policy may still decide, and what each resolution allows.
@Suite struct AbnormalDataHoldTests {
    static let start = at("2026-03-02T10:00:00+08:00")

    /// A reading `seconds` after the start: `flat` and `valley` hundredths, the total their sum
    /// unless given.
    static func reading(_ seconds: Int64, flat: Int64, valley: Int64 = 0, total: Int64? = nil) -> MeterReading {
        MeterReading(collectedAt: start.addingTimeInterval(TimeInterval(seconds)), total: Energy(hundredths: total ?? flat + valley),
                     registers: PerRegister(sharp: .zero, peak: .zero, flat: Energy(hundredths: flat), valley: Energy(hundredths: valley)))
    }

    static let interval = MeterInterval(from: start, to: start.addingTimeInterval(900),
                                        consumption: Consumption(registers: .zero, total: .zero))

    /// Without an open item the verdict decides; with one, every verdict is held (stored with
    /// its own reasons, nothing billed, nothing rebaselined) and the data is under review.
    @Test(arguments: [
        (ReadingVerdict.baseline, nil, ReadingDisposition.baseline),
        (.accepted(interval), nil, .bill(interval)),
        (.abnormal([.duplicate]), nil, .openReview([.duplicate])),
        (.baseline, 7, .held([], reviewItem: 7)),
        (.accepted(interval), 7, .held([], reviewItem: 7)),
        (.abnormal([.duplicate]), 7, .held([.duplicate], reviewItem: 7)),
    ] as [(ReadingVerdict, Int64?, ReadingDisposition)])
    func disposition(_ verdict: ReadingVerdict, _ openItem: Int64?, _ expected: ReadingDisposition) {
        let disposition = AbnormalDataHold.disposition(of: verdict, openReviewItem: openItem)
        #expect(disposition == expected)
        switch disposition {
        case .baseline, .bill: #expect(disposition.dataStatus == .normal)
        case .openReview(let reasons), .held(let reasons, _): #expect(disposition.dataStatus == .abnormal(reasons))
        }
    }

    /// The policy rule: on held data no alarm and no trip is planned, whatever the balance, while
    /// every favourable command (allow-close, direct close and keep-power of protection, alarm
    /// release, keep-power release) is planned exactly as on normal data.
    @Test func heldDataStopsAdverseDecisionsOnly() throws {
        let policy = ControlPolicy(calendar: try TripCalendar.parse(windows: ["Mon-Sun 00:00-24:00"], holidays: [], timeZone: stationZone))
        let adverse: Set<CommandKind> = [.alarm, .trip]
        var rng = SeededGenerator(seed: 136)
        var checked = 0
        for _ in 0..<2_000 {
            let trip = Int64.random(in: -20_000_000...10_000_000, using: &rng)
            let settings = try ControlSettings(
                alarm: AlarmThreshold(Money(microYuan: trip + Int64.random(in: 0...30_000_000, using: &rng))),
                trip: TripThreshold(Money(microYuan: trip)),
                reconnectMargin: ReconnectMargin(Money(microYuan: Int64.random(in: 0...10_000_000, using: &rng))),
                isProtected: Int.random(in: 0..<5, using: &rng) == 0)
            let balance = Money(microYuan: trip + Int64.random(in: -40_000_000...40_000_000, using: &rng))
            let meter = MeterState(relay: RelayState.allCases.randomElement(using: &rng) ?? .closed,
                                   alarm: Bool.random(using: &rng), keepPower: Bool.random(using: &rng))
            let normal = policy.evaluate(balance: balance, settings: settings, meter: meter, data: .normal, at: Self.start)
            let held = policy.evaluate(balance: balance, settings: settings, meter: meter, data: .abnormal([]), at: Self.start)
            #expect(held.commands.allSatisfy { !adverse.contains($0.kind) }, "\(held.commands)")
            #expect(held.commands == normal.commands.filter { !adverse.contains($0.kind) })
            #expect(held.state == .abnormal)
            if normal.commands.contains(where: { adverse.contains($0.kind) }) {
                #expect(held.held.contains { $0.reason == .abnormalData }, "a held adverse decision is named: \(held.held)")
                checked += 1
            }
        }
        #expect(checked > 100, "enough scenarios where the hold bites")
    }

    // MARK: Resolutions

    static let baseline = reading(0, flat: 100_000, valley: 50_000)

    /// `accept` bills the interval from the baseline to the reading as read, whatever made it
    /// abnormal (a jump, a clock, registers that do not add up).
    @Test func acceptBillsTheIntervalAsRead() throws {
        let jump = Self.reading(900, flat: 9_000_000, valley: 50_100, total: 9_050_000)
        let interval = try #require(try AbnormalDataHold.accepting(jump, after: Self.baseline))
        #expect(interval.from == Self.baseline.collectedAt && interval.to == jump.collectedAt)
        #expect(interval.consumption.total == Energy(hundredths: 8_900_000))
        #expect(interval.consumption.registers == PerRegister(sharp: .zero, peak: .zero, flat: Energy(hundredths: 8_900_000),
                                                              valley: Energy(hundredths: 100)))
        // No baseline: the accepted reading is simply the meter's first.
        #expect(try AbnormalDataHold.accepting(jump, after: nil) == nil)
        #expect(throws: Never.self) { try AbnormalDataHold.rebaselining(jump, after: Self.baseline) }
    }

    /// A register that ran backwards cannot be billed as read: `accept` is refused, naming
    /// `meter_replaced`, which takes it as the new baseline.
    @Test func aRollbackIsAMeterReplacedNotAnAcceptance() throws {
        let rollback = Self.reading(900, flat: 10, valley: 0)
        let refused = #expect(throws: ResolutionRefused.self) { try AbnormalDataHold.accepting(rollback, after: Self.baseline) }
        #expect(refused?.description.contains("backwards") == true && refused?.description.contains("meter_replaced") == true,
                "\(String(describing: refused))")
        #expect(throws: Never.self) { try AbnormalDataHold.rebaselining(rollback, after: Self.baseline) }
    }

    /// Neither resolution takes a register no meter can show, nor a reading at or before the
    /// baseline: those are cancelled (left unused).
    @Test(arguments: [
        reading(900, flat: 100_000_000),
        MeterReading(collectedAt: start.addingTimeInterval(900), total: Energy(hundredths: -1), registers: .zero),
        reading(0, flat: 100_100, valley: 50_000),
        reading(-60, flat: 100_100, valley: 50_000),
    ])
    func unusableReadingsAreRefusedBothWays(_ flagged: MeterReading) {
        for resolve in [{ _ = try AbnormalDataHold.accepting(flagged, after: Self.baseline) },
                        { try AbnormalDataHold.rebaselining(flagged, after: Self.baseline) }] as [() throws -> Void] {
            let refused = #expect(throws: ResolutionRefused.self) { try resolve() }
            #expect(refused?.description.contains("cancel") == true, "\(String(describing: refused))")
        }
    }
}
