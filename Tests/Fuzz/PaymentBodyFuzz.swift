// libFuzzer harness for the payment request body (issue 6, fuzzing).
//
// Built by Tests/Fuzz/build.sh from Sources/Station/API/FieldValidation.swift (the real checks)
// and the instrumented Tariffs module; Hummingbird and the rest of Station are left out, so
// `APIError` is a stub below and `Body` mirrors `PaymentRoutes.Body` (same keys, same checks in
// the same order as `Body.request(now:)`). Any input must give a payment or an error; an amount
// that passes must survive formatting and parsing again unchanged.
import Foundation
import Tariffs

struct APIError: Error {
    let message: String
    static func badRequest(_ message: String) -> APIError { APIError(message: message) }
}

private struct Body: Decodable {
    let orderNo: String
    let accountID: String
    let amountYuan: String
    let channel: String
    let paidAt: String?

    enum CodingKeys: String, CodingKey {
        case orderNo = "order_no", accountID = "account_id", amountYuan = "amount_yuan", channel, paidAt = "paid_at"
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPaymentBody(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard let body = try? JSONDecoder().decode(Body.self, from: bytes) else { return 0 }
    do {
        _ = try FieldValidation.identifier(body.orderNo, "order_no")
        _ = try FieldValidation.identifier(body.accountID, "account_id")
        let amount = try FieldValidation.money(body.amountYuan, "amount_yuan", positive: true)
        let again: Money
        do { again = try Money(yuan: amount.yuanString, maxDecimals: 2) } catch {
            fatalError("\(body.amountYuan) → \(amount.yuanString), which does not parse: \(error)")
        }
        if again != amount { fatalError("\(body.amountYuan) → \(amount.yuanString) → \(again.yuanString)") }
        if let paidAt = body.paidAt { _ = try FieldValidation.instant(paidAt, "paid_at") }
        _ = try? FieldValidation.meterAddress(body.accountID)
    } catch {
        _ = error.message
    }
    return 0
}
