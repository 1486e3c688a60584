import Foundation
import Testing
import Tariffs
@testable import ChargeControl

@Suite struct LedgerTests {
    let when = at("2026-03-02T10:00:00+08:00")

    @Test func balanceIsOpeningPlusPaymentsPlusAdjustmentsMinusCharges() throws {
        var ledger = Ledger()
        try ledger.post(LedgerEntry(kind: .opening, amount: money("-5.00"), at: when))
        try ledger.post(LedgerEntry(kind: .payment, amount: money("100.00"), at: when, reference: "PO-1"))
        try ledger.post(LedgerEntry(kind: .charge, amount: Money(microYuan: 5_845_680), at: when))
        try ledger.post(LedgerEntry(kind: .adjustment, amount: money("-1.50"), at: when))
        #expect(ledger.balance == Money(microYuan: -5_000_000 + 100_000_000 - 5_845_680 - 1_500_000))
        #expect(try Ledger.balance(replaying: ledger.entries) == ledger.balance)
    }

    @Test(arguments: [
        ([LedgerEntry(kind: .payment, amount: Money(microYuan: 1), at: Date()), LedgerEntry(kind: .opening, amount: .zero, at: Date())],
         LedgerError.openingNotFirst(index: 1)),
        ([LedgerEntry(kind: .payment, amount: .zero, at: Date())], .nonPositivePayment(index: 0)),
        ([LedgerEntry(kind: .charge, amount: Money(microYuan: -1), at: Date())], .negativeCharge(index: 0)),
        ([LedgerEntry(kind: .opening, amount: Money(microYuan: Int64.max), at: Date()),
          LedgerEntry(kind: .payment, amount: Money(microYuan: 1), at: Date())], .overflow(index: 1)),
        ([LedgerEntry(kind: .opening, amount: Money(microYuan: Int64.min + 1), at: Date()),
          LedgerEntry(kind: .charge, amount: Money(microYuan: 2), at: Date())], .overflow(index: 1)),
    ])
    func refuses(_ entries: [LedgerEntry], _ error: LedgerError) {
        #expect(throws: error) { try Ledger(replaying: entries) }
    }

    @Test func replayGivesTheSameBalance() throws {
        var rng = SeededGenerator(seed: 2026)
        for _ in 0..<200 {
            var ledger = Ledger()
            var expected: Int64 = 0
            if Bool.random(using: &rng) {
                let opening = Int64.random(in: -100_000_000...100_000_000, using: &rng)
                try ledger.post(LedgerEntry(kind: .opening, amount: Money(microYuan: opening), at: when))
                expected += opening
            }
            for index in 0..<Int.random(in: 0...60, using: &rng) {
                let instant = when.addingTimeInterval(TimeInterval(index * 900))
                switch Int.random(in: 0..<3, using: &rng) {
                case 0:
                    let amount = Int64.random(in: 1...500_000_000, using: &rng)
                    try ledger.post(LedgerEntry(kind: .payment, amount: Money(microYuan: amount), at: instant))
                    expected += amount
                case 1:
                    let amount = Int64.random(in: -10_000_000...10_000_000, using: &rng)
                    try ledger.post(LedgerEntry(kind: .adjustment, amount: Money(microYuan: amount), at: instant))
                    expected += amount
                default:
                    let amount = Int64.random(in: 0...20_000_000, using: &rng)
                    try ledger.post(LedgerEntry(kind: .charge, amount: Money(microYuan: amount), at: instant))
                    expected -= amount
                }
            }
            #expect(ledger.balance.microYuan == expected)
            #expect(try Ledger.balance(replaying: ledger.entries) == ledger.balance)
            #expect(ledger.entries.reduce(Int64(0)) { $0 + $1.effect.microYuan } == expected)
        }
    }
}
