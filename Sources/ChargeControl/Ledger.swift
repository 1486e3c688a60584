import Foundation
import Tariffs

/// What a ledger entry records.
public enum LedgerEntryKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The balance an account starts with (may be negative: a debt carried over). First, once.
    case opening
    /// Money paid in; positive.
    case payment
    /// An operator's correction, either sign.
    case adjustment
    /// A rated interval; recorded as a non-negative amount and subtracted.
    case charge
}

/// One line of an account's ledger.
public struct LedgerEntry: Sendable, Hashable, Codable {
    public let kind: LedgerEntryKind
    /// The amount as recorded: a charge is positive and is subtracted from the balance.
    public let amount: Money
    /// When it happened.
    public let at: Date
    /// Order number, interval, operator note: whatever lets an auditor find the source.
    public let reference: String

    public init(kind: LedgerEntryKind, amount: Money, at: Date, reference: String = "") {
        self.kind = kind
        self.amount = amount
        self.at = at
        self.reference = reference
    }

    /// The entry's effect on the balance.
    public var effect: Money {
        kind == .charge ? Money(microYuan: 0 &- amount.microYuan) : amount
    }
}

/// Why an entry cannot be posted.
public enum LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    case openingNotFirst(index: Int)
    case nonPositivePayment(index: Int)
    case negativeCharge(index: Int)
    case overflow(index: Int)

    public var description: String {
        switch self {
        case .openingNotFirst(let index): return "entry \(index): an opening balance must be the first entry"
        case .nonPositivePayment(let index): return "entry \(index): a payment must be positive"
        case .negativeCharge(let index): return "entry \(index): a charge must not be negative"
        case .overflow(let index): return "entry \(index): the balance would overflow"
        }
    }
}

/// An account's ledger: balance = opening + payments + adjustments − charges, always equal to
/// a replay of its entries.
public struct Ledger: Sendable, Hashable {
    /// The entries in posting order.
    public private(set) var entries: [LedgerEntry] = []
    /// The current balance.
    public private(set) var balance: Money = .zero

    /// An empty ledger (balance zero).
    public init() {}

    /// A ledger rebuilt from stored entries.
    public init(replaying entries: [LedgerEntry]) throws(LedgerError) {
        for entry in entries { try post(entry) }
    }

    /// Appends `entry`, refusing entries that break the ledger's rules or overflow.
    public mutating func post(_ entry: LedgerEntry) throws(LedgerError) {
        let index = entries.count
        switch entry.kind {
        case .opening where index != 0: throw .openingNotFirst(index: index)
        case .payment where entry.amount <= .zero: throw .nonPositivePayment(index: index)
        case .charge where entry.amount < .zero: throw .negativeCharge(index: index)
        default: break
        }
        let next: Money?
        if entry.kind == .charge {
            next = balance.subtracting(entry.amount)
        } else {
            next = balance.adding(entry.amount)
        }
        guard let next else { throw .overflow(index: index) }
        balance = next
        entries.append(entry)
    }

    /// The balance the entries replay to.
    public static func balance(replaying entries: [LedgerEntry]) throws(LedgerError) -> Money {
        try Ledger(replaying: entries).balance
    }
}
