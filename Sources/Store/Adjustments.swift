import ChargeControl
import Foundation
import Tariffs

/// An operator's correction of a balance, either sign, idempotent by its number like a payment.
public struct AdjustmentRequest: Sendable, Hashable {
    public var adjustmentNo: String
    public var accountID: String
    public var amount: Money
    public var reason: String

    public init(adjustmentNo: String, accountID: String, amount: Money, reason: String) {
        self.adjustmentNo = adjustmentNo
        self.accountID = accountID
        self.amount = amount
        self.reason = reason
    }
}

/// A recorded adjustment and the balance right after it.
public struct AdjustmentReceipt: Sendable, Hashable {
    public let adjustmentNo: String
    public let accountID: String
    public let amount: Money
    public let reason: String
    public let receivedAt: Date
    public let balanceAfter: Money
}

/// What posting an adjustment did.
public typealias AdjustmentOutcome = PostingOutcome<AdjustmentReceipt>

extension StationStore {
    /// Records an adjustment exactly once, bounded like a payment: |amount| ≤ `maxAmount`, and
    /// the balance after it within ±`AmountBounds.balance`; nothing is written otherwise.
    public func recordAdjustment(_ a: AdjustmentRequest, receivedAt now: Date,
                                 maxAmount: Money = AmountBounds.defaultPayment) async throws -> AdjustmentOutcome {
        try await write { db in try Self.recordAdjustment(a, receivedAt: now, maxAmount: maxAmount, in: db) }
    }

    static func recordAdjustment(_ a: AdjustmentRequest, receivedAt now: Date, maxAmount: Money,
                                 in db: SQLSession) throws -> AdjustmentOutcome {
        if let existing = try adjustment(number: a.adjustmentNo, in: db) {
            let same = existing.accountID == a.accountID && existing.amount == a.amount && existing.reason == a.reason
            return same ? .duplicate(existing) : .conflict(existing: existing)
        }
        try a.amount.checkWithin(maxAmount, field: "amount_yuan", source: "[payments] max_yuan")
        _ = try account(a.accountID, in: db)
        let received = StoredInstant.millis(now)
        let (ledgerID, balance) = try Ledgers.post(account: a.accountID, kind: .adjustment, amount: a.amount, at: received,
                                                   reference: "adjustment \(a.adjustmentNo): \(a.reason)", in: db)
        try db.executeCached(sql: """
            INSERT INTO adjustment (adjustment_no, account_id, amount_micro_yuan, reason, received_at, ledger_id, balance_after_micro_yuan)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [a.adjustmentNo, a.accountID, a.amount.microYuan, a.reason, received, ledgerID, balance.microYuan])
        try AuditTrail.append(AuditEvent(at: now, event: "adjustment", accountID: a.accountID, balanceMicroYuan: balance.microYuan,
                                         detail: "adjustment \(a.adjustmentNo): \(a.amount.yuanString) yuan: \(a.reason)"), in: db)
        return .created(AdjustmentReceipt(adjustmentNo: a.adjustmentNo, accountID: a.accountID, amount: a.amount, reason: a.reason,
                                          receivedAt: StoredInstant.date(received), balanceAfter: balance))
    }

    static func adjustment(number: String, in db: SQLSession) throws -> AdjustmentReceipt? {
        guard let row = try SQLRow.fetchOne(db.cachedStatement(sql: """
            SELECT adjustment_no, account_id, amount_micro_yuan, reason, received_at, balance_after_micro_yuan
            FROM adjustment WHERE adjustment_no = ?
            """), arguments: [number]) else { return nil }
        return AdjustmentReceipt(adjustmentNo: try row.decode(atIndex: 0), accountID: try row.decode(atIndex: 1),
                                 amount: Money(microYuan: try row.decode(atIndex: 2)), reason: try row.decode(atIndex: 3),
                                 receivedAt: StoredInstant.date(try row.decode(atIndex: 4)),
                                 balanceAfter: Money(microYuan: try row.decode(atIndex: 5)))
    }
}

extension StoreTransaction {
    /// Records an adjustment exactly once (see `StationStore.recordAdjustment`), so that it and
    /// the re-evaluation it triggers commit together.
    public func recordAdjustment(_ a: AdjustmentRequest, receivedAt: Date,
                                 maxAmount: Money = AmountBounds.defaultPayment) throws -> AdjustmentOutcome {
        try StationStore.recordAdjustment(a, receivedAt: receivedAt, maxAmount: maxAmount, in: db)
    }
}
