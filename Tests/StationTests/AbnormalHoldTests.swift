import ChargeControl
import Foundation
import Store
import Tariffs
import Testing
@testable import Station

/// Issue 13 item 6, in process: every kind of abnormal reading the validation knows holds its
/// account (no alarm, no trip, nothing billed) over later readings, good or bad, until an
/// operator resolves the item; then the normal policy trips. Several kinds cannot be made by a
/// `meter-sim` (registers that do not add up, a register out of range, a duplicate or
/// out-of-order instant, an unbillable interval; a meter clock far off until the simulator sets
/// clocks), so this is where each kind is driven; `AbnormalHoldEndToEndTests` drives the ones a
/// simulator can make through real processes.
///
/// The rules of `rules()`: a flat 0.50 yuan/kWh, rated power 20 kW (20 kWh an hour), clock skew
/// 300 s, register-sum tolerance 0.02 kWh; alarm 20.00, trip 0.00.
@Suite("Abnormal data holds control until resolved")
struct AbnormalHoldTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let code: String
        /// The day: 2026-11-23, or one before the tariff's first price (nothing can be rated).
        var day = "2026-11-23"
        /// The abnormal reading (the baseline is 100.00 kWh at 10:00).
        let abnormal: @Sendable (String) -> MeterReading
        /// Three later readings at 11:15, 11:30, 11:45: each is held.
        let later: [Int64]
        /// Resolutions the reading cannot take (409).
        var refused: [ReadingResolution] = []
        /// The resolution that ends the hold; nil: the item is cancelled.
        let resolution: ReadingResolution?
        /// What the resolution charges.
        let charged: String
        /// The reading at 12:00 after it: 2 kWh on from the new baseline (from the old one after
        /// a cancel), billed 1.00 yuan; nil where that reading cannot be billed either.
        var next: (@Sendable (String) -> MeterReading)?
        var testDescription: String { code }
    }

    static let cases: [Case] = [
        // Backwards by 50 kWh: a rollback or a new meter. Cannot be billed as read.
        Case(code: "register_backwards", abnormal: { reading("\($0)T11:00:00+08:00", total: "50.00") },
             later: [5_050, 5_100, 5_150], refused: [.accept], resolution: .meterReplaced, charged: "0.00",
             next: { reading("\($0)T12:00:00+08:00", total: "52.00") }),
        // 100 kWh in an hour at 20 kW rated: accepted as real, billed 50.00.
        Case(code: "jump_above_rated_power", abnormal: { reading("\($0)T11:00:00+08:00", total: "200.00") },
             later: [20_050, 20_100, 20_150], resolution: .accept, charged: "50.00",
             next: { reading("\($0)T12:00:00+08:00", total: "202.00") }),
        // The total moved 10 kWh, the registers 5: accepted, the registers are priced (2.50).
        Case(code: "register_sum_mismatch",
             abnormal: { MeterReading(collectedAt: instant("\($0)T11:00:00+08:00"), total: kWh("110.00"),
                                      registers: PerRegister(sharp: .zero, peak: .zero, flat: kWh("105.00"), valley: .zero)) },
             later: [10_550, 10_600, 10_650], resolution: .accept, charged: "2.50",
             next: { MeterReading(collectedAt: instant("\($0)T12:00:00+08:00"), total: kWh("112.00"),
                                  registers: PerRegister(sharp: .zero, peak: .zero, flat: kWh("107.00"), valley: .zero)) }),
        // The meter's clock an hour ahead: the energy is right, accepted (10 kWh, 5.00).
        Case(code: "clock_skew",
             abnormal: { MeterReading(collectedAt: instant("\($0)T11:00:00+08:00"), meterTime: instant("\($0)T12:00:00+08:00"),
                                      total: kWh("110.00"), registers: PerRegister(sharp: .zero, peak: .zero, flat: kWh("110.00"), valley: .zero)) },
             later: [11_050, 11_100, 11_150], resolution: .accept, charged: "5.00",
             next: { reading("\($0)T12:00:00+08:00", total: "112.00") }),
        // No XXXXXX.XX register shows a million kWh: neither data nor baseline; cancelled.
        Case(code: "register_out_of_range", abnormal: { flat(100_000_000, at: "\($0)T11:00:00+08:00") },
             later: [10_050, 10_100, 10_150], refused: [.accept, .meterReplaced], resolution: nil, charged: "0.00",
             next: { reading("\($0)T12:00:00+08:00", total: "102.00") }),
        // No price in force in 2019: nothing can be rated, so it cannot be accepted either.
        Case(code: "unbillable", day: "2019-06-03", abnormal: { reading("\($0)T11:00:00+08:00", total: "110.00") },
             later: [11_050, 11_100, 11_150], refused: [.accept], resolution: .meterReplaced, charged: "0.00"),
        // The baseline's own instant again, and one before it: cancelled.
        Case(code: "duplicate", abnormal: { reading("\($0)T10:00:00+08:00", total: "100.00") },
             later: [10_050, 10_100, 10_150], refused: [.accept, .meterReplaced], resolution: nil, charged: "0.00",
             next: { reading("\($0)T12:00:00+08:00", total: "102.00") }),
        Case(code: "out_of_order", abnormal: { reading("\($0)T09:59:00+08:00", total: "100.00") },
             later: [10_050, 10_100, 10_150], refused: [.accept, .meterReplaced], resolution: nil, charged: "0.00",
             next: { reading("\($0)T12:00:00+08:00", total: "102.00") }),
    ]

    /// Every `AbnormalReason` the validation and rating know has a case here.
    @Test func everyKindHasACase() {
        let kinds: [AbnormalReason] = [
            .duplicate, .outOfOrder(previous: .now), .registerBackwards(.total, from: .zero, to: .zero),
            .jumpAboveRatedPower(delta: .zero, limit: .zero), .registerSumMismatch(total: .zero, sum: .zero),
            .clockSkew(seconds: 0, limit: 0), .registerOutOfRange(.total, .zero), .unbillable(""),
        ]
        #expect(Set(kinds.map(\.code)) == Set(Self.cases.map(\.code)))
    }

    static func apply(_ store: StationStore, _ evaluator: Evaluator, _ r: MeterReading) async throws -> Evaluation {
        try await store.transaction { tx in try evaluator.apply(reading: r, meter: nil, account: "A1", at: r.collectedAt, in: tx) }
    }

    static func flat(_ hundredths: Int64, at: String) -> MeterReading {
        let e = Energy(hundredths: hundredths)
        return MeterReading(collectedAt: instant(at), total: e, registers: PerRegister(sharp: .zero, peak: .zero, flat: e, valley: .zero))
    }

    /// The kinds of commands queued for A1 that are alarm or trip.
    static func adverse(_ store: StationStore) async throws -> [CommandKind] {
        try await store.commands(account: "A1").map(\.kind).filter { $0 == .alarm || $0 == .trip }
    }

    @Test(arguments: cases)
    func holdsUntilResolvedThenTrips(_ c: Case) async throws {
        let store = try await storeWithAccount(opening: "30.00")
        let evaluator = Evaluator(rules: try rules())
        let day = c.day
        #expect(try await Self.apply(store, evaluator, reading("\(day)T10:00:00+08:00", total: "100.00")).outcome == .baseline)

        let flagged = try await Self.apply(store, evaluator, c.abnormal(day))
        guard case .abnormal(let reasons) = flagged.outcome else { Issue.record("not abnormal: \(flagged.outcome)"); return }
        #expect(reasons.map(\.code).contains(c.code), "\(reasons)")
        let items = try await store.openReviewItems()
        #expect(items.count == 1 && items.first?.kind == .reading && items.first?.readingID == flagged.readingID)
        let item = try #require(items.first).id

        // An operator takes 40.00 off: −10.00, at or below both thresholds. Held.
        let adjusted = try await store.transaction { tx in
            _ = try tx.recordAdjustment(AdjustmentRequest(adjustmentNo: "ADJ-1", accountID: "A1", amount: yuan("-40.00"),
                                                          reason: "test"), receivedAt: instant("\(day)T11:05:00+08:00"))
            return try evaluator.reevaluate(account: "A1", at: instant("\(day)T11:05:00+08:00"), in: tx)
        }
        #expect(adjusted.balance == yuan("-10.00") && adjusted.plan.commands.isEmpty, "\(adjusted.plan)")
        #expect(adjusted.plan.held.map(\.reason) == [.abnormalData, .abnormalData])

        // Several collection cycles: each reading is stored and held, nothing billed, no new item.
        for (index, total) in c.later.enumerated() {
            let at = "\(day)T11:\(15 * (index + 1)):00+08:00"
            let held = try await Self.apply(store, evaluator, Self.flat(total, at: at))
            guard case .held(_, let by) = held.outcome else { Issue.record("not held: \(held.outcome)"); return }
            #expect(by == item)
            #expect(held.balance == yuan("-10.00") && held.plan.commands.isEmpty && held.plan.state == .abnormal)
        }
        #expect(try await Self.adverse(store).isEmpty, "no alarm, no trip while the item is open")
        #expect(try await store.openReviewItems().map(\.id) == [item])
        #expect(try await store.ledger(account: "A1").map(\.kind) == [.opening, .adjustment], "nothing charged while held")
        #expect(try await store.account("A1")?.state == .abnormal)

        // Resolutions the reading cannot take are refused with nothing written.
        let now = instant("\(day)T11:50:00+08:00")
        for resolution in c.refused {
            let refused = await #expect(throws: ResolutionRefused.self) {
                _ = try await store.transaction { tx in
                    try evaluator.act(onReadingReview: item, .resolve(resolution), note: "try \(resolution.rawValue)", at: now, in: tx)
                }
            }
            #expect(refused?.description.contains("cancel") == true, "\(String(describing: refused))")
        }
        #expect(try await store.reviewItem(item).state == .open)
        #expect(try await Self.adverse(store).isEmpty)

        let event: ReadingReviewEvent = c.resolution.map { .resolve($0) } ?? .cancel
        let done = try await store.transaction { tx in
            try evaluator.act(onReadingReview: item, event, note: "checked on site", at: now, in: tx)
        }
        #expect(done.item.state == (c.resolution == nil ? .cancelled : .resolved))
        #expect(done.item.resolution == c.resolution && done.item.operatorNote == "checked on site")
        // The hold is over: the normal policy alarms and trips at once.
        let balance = try #require(yuan("-10.00").adding(Money(microYuan: -yuan(c.charged).microYuan)))
        #expect(done.evaluation.balance == balance)
        #expect(done.evaluation.plan.commands.map(\.kind) == [.alarm, .trip], "\(done.evaluation.plan)")
        #expect(Set(try await Self.adverse(store)) == [.alarm, .trip])
        #expect(try await store.account("A1")?.state == .tripped)
        #expect(try await store.openReviewItems().isEmpty)

        // Billing goes on from what the operator decided: the next reading is billed from the
        // new baseline (or the old one, after a cancel), hold consumption included.
        if let next = c.next {
            let after = try await Self.apply(store, evaluator, next(day))
            #expect(after.outcome == .billed(charge: yuan("1.00"), energy: kWh("2.00")), "\(after.outcome)")
        }
        #expect(try await store.verifyBalances().isEmpty, "balances equal the ledger replay")
        #expect(try await store.verifyAudit().isIntact)
    }

    /// A trip queued before the data turned abnormal is superseded at the dispatcher's re-check
    /// (its claim re-decides with `reevaluate`, which sees the open item), saying why.
    @Test func aQueuedTripIsSupersededAtTheRecheck() async throws {
        let store = try await storeWithAccount(opening: "-2.00")
        let evaluator = Evaluator(rules: try rules())
        _ = try await Self.apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        let trip = try #require(try await store.commands(account: "A1").first { $0.kind == .trip })
        #expect(trip.state == .pending)
        _ = try await Self.apply(store, evaluator, reading("2026-11-23T10:15:00+08:00", total: "50.00"))
        let now = instant("2026-11-23T10:16:00+08:00")
        let (plan, account) = try await store.transaction { tx in
            _ = try tx.markInFlight(trip.id, at: now)
            return (try evaluator.reevaluate(account: "A1", at: now, in: tx).plan, try tx.account("A1"))
        }
        guard case .supersede(let reason) = ControlEffects.recheck(.trip, meter: trip.meterAddress, accountMeter: account.meterAddress,
                                                                   plan: plan, at: now) else {
            Issue.record("the trip is still wanted: \(plan)")
            return
        }
        #expect(reason.contains("under review"), "\(reason)")
    }

    /// After the resolution adverse decisions go through the normal policy: outside the trip
    /// windows the trip waits for the next opening; a protected account is never tripped.
    @Test func afterTheResolutionWindowsAndProtectionApply() async throws {
        for protected in [false, true] {
            let store = try await storeWithAccount(opening: "30.00", protected: protected)
            let evaluator = Evaluator(rules: try rules(windows: ["Mon-Fri 08:00-16:00"]))
            _ = try await Self.apply(store, evaluator, reading("2026-11-23T15:00:00+08:00", total: "100.00"))
            _ = try await Self.apply(store, evaluator, reading("2026-11-23T16:00:00+08:00", total: "200.00"))
            let item = try #require(try await store.openReviewItems().first).id
            let evening = instant("2026-11-23T18:00:00+08:00")
            let done = try await store.transaction { tx in
                try evaluator.act(onReadingReview: item, .resolve(.accept), note: "real", at: evening, in: tx)
            }
            #expect(done.evaluation.balance == yuan("-20.00"))
            let kinds = done.evaluation.plan.commands.map(\.kind)
            if protected {
                #expect(!kinds.contains(.trip) && done.evaluation.plan.state == .protected, "\(done.evaluation.plan)")
            } else {
                let trip = try #require(done.evaluation.plan.commands.first { $0.kind == .trip })
                #expect(trip.isDeferred && trip.notBefore == instant("2026-11-24T08:00:00+08:00"))
                #expect(kinds.contains(.alarm) && done.evaluation.plan.state == .tripped)
            }
        }
    }

    /// Two items for one account (opened before one was kept per account): the account stays on
    /// hold until the last is closed. A resolution cannot move the baseline back over the other.
    @Test func theHoldLastsUntilTheLastItemCloses() async throws {
        let store = try await storeWithAccount(opening: "-5.00")
        let evaluator = Evaluator(rules: try rules())
        _ = try await Self.apply(store, evaluator, reading("2026-11-23T10:00:00+08:00", total: "100.00"))
        let first = try await Self.apply(store, evaluator, reading("2026-11-23T11:00:00+08:00", total: "50.00"))
        let now = instant("2026-11-23T11:30:00+08:00")
        // A second item as an older station would have opened it for a later abnormal reading.
        let second = try await store.transaction { tx in
            let id = try tx.insertReading(reading("2026-11-23T11:15:00+08:00", total: "51.00"), account: "A1", abnormal: [.duplicate])
            return try tx.openReadingReview(account: "A1", meter: "000000000001", readingID: id, reason: "older station", at: now)
        }
        let items = try await store.openReviewItems().map(\.id)
        #expect(items.count == 2 && items.last == second)
        let late = try await store.transaction { tx in
            try evaluator.act(onReadingReview: second, .resolve(.meterReplaced), note: "new meter", at: now, in: tx)
        }
        #expect(late.evaluation.plan.state == .abnormal && !late.evaluation.plan.commands.contains { $0.kind == .trip })
        let earlier = try #require(items.first)
        #expect(first.readingID != nil)
        await #expect(throws: ResolutionRefused.self) {
            _ = try await store.transaction { tx in
                try evaluator.act(onReadingReview: earlier, .resolve(.meterReplaced), note: "x", at: now, in: tx)
            }
        }
        let cancelled = try await store.transaction { tx in
            try evaluator.act(onReadingReview: earlier, .cancel, note: "superseded by the new meter", at: now, in: tx)
        }
        #expect(cancelled.evaluation.plan.commands.contains { $0.kind == .trip }, "\(cancelled.evaluation.plan)")
        #expect(try await store.verifyBalances().isEmpty)
    }
}
