import Foundation
import Tariffs

/// One month of an account's statement: its register readings and the ledger's money.
public struct StatementMonth: Sendable, Hashable {
    public let month: BillingMonth
    /// The billed reading at or just before `from`; the first one in the month when there is none
    /// before (the account's readings begin in it); nil without either.
    public var start: MeterReading?
    /// The last billed reading before `to`; nil when there is none.
    public var end: MeterReading?
    /// The balance before the month's first entry (an account opened in the month: its opening balance).
    public var openingBalance: Money = .zero
    /// The reading charges posted in the month, as charged (positive).
    public var charge: Money = .zero
    public var payments: Money = .zero
    /// Operator adjustments, signed.
    public var adjustments: Money = .zero
    /// The balance after the month's last entry: opening + payments + adjustments − charge.
    public var closingBalance: Money = .zero

    public init(month: BillingMonth) { self.month = month }

    /// The meter's total register difference, end − start (a rollover at 999999.99 unwrapped);
    /// nil without both readings.
    public var energy: Energy? {
        guard let start, let end else { return nil }
        return Self.difference(start.total, end.total)
    }

    /// The difference per tariff register, as `energy`.
    public var registerEnergy: PerRegister<Energy>? {
        guard let start, let end else { return nil }
        var out = PerRegister<Energy>.zero
        for register in TariffRegister.allCases {
            out[register] = Self.difference(start.registers[register], end.registers[register])
        }
        return out
    }

    private static func difference(_ from: Energy, _ to: Energy) -> Energy {
        let raw = to.hundredths - from.hundredths
        return Energy(hundredths: raw >= 0 ? raw : raw + ValidationLimits.registerModulus)
    }
}

/// A ledger entry as a statement folds it.
public struct StatementEntry: Sendable, Hashable {
    public let kind: LedgerEntryKind
    public let amount: Money
    public let at: Date
    /// A charge whose reading retention has deleted: its month's register readings are not known.
    public let readingGone: Bool

    public init(kind: LedgerEntryKind, amount: Money, at: Date, readingGone: Bool = false) {
        self.kind = kind
        self.amount = amount
        self.at = at
        self.readingGone = readingGone
    }
}

/// Why a statement cannot be folded.
public enum StatementError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A sum past what 64 bits of micro-yuan hold.
    case overflow(month: String)

    public var description: String {
        switch self {
        case .overflow(let month): "the sums of \(month) do not fit 64 bits of micro-yuan"
        }
    }
}

/// Folds an account's ledger and billed readings into billing months.
public enum StatementFold {
    /// - Parameters:
    ///   - months: oldest first, contiguous (`BillingCalendar.months`).
    ///   - balanceBefore: the balance after the last entry before `entries` (zero for an account
    ///     opened inside the window).
    ///   - entries: the ledger from the first entry of the window on, in posting order.
    ///   - readings: the billed readings, by `collectedAt`, including the last one before the window.
    ///   - readingBeforeGone: the last charge before the window lost its reading to retention.
    /// - Returns: the months oldest first. A month whose readings retention has (partly) deleted —
    ///   a charge in it, or the last one before it, without its reading — has no start and end
    ///   readings (and so no energy): unknown, rather than a difference over the wrong span.
    ///
    /// An entry counts in the month of its instant; one posted while the station clock stood
    /// behind an earlier entry's (a clock set back) counts with that earlier entry, so each month
    /// holds a run of the ledger and every month's closing balance is the ledger's balance after
    /// its last entry: opening + payments + adjustments − charge = closing, month after month.
    public static func fold(months: [BillingMonth], balanceBefore: Money, entries: [StatementEntry],
                            readings: [MeterReading], readingBeforeGone: Bool = false) throws(StatementError) -> [StatementMonth] {
        var out = months.map(StatementMonth.init(month:))
        guard !out.isEmpty else { return out }
        var readingsGone = [Bool](repeating: false, count: out.count)
        var lastChargeGone = readingBeforeGone
        readingsGone[0] = lastChargeGone
        var balance = balanceBefore
        var current = 0
        out[0].openingBalance = balance
        for entry in entries {
            let index = max(current, monthIndex(of: entry.at, in: months))
            while current < index {
                out[current].closingBalance = balance
                current += 1
                out[current].openingBalance = balance
                readingsGone[current] = lastChargeGone
            }
            try post(entry, to: &out[current], balance: &balance)
            if entry.kind == .charge {
                lastChargeGone = entry.readingGone
                readingsGone[current] = readingsGone[current] || entry.readingGone
            }
        }
        for i in current..<out.count {
            out[i].closingBalance = balance
            if i > current {
                out[i].openingBalance = balance
                readingsGone[i] = lastChargeGone
            }
        }
        for i in out.indices where !readingsGone[i] {
            out[i].start = startReading(of: months[i], in: readings)
            out[i].end = readings.last { $0.collectedAt < months[i].to }
        }
        return out
    }

    /// The month `instant` falls in; instants outside the window count in its first or last month.
    static func monthIndex(of instant: Date, in months: [BillingMonth]) -> Int {
        months.lastIndex { $0.from <= instant } ?? 0
    }

    private static func post(_ entry: StatementEntry, to month: inout StatementMonth, balance: inout Money) throws(StatementError) {
        let overflow = StatementError.overflow(month: month.month.label)
        func add(_ a: Money, _ b: Money) throws(StatementError) -> Money {
            guard let sum = a.adding(b) else { throw overflow }
            return sum
        }
        switch entry.kind {
        case .opening:
            // The account begins here: its opening balance is the month's.
            month.openingBalance = try add(month.openingBalance, entry.amount)
        case .payment: month.payments = try add(month.payments, entry.amount)
        case .adjustment: month.adjustments = try add(month.adjustments, entry.amount)
        case .charge: month.charge = try add(month.charge, entry.amount)
        }
        let effect = LedgerEntry(kind: entry.kind, amount: entry.amount, at: entry.at).effect
        balance = try add(balance, effect)
    }

    private static func startReading(of month: BillingMonth, in readings: [MeterReading]) -> MeterReading? {
        readings.last { $0.collectedAt <= month.from } ?? readings.first { month.contains($0.collectedAt) }
    }
}
