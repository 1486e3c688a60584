import Foundation
import Hummingbird
import Store
import Tariffs

/// `POST /v1/accounts/ID/adjustments` `{"adjustment_no","amount_yuan","reason"}` (operator):
/// 201 with the new balance; the same adjustment again: 200 with the same body; the same
/// `adjustment_no` with other content: 409. Bounded like a payment (`[payments] max_yuan`
/// either way, the balance within ±`AmountBounds.balance`): 422 beyond, nothing written.
enum AdjustmentRoutes {
    /// A recorded adjustment and the balance right after it.
    struct View: Encodable {
        let adjustmentNo, accountID, amountYuan: String
        let amountMicroYuan: Int64
        let reason, receivedAt, balanceYuan: String
        let balanceMicroYuan: Int64

        init(_ r: AdjustmentReceipt, zone: TimeZone) {
            adjustmentNo = r.adjustmentNo
            accountID = r.accountID
            amountYuan = r.amount.yuanString
            amountMicroYuan = r.amount.microYuan
            reason = r.reason
            receivedAt = RFC3339.format(r.receivedAt, in: zone)
            balanceYuan = r.balanceAfter.yuanString
            balanceMicroYuan = r.balanceAfter.microYuan
        }

        enum CodingKeys: String, CodingKey {
            case adjustmentNo = "adjustment_no", accountID = "account_id", amountYuan = "amount_yuan"
            case amountMicroYuan = "amount_micro_yuan", reason, receivedAt = "received_at", balanceYuan = "balance_yuan"
            case balanceMicroYuan = "balance_micro_yuan"
        }
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.post, "accounts/:id/adjustments", .operate) { request, context in
            let raw = try context.parameters.require("id")
            let body = try await JSONRequestBody.decode(AdjustmentBody.self, from: request, context: context)
            let adjustment = try body.request(account: raw.removingPercentEncoding ?? raw)
            let zone = station.settings.timeZone
            switch try await station.core.adjust(adjustment) {
            case .created(let receipt):
                return try JSONResponse.make(View(receipt, zone: zone), status: .created)
            case .duplicate(let receipt):
                return try JSONResponse.make(View(receipt, zone: zone), status: .ok)
            case .conflict(let existing):
                throw APIError.conflict("""
                    adjustment_no "\(existing.adjustmentNo)" was already recorded with other content \
                    (account \(existing.accountID), \(existing.amount.yuanString) yuan: \(existing.reason))
                    """, code: "adjustment_conflict")
            }
        }
    }
}
