import Foundation
import Store
import Tariffs

// The bodies of the API's money-carrying requests and their checks, in one place: the routes
// decode them, and the fuzz harness (Tests/Fuzz/StationCoreFuzz.swift) compiles this file as it
// is and drives the same bodies through the station core. No HTTP types here.

/// `POST /v1/payments` `{"order_no","account_id","amount_yuan","channel","paid_at"?}`.
struct PaymentBody: Decodable, Sendable {
    let orderNo: String
    let accountID: String
    let amountYuan: String
    let channel: String
    let paidAt: String?

    enum CodingKeys: String, CodingKey {
        case orderNo = "order_no", accountID = "account_id", amountYuan = "amount_yuan", channel, paidAt = "paid_at"
    }

    /// The payment, every field checked; `paid_at` defaults to `now`. The amount is bounded by
    /// `AmountBounds.balance` here (no payment can be larger than a balance may be) and by
    /// `[payments] max_yuan` when it is recorded (a retry of an order recorded before is
    /// answered whatever the setting is now).
    func request(now: Date) throws(RequestRefusal) -> PaymentRequest {
        guard let channel = PaymentChannel(rawValue: channel) else {
            let known = PaymentChannel.allCases.map(\.rawValue).joined(separator: ", ")
            throw .badRequest("channel must be one of \(known), got \"\(self.channel)\"")
        }
        return PaymentRequest(
            orderNo: try FieldValidation.identifier(orderNo, "order_no"),
            accountID: try FieldValidation.identifier(accountID, "account_id"),
            amount: try FieldValidation.money(amountYuan, "amount_yuan", bound: AmountBounds.balance, positive: true),
            channel: channel,
            paidAt: try paidAt.map { v throws(RequestRefusal) in try FieldValidation.instant(v, "paid_at") } ?? now)
    }
}

/// `POST /v1/accounts/ID/adjustments` `{"adjustment_no","amount_yuan","reason"}`: an operator's
/// correction, either sign.
struct AdjustmentBody: Decodable, Sendable {
    let adjustmentNo: String
    let amountYuan: String
    let reason: String

    enum CodingKeys: String, CodingKey {
        case adjustmentNo = "adjustment_no", amountYuan = "amount_yuan", reason
    }

    /// The adjustment of `account`, every field checked; bounded like a payment.
    func request(account: String) throws(RequestRefusal) -> AdjustmentRequest {
        let amount = try FieldValidation.money(amountYuan, "amount_yuan", bound: AmountBounds.balance)
        guard amount != .zero else { throw .badRequest("amount_yuan must not be zero") }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw .badRequest("reason must not be empty: say why the balance is corrected") }
        guard reason.count <= 500 else { throw .badRequest("reason is longer than 500 characters") }
        return AdjustmentRequest(adjustmentNo: try FieldValidation.identifier(adjustmentNo, "adjustment_no"),
                                 accountID: try FieldValidation.identifier(account, "account_id"),
                                 amount: amount, reason: reason)
    }
}

/// `POST /v1/accounts` `{"account_id","meter_address","terminal_id","tariff","region", …}`.
struct AccountBody: Decodable, Sendable {
    let accountID: String
    let meterAddress: String
    let terminalID: String
    let tariff: String
    let region: String
    let customerClass: String?
    let alarmYuan: String?
    let tripYuan: String?
    let isProtected: Bool?
    let openingBalanceYuan: String?
    /// `"active"` (default) or `"pending"` (enrol at once); applies when the account is created.
    let feeControl: String?

    enum CodingKeys: String, CodingKey {
        case accountID = "account_id", meterAddress = "meter_address", terminalID = "terminal_id", tariff, region
        case customerClass = "customer_class"
        case alarmYuan = "alarm_yuan", tripYuan = "trip_yuan", isProtected = "protected"
        case openingBalanceYuan = "opening_balance_yuan", feeControl = "fee_control"
    }

    /// Whether the new account is enrolled at once (`"pending"`), or controlled as in v1.
    func enrolsAtOnce() throws(RequestRefusal) -> Bool {
        switch feeControl {
        case nil, "active": false
        case "pending": true
        case let other?: throw .badRequest("fee_control must be \"active\" or \"pending\", not \"\(other)\"")
        }
    }

    /// The provisioning request, every field checked: thresholds within ±`AmountBounds.threshold`,
    /// the opening balance within ±`AmountBounds.balance`.
    func provisioning() throws(RequestRefusal) -> AccountProvisioning {
        AccountProvisioning(
            accountID: try FieldValidation.identifier(accountID, "account_id"),
            meterAddress: try FieldValidation.meterAddress(meterAddress),
            terminalID: try FieldValidation.identifier(terminalID, "terminal_id"),
            tariff: try FieldValidation.identifier(tariff, "tariff"),
            region: try FieldValidation.identifier(region, "region"),
            customerClass: try customerClass.map { v throws(RequestRefusal) in try FieldValidation.identifier(v, "customer_class") },
            alarm: try alarmYuan.map { v throws(RequestRefusal) in
                try FieldValidation.money(v, "alarm_yuan", bound: AmountBounds.threshold)
            },
            trip: try tripYuan.map { v throws(RequestRefusal) in try FieldValidation.money(v, "trip_yuan", bound: AmountBounds.threshold) },
            isProtected: isProtected ?? false,
            openingBalance: try openingBalanceYuan.map { v throws(RequestRefusal) in
                try FieldValidation.money(v, "opening_balance_yuan", bound: AmountBounds.balance)
            })
    }
}
