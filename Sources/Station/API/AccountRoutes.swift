import ChargeControl
import Foundation
import Hummingbird
import Store
import Tariffs

/// `POST /v1/accounts` (add 201 / update 200) and `GET /v1/accounts/ID`.
enum AccountRoutes {
    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.post, "accounts", .operate) { request, context in
            let body = try await JSONRequestBody.decode(AccountBody.self, from: request, context: context)
            var provisioning = try body.provisioning()
            provisioning.enrolAtOnce = try body.enrolsAtOnce()
            let rules = station.core.evaluator.rules
            // Refuse thresholds the policy cannot use before anything is written.
            let provisional = AccountRecord(
                id: provisioning.accountID, meterAddress: provisioning.meterAddress, terminalID: provisioning.terminalID,
                tariff: provisioning.tariff, region: provisioning.region, customerClass: provisioning.customerClass,
                alarmThreshold: provisioning.alarm,
                tripThreshold: provisioning.trip, isProtected: provisioning.isProtected)
            _ = try rules.settings(for: provisional)
            if provisioning.enrolAtOnce, rules.tariffs[provisioning.tariff] != nil {
                // Values a meter cannot hold are refused before the account exists.
                _ = try EnrolmentWrites.settings(for: provisional, rules: rules, at: station.core.clock.now)
            }
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
            return try JSONResponse.make(AccountView(record, rules: station.core.evaluator.rules, zone: station.settings.timeZone,
                                                     forecast: try await station.core.daysLeft(for: record)))
        }
    }
}
