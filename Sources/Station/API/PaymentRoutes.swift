import Foundation
import Hummingbird
import Store
import Tariffs

/// `POST /v1/payments` `{"order_no","account_id","amount_yuan","channel","paid_at"?}`.
///
/// 201 with the receipt and the new balance; the same order again: 200 with exactly the same
/// body; the same `order_no` with other content: 409. `paid_at` defaults to the instant the
/// order was first received. An unknown account is 422 (the request is
/// well-formed but names nothing we know; the path itself exists).
enum PaymentRoutes {
    /// A recorded payment and the balance right after it.
    struct View: Encodable {
        let orderNo, accountID, amountYuan: String
        let amountMicroYuan: Int64
        let channel, paidAt, receivedAt, balanceYuan: String
        let balanceMicroYuan: Int64

        init(_ r: PaymentReceipt, zone: TimeZone) {
            orderNo = r.orderNo
            accountID = r.accountID
            amountYuan = r.amount.yuanString
            amountMicroYuan = r.amount.microYuan
            channel = r.channel.rawValue
            paidAt = RFC3339.format(r.paidAt, in: zone)
            receivedAt = RFC3339.format(r.receivedAt, in: zone)
            balanceYuan = r.balanceAfter.yuanString
            balanceMicroYuan = r.balanceAfter.microYuan
        }

        enum CodingKeys: String, CodingKey {
            case orderNo = "order_no", accountID = "account_id", amountYuan = "amount_yuan", amountMicroYuan = "amount_micro_yuan"
            case channel, paidAt = "paid_at", receivedAt = "received_at", balanceYuan = "balance_yuan"
            case balanceMicroYuan = "balance_micro_yuan"
        }
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.post, "payments", .pay) { request, context in
            let body = try await JSONRequestBody.decode(PaymentBody.self, from: request, context: context)
            // Without paid_at the first receipt's instant stands, so a retry of the same order
            // (also without paid_at) is the same payment, not a conflict.
            let recorded = body.paidAt == nil ? try await station.core.store.payment(orderNo: body.orderNo) : nil
            let payment = try body.request(now: recorded?.paidAt ?? station.core.clock.now)
            let zone = station.settings.timeZone
            let outcome: PaymentOutcome
            do {
                outcome = try await station.core.pay(payment)
            } catch StoreError.unknownAccount(let id) {
                throw APIError.unprocessable("unknown account \"\(id)\"", code: "unknown_account")
            }
            switch outcome {
            case .created(let receipt):
                return try JSONResponse.make(View(receipt, zone: zone), status: .created)
            case .duplicate(let receipt):
                return try JSONResponse.make(View(receipt, zone: zone), status: .ok)
            case .conflict(let existing):
                throw APIError.conflict("""
                    order_no "\(existing.orderNo)" was already recorded with other content \
                    (account \(existing.accountID), \(existing.amount.yuanString) yuan via \(existing.channel.rawValue), \
                    paid at \(RFC3339.format(existing.paidAt, in: zone)))
                    """, code: "order_conflict")
            }
        }
    }
}
