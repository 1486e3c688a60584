import ChargeControl
import Foundation
import Hummingbird
import Store

/// `POST /v1/accounts/ID/fee-control` `{"action": "enrol" | "release", "reason": "…"}` (operator)
/// → 202 with the account: enrol queues the parameter writes (the account turns active once all
/// are read back), release turns it released at once and queues what lifts control.
enum FeeControlRoutes {
    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.post, "accounts/:id/fee-control", .operate) { request, context in
            let raw = try context.parameters.require("id")
            let id = try FieldValidation.identifier(raw.removingPercentEncoding ?? raw, "account_id")
            let body = try await JSONRequestBody.decode(FeeControlBody.self, from: request, context: context)
            let (event, reason) = try body.request()
            let record = try await station.core.changeFeeControl(event, account: id, reason: reason, actor: context.actor)
            return try JSONResponse.make(AccountView(record, rules: station.core.evaluator.rules, zone: station.settings.timeZone),
                                         status: .accepted)
        }
    }
}

/// `{"action": "enrol" | "release", "reason": "…"}`.
struct FeeControlBody: Decodable, Sendable {
    let action: String
    let reason: String?

    func request() throws(RequestRefusal) -> (FeeControlEvent, String) {
        let event: FeeControlEvent
        switch action {
        case "enrol": event = .enrol
        case "release": event = .release
        default: throw .badRequest("action must be \"enrol\" or \"release\", not \"\(action)\"")
        }
        let reason = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw .badRequest("reason must not be empty: say why fee control changes") }
        guard reason.count <= 500 else { throw .badRequest("reason is longer than 500 characters") }
        return (event, reason)
    }
}

extension EnrolmentWrites.Unwritable: StoreRefusal {
    var apiError: APIError { .unprocessable(description, code: "parameter_unwritable") }
}
