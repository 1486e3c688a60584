import Foundation
import Testing
@testable import Tariffs

/// The bounds of issue 17: each is inside the next, and the worst sums and products of bounded
/// values fit `Int64` with room to spare, so no check downstream has to be the last defence.
@Suite struct AmountBoundsTests {
    @Test func boundsNestAndLeaveRoomInInt64() throws {
        #expect(AmountBounds.defaultPayment <= AmountBounds.balance)
        #expect(AmountBounds.threshold <= AmountBounds.balance)
        // The largest register step (a whole register) at the largest price, on all four
        // registers, plus the largest surcharge on the total: one reading's largest charge.
        let step = AmountBounds.register
        let energyCharge = try #require(AmountBounds.price.charge(for: step))
        let surcharge = try #require(AmountBounds.price.charge(for: step))
        var charge = Money.zero
        for part in [energyCharge, energyCharge, energyCharge, energyCharge, surcharge] {
            charge = try #require(charge.adding(part))
        }
        // A balance at either bound, moved by the largest payment or the largest charge, is far
        // inside Int64: at least 1,000 times.
        for balance in [AmountBounds.balance, Money(microYuan: -AmountBounds.balance.microYuan)] {
            let up = try #require(balance.adding(AmountBounds.balance))
            let down = try #require(balance.subtracting(charge))
            #expect(up.microYuan.magnitude < UInt64(Int64.max) / 1_000)
            #expect(down.microYuan.magnitude < UInt64(Int64.max) / 1_000)
        }
        // A tier year at its largest bound times the largest surcharge still fits.
        #expect(AmountBounds.price.charge(for: AmountBounds.tierEnergy) != nil)
    }

    @Test func checkWithinNamesFieldValueAndBound() throws {
        let limit = Money(microYuan: 10 * Money.microYuanPerYuan)
        try Money(microYuan: 10 * Money.microYuanPerYuan).checkWithin(limit, field: "amount_yuan", positive: true)
        try Money(microYuan: -10 * Money.microYuanPerYuan).checkWithin(limit, field: "trip_yuan")
        #expect(throws: AmountOutOfBounds(field: "amount_yuan", value: "10.01",
                                          bound: "above 0.00 and at most 10.00 yuan ([payments] max_yuan)")) {
            try Money(microYuan: 10_010_000).checkWithin(limit, field: "amount_yuan", positive: true, source: "[payments] max_yuan")
        }
        #expect(throws: AmountOutOfBounds.self) { try Money.zero.checkWithin(limit, field: "amount_yuan", positive: true) }
        #expect(throws: AmountOutOfBounds.self) { try Money(microYuan: -10_010_000).checkWithin(limit, field: "trip_yuan") }
        #expect(throws: AmountOutOfBounds.self) { try Money(microYuan: .min).checkWithin(limit, field: "trip_yuan") }
        let error = AmountOutOfBounds(field: "amount_yuan", value: "10.01", bound: "at most 10.00 yuan")
        #expect(error.description == "amount_yuan 10.01 is out of bounds: it must be at most 10.00 yuan")
    }

    @Test func addingWithinRefusesOverflowAndTheBound() {
        let bound = AmountBounds.balance
        #expect(bound.adding(Money(microYuan: 1), within: bound) == nil)
        #expect(Money(microYuan: .max).adding(Money(microYuan: 1), within: bound) == nil)
        #expect(Money(microYuan: .min).adding(Money(microYuan: -1), within: bound) == nil)
        #expect(Money(microYuan: -bound.microYuan).adding(.zero, within: bound) == Money(microYuan: -bound.microYuan))
        #expect(Money.zero.adding(bound, within: bound) == bound)
    }

    @Test func pricesAndStepsAtTheirBoundsParse() throws {
        let text = sampleTariffText
            .replacingOccurrences(of: "peak   = \"0.6000\"", with: "peak   = \"100.0000\"")
            .replacingOccurrences(of: "up_to_kwh = \"4800\"", with: "up_to_kwh = \"100000000.00\"")
        let tariff = try Tariff.parse(text, file: "bounds.toml")
        #expect(tariff.tiers.steps[1].upTo == AmountBounds.tierEnergy)
    }
}
