import ChargeControl
import Foundation
import Tariffs

/// How a payment reached us (INTERFACES.md).
public enum PaymentChannel: String, Sendable, Hashable, CaseIterable {
    case counter
    case onlineBank = "online_bank"
    case thirdParty = "third_party"
    case mobileApp = "mobile_app"
}

/// A payment as the billing system posts it.
public struct PaymentRequest: Sendable, Hashable {
    public var orderNo: String
    public var accountID: String
    public var amount: Money
    public var channel: PaymentChannel
    public var paidAt: Date

    public init(orderNo: String, accountID: String, amount: Money, channel: PaymentChannel, paidAt: Date) {
        self.orderNo = orderNo
        self.accountID = accountID
        self.amount = amount
        self.channel = channel
        self.paidAt = paidAt
    }
}

/// A recorded payment and the balance right after it.
public struct PaymentReceipt: Sendable, Hashable {
    public let orderNo: String
    public let accountID: String
    public let amount: Money
    public let channel: PaymentChannel
    public let paidAt: Date
    public let receivedAt: Date
    public let balanceAfter: Money
}

/// What posting an idempotent request (a payment, an adjustment) did.
public enum PostingOutcome<Receipt: Sendable & Hashable>: Sendable, Hashable {
    /// Newly recorded (HTTP 201).
    case created(Receipt)
    /// The same number with the same content was recorded before (HTTP 200, same answer).
    case duplicate(Receipt)
    /// The number exists with other content (HTTP 409).
    case conflict(existing: Receipt)
}

/// What posting a payment did.
public typealias PaymentOutcome = PostingOutcome<PaymentReceipt>

extension StationStore {
    /// Records a payment exactly once. When this returns `.created`, the payment, its ledger
    /// entry, the new balance and its audit record are committed and fsynced together.
    /// A new order above `maxAmount` is refused (`AmountOutOfBounds`), and so is one that would
    /// take the balance past `AmountBounds.balance` (`BalanceOutOfBounds`); a retry of an order
    /// recorded before is answered as always, whatever the bound is now.
    public func recordPayment(_ p: PaymentRequest, receivedAt now: Date,
                              maxAmount: Money = AmountBounds.defaultPayment) async throws -> PaymentOutcome {
        try await write { db in try Self.recordPayment(p, receivedAt: now, maxAmount: maxAmount, in: db) }
    }

    static func recordPayment(_ p: PaymentRequest, receivedAt now: Date, maxAmount: Money, in db: SQLSession) throws -> PaymentOutcome {
        if let existing = try payment(orderNo: p.orderNo, in: db) {
            let same = existing.accountID == p.accountID && existing.amount == p.amount && existing.channel == p.channel
                && StoredInstant.millis(existing.paidAt) == StoredInstant.millis(p.paidAt)
            return same ? .duplicate(existing) : .conflict(existing: existing)
        }
        try p.amount.checkWithin(maxAmount, field: "amount_yuan", positive: true, source: "[payments] max_yuan")
        _ = try account(p.accountID, in: db)
        let received = StoredInstant.millis(now)
        let (ledgerID, balance) = try Ledgers.post(account: p.accountID, kind: .payment, amount: p.amount, at: received,
                                                   reference: "order \(p.orderNo) via \(p.channel.rawValue)", in: db)
        // `readings_through`: the readings charged before the payment are those up to it.
        try db.executeCached(sql: """
            INSERT INTO payment (order_no, account_id, amount_micro_yuan, channel, paid_at, received_at, ledger_id, balance_after_micro_yuan,
                readings_through)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT MAX(id) FROM reading))
            """, arguments: [p.orderNo, p.accountID, p.amount.microYuan, p.channel.rawValue,
                             StoredInstant.millis(p.paidAt), received, ledgerID, balance.microYuan])
        try AuditTrail.append(AuditEvent(at: now, event: "payment", accountID: p.accountID, balanceMicroYuan: balance.microYuan,
                                         detail: "order \(p.orderNo): \(p.amount.yuanString) yuan via \(p.channel.rawValue)"), in: db)
        guard let receipt = try payment(orderNo: p.orderNo, in: db) else { throw StoreError.unknownAccount(p.accountID) }
        return .created(receipt)
    }

    static func payment(orderNo: String, in db: SQLSession) throws -> PaymentReceipt? {
        guard let row = try SQLRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM payment WHERE order_no = ?"), arguments: [orderNo]) else { return nil }
        return try row.decodeRecord(table: "payment", key: .name("order_no")) {
            try PaymentReceipt(orderNo: row.decode(forColumn: "order_no"), accountID: row.decode(forColumn: "account_id"),
                               amount: Money(microYuan: row.decode(forColumn: "amount_micro_yuan")),
                               channel: row.decode(forColumn: "channel"),
                               paidAt: StoredInstant.date(row.decode(forColumn: "paid_at")),
                               receivedAt: StoredInstant.date(row.decode(forColumn: "received_at")),
                               balanceAfter: Money(microYuan: row.decode(forColumn: "balance_after_micro_yuan")))
        }
    }

    public func payment(orderNo: String) async throws -> PaymentReceipt? {
        try await writer.read { db in try Self.payment(orderNo: orderNo, in: db) }
    }
}
