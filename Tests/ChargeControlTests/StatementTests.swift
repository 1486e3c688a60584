import Foundation
import SeededRandom
import Tariffs
import Testing
@testable import ChargeControl

/// Billing months from the reading day, and the ledger folded into them (issue 14 item 2).
@Suite struct StatementTests {
    // MARK: months

    @Test func monthsRunFromTheReadingDayToTheNextOnesInTheStationZone() {
        let months = BillingCalendar.months(3, readingDay: 15, endingWith: at("2026-01-10T09:00:00+08:00"), zone: stationZone)
        // 10 January is before the 15th: the month under way began on 15 December.
        #expect(months.map(\.label) == ["2025-10", "2025-11", "2025-12"])
        #expect(months.map(\.from) == [at("2025-10-15T00:00:00+08:00"), at("2025-11-15T00:00:00+08:00"), at("2025-12-15T00:00:00+08:00")])
        #expect(months.last?.to == at("2026-01-15T00:00:00+08:00"))
        for (a, b) in zip(months, months.dropFirst()) { #expect(a.to == b.from, "contiguous") }
    }

    @Test func theReadingDayItselfStartsTheMonthAtMidnight() {
        let atMidnight = BillingCalendar.months(1, readingDay: 1, endingWith: at("2026-03-01T00:00:00+08:00"), zone: stationZone)
        #expect(atMidnight.first?.label == "2026-03")
        let before = BillingCalendar.months(1, readingDay: 1, endingWith: at("2026-02-28T23:59:59+08:00"), zone: stationZone)
        #expect(before.first?.label == "2026-02")
        #expect(before.first?.to == at("2026-03-01T00:00:00+08:00"))
    }

    @Test func day28FitsFebruaryOfEveryYear() {
        let months = BillingCalendar.months(2, readingDay: 28, endingWith: at("2028-03-27T12:00:00+08:00"), zone: stationZone)
        // 2028 is a leap year: 28 Jan → 28 Feb is 31 days, 28 Feb → 28 Mar 29 days.
        #expect(months.map(\.label) == ["2028-01", "2028-02"])
        #expect(months[1].to.timeIntervalSince(months[1].from) == 29 * 86_400)
        #expect(months[0].to.timeIntervalSince(months[0].from) == 31 * 86_400)
    }

    /// São Paulo began summer time at midnight on 4 November 2018: that day had no 00:00, so the
    /// month starts at the first instant the day has (01:00 −02:00), and the month before it
    /// ends there; its length is civil days, not 24-hour multiples.
    @Test func aMidnightThatDoesNotExistStartsTheDayAtItsFirstInstant() throws {
        let zone = try #require(TimeZone(identifier: "America/Sao_Paulo"))
        let months = BillingCalendar.months(2, readingDay: 4, endingWith: at("2018-11-20T12:00:00-02:00"), zone: zone)
        #expect(months.map(\.label) == ["2018-10", "2018-11"])
        #expect(months[1].from == at("2018-11-04T01:00:00-02:00"))
        #expect(months[0].to == months[1].from)
        #expect(months[0].from == at("2018-10-04T00:00:00-03:00"))
    }

    @Test func monthsAreContiguousWhereverNowFalls() {
        var random = SplitMix64(seed: 14)
        for _ in 0..<500 {
            let now = Date(timeIntervalSince1970: Double(random.next() % 2_000_000_000))
            let day = Int(random.next() % 28) + 1
            let months = BillingCalendar.months(24, readingDay: day, endingWith: now, zone: stationZone)
            #expect(months.count == 24)
            #expect(months.last?.contains(now) == true, "now \(now), day \(day)")
            for (a, b) in zip(months, months.dropFirst()) { #expect(a.to == b.from && a.from < a.to) }
        }
    }

    // MARK: folding

    let october = BillingMonth(year: 2026, month: 10, from: at("2026-10-01T00:00:00+08:00"), to: at("2026-11-01T00:00:00+08:00"))
    let november = BillingMonth(year: 2026, month: 11, from: at("2026-11-01T00:00:00+08:00"), to: at("2026-12-01T00:00:00+08:00"))

    func reading(_ when: String, _ total: String, flat: String? = nil) -> MeterReading {
        let e = (try? Energy(kWh: total)) ?? .zero
        let f = flat.flatMap { try? Energy(kWh: $0) } ?? e
        return MeterReading(collectedAt: at(when), total: e, registers: PerRegister(sharp: .zero, peak: .zero, flat: f, valley: .zero))
    }

    @Test func eachMonthClosesWhereTheNextOpensAndTheIdentityHolds() throws {
        let entries = [
            StatementEntry(kind: .payment, amount: money("30.00"), at: at("2026-10-05T10:00:00+08:00")),
            StatementEntry(kind: .charge, amount: Money(microYuan: 1_234_567), at: at("2026-10-20T10:00:00+08:00")),
            StatementEntry(kind: .adjustment, amount: money("-2.00"), at: at("2026-10-31T23:59:59+08:00")),
            StatementEntry(kind: .charge, amount: Money(microYuan: 4_000_001), at: at("2026-11-01T00:00:00+08:00")),
        ]
        let months = try StatementFold.fold(months: [october, november], balanceBefore: money("10.00"), entries: entries, readings: [])
        #expect(months[0].openingBalance == money("10.00"))
        #expect(months[0].payments == money("30.00"))
        #expect(months[0].charge == Money(microYuan: 1_234_567))
        #expect(months[0].adjustments == money("-2.00"))
        #expect(months[0].closingBalance == Money(microYuan: 36_765_433))
        #expect(months[1].openingBalance == months[0].closingBalance)
        #expect(months[1].charge == Money(microYuan: 4_000_001))
        #expect(months[1].closingBalance == Money(microYuan: 32_765_432))
        for m in months {
            #expect(m.openingBalance.microYuan + m.payments.microYuan + m.adjustments.microYuan - m.charge.microYuan == m.closingBalance.microYuan)
        }
    }

    @Test func anAccountOpenedInTheMonthOpensWithItsOpeningBalance() throws {
        let entries = [StatementEntry(kind: .opening, amount: money("100.00"), at: at("2026-11-03T08:00:00+08:00")),
                       StatementEntry(kind: .charge, amount: money("5.00"), at: at("2026-11-04T08:00:00+08:00"))]
        let months = try StatementFold.fold(months: [october, november], balanceBefore: .zero, entries: entries, readings: [])
        #expect(months[0].openingBalance == .zero && months[0].closingBalance == .zero)
        #expect(months[1].openingBalance == money("100.00"))
        #expect(months[1].closingBalance == money("95.00"))
    }

    /// A clock set back posts an entry "before" one already in the next month: it stays with the
    /// ledger's run, so each month's closing is still the balance after its last entry.
    @Test func anEntryPostedWithTheClockSetBackStaysInTheMonthTheLedgerReached() throws {
        let entries = [StatementEntry(kind: .charge, amount: money("1.00"), at: at("2026-11-01T00:00:05+08:00")),
                       StatementEntry(kind: .charge, amount: money("2.00"), at: at("2026-10-31T23:59:58+08:00"))]
        let months = try StatementFold.fold(months: [october, november], balanceBefore: money("10.00"), entries: entries, readings: [])
        #expect(months[0].closingBalance == money("10.00"))
        #expect(months[1].charge == money("3.00"))
        #expect(months[1].closingBalance == money("7.00"))
    }

    @Test func startAndEndAreTheReadingsAtOrBeforeTheBoundaries() throws {
        let readings = [reading("2026-09-30T23:00:00+08:00", "100.00"), reading("2026-10-15T00:00:00+08:00", "150.00"),
                        reading("2026-11-01T00:00:00+08:00", "180.00"), reading("2026-11-20T00:00:00+08:00", "200.50")]
        let months = try StatementFold.fold(months: [october, november], balanceBefore: .zero, entries: [], readings: readings)
        #expect(months[0].start?.total.kWhString == "100.00")
        #expect(months[0].end?.total.kWhString == "150.00", "the reading at 1 November 00:00 belongs to November")
        #expect(months[0].energy?.kWhString == "50.00")
        #expect(months[1].start?.total.kWhString == "180.00", "at the boundary itself")
        #expect(months[1].energy?.kWhString == "20.50")
        #expect(months[1].registerEnergy?.flat.kWhString == "20.50")
        #expect(months[1].registerEnergy?.peak.kWhString == "0.00")
    }

    /// Months whose readings retention deleted (a charge in them, or the last one before them,
    /// without its reading) show no readings and no energy, never a difference over the wrong
    /// span; their money is unchanged.
    @Test func monthsWithDeletedReadingsHaveNoEnergy() throws {
        // A kept reading from long before (a review item's), then October's charges without
        // readings, then November's with them.
        let readings = [reading("2025-01-10T00:00:00+08:00", "5.00"), reading("2026-11-02T00:00:00+08:00", "180.00"),
                        reading("2026-11-20T00:00:00+08:00", "200.50")]
        let entries = [
            StatementEntry(kind: .charge, amount: money("3.00"), at: at("2026-10-10T00:00:00+08:00"), readingGone: true),
            StatementEntry(kind: .charge, amount: money("1.00"), at: at("2026-11-02T00:00:00+08:00")),
            StatementEntry(kind: .charge, amount: money("2.00"), at: at("2026-11-20T00:00:00+08:00")),
        ]
        let months = try StatementFold.fold(months: [october, november], balanceBefore: money("10.00"), entries: entries,
                                            readings: readings, readingBeforeGone: true)
        #expect(months[0].start == nil && months[0].end == nil && months[0].energy == nil, "not 5.00 from 2025")
        #expect(months[0].charge == money("3.00") && months[0].closingBalance == money("7.00"))
        // November's last charge before it (October's) lost its reading: its start is unknown too.
        #expect(months[1].energy == nil)
        #expect(months[1].closingBalance == money("4.00"))
        // With October's reading there, November's readings are known.
        var known = entries
        known[0] = StatementEntry(kind: .charge, amount: money("3.00"), at: at("2026-10-10T00:00:00+08:00"))
        let whole = try StatementFold.fold(months: [october, november], balanceBefore: money("10.00"), entries: known,
                                           readings: (readings + [reading("2026-10-10T00:00:00+08:00", "170.00")])
                                               .sorted { $0.collectedAt < $1.collectedAt })
        #expect(whole[1].start?.total.kWhString == "170.00" && whole[1].energy?.kWhString == "30.50")
    }

    @Test func withoutAReadingBeforeTheMonthItStartsAtItsFirst() throws {
        let readings = [reading("2026-11-05T00:00:00+08:00", "10.00"), reading("2026-11-06T00:00:00+08:00", "12.00")]
        let months = try StatementFold.fold(months: [october, november], balanceBefore: .zero, entries: [], readings: readings)
        #expect(months[0].start == nil && months[0].end == nil && months[0].energy == nil)
        #expect(months[1].start?.total.kWhString == "10.00")
        #expect(months[1].energy?.kWhString == "2.00")
    }

    @Test func aRegisterRolloverIsUnwrapped() throws {
        let readings = [reading("2026-10-31T00:00:00+08:00", "999999.00"), reading("2026-11-30T00:00:00+08:00", "1.50")]
        let months = try StatementFold.fold(months: [november], balanceBefore: .zero, entries: [], readings: readings)
        #expect(months[0].energy?.kWhString == "2.50")
    }

    @Test func sumsPast64BitsAreRefusedNotWrapped() {
        let entries = [StatementEntry(kind: .payment, amount: Money(microYuan: .max), at: at("2026-11-02T00:00:00+08:00"))]
        #expect(throws: StatementError.self) {
            try StatementFold.fold(months: [november], balanceBefore: money("1.00"), entries: entries, readings: [])
        }
    }
}
