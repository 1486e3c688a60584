import ChargeControl
import Foundation
import Hummingbird
import Store
import Tariffs

/// `POST /v1/accounts` (add 201 / update 200) and `GET /v1/accounts/ID`.
enum AccountRoutes {
    struct Body: Decodable {
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

        enum CodingKeys: String, CodingKey {
            case accountID = "account_id", meterAddress = "meter_address", terminalID = "terminal_id", tariff, region
            case customerClass = "customer_class"
            case alarmYuan = "alarm_yuan", tripYuan = "trip_yuan", isProtected = "protected"
            case openingBalanceYuan = "opening_balance_yuan"
        }

        /// The provisioning request, every field checked.
        func provisioning() throws(APIError) -> AccountProvisioning {
            AccountProvisioning(
                accountID: try FieldValidation.identifier(accountID, "account_id"),
                meterAddress: try FieldValidation.meterAddress(meterAddress),
                terminalID: try FieldValidation.identifier(terminalID, "terminal_id"),
                tariff: try FieldValidation.identifier(tariff, "tariff"),
                region: try FieldValidation.identifier(region, "region"),
                customerClass: try customerClass.map { v throws(APIError) in try FieldValidation.identifier(v, "customer_class") },
                alarm: try alarmYuan.map { v throws(APIError) in try FieldValidation.money(v, "alarm_yuan") },
                trip: try tripYuan.map { v throws(APIError) in try FieldValidation.money(v, "trip_yuan") },
                isProtected: isProtected ?? false,
                openingBalance: try openingBalanceYuan.map { v throws(APIError) in try FieldValidation.money(v, "opening_balance_yuan") })
        }
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.post, "accounts", .operate) { request, context in
            let body = try await JSONRequestBody.decode(Body.self, from: request, context: context)
            let provisioning = try body.provisioning()
            let rules = station.core.evaluator.rules
            // Refuse thresholds the policy cannot use before anything is written.
            _ = try rules.settings(for: AccountRecord(
                id: provisioning.accountID, meterAddress: provisioning.meterAddress, terminalID: provisioning.terminalID,
                tariff: provisioning.tariff, region: provisioning.region, customerClass: provisioning.customerClass,
                alarmThreshold: provisioning.alarm,
                tripThreshold: provisioning.trip, isProtected: provisioning.isProtected))
            let existed = try await station.core.store.account(provisioning.accountID) != nil
            let record = try await station.core.upsertAccount(provisioning)
            return try JSONResponse.make(AccountView(record, rules: rules, zone: station.settings.timeZone),
                                         status: existed ? .ok : .created)
        }

        routes.on(.get, "accounts/:id", .readAccount) { _, context in
            // Hummingbird hands over the segment as sent; chargectl percent-encodes ids (a space, a quote).
            let raw = try context.parameters.require("id")
            let id = raw.removingPercentEncoding ?? raw
            let record = try await station.core.account(id)
            return try JSONResponse.make(AccountView(record, rules: station.core.evaluator.rules, zone: station.settings.timeZone))
        }
    }
}
