import Foundation
import Hummingbird
import Store

/// `GET /v1/accounts?region=R&state=S&limit=N&after=ID`: accounts by id, a page at a time
/// (`{"items", "next"}`). Items are the account view of `GET /v1/accounts/ID` without its
/// days-left forecast (`days_left`, `daily_spend_yuan`, `reaches_trip_at`), which costs a ledger
/// query per account; `state` is one of the control states an account shows (`normal`, `alarm`,
/// `tripped`, `protected`, `abnormal`) or the fee-control states `pending` and `released`.
enum AccountListRoutes {
    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.get, "accounts", .read) { request, _ in
            let query = request.uri.queryParameters
            let region = try query.get("region").map { try FieldValidation.identifier($0, "region") }
            let state = try query.get("state").map(listState)
            let page = try PageQuery<String>(query, cursor: PageCursor.accountID)
            let rows = try await station.core.store.accountPage(region: region, state: state, after: page.after,
                                                                limit: page.fetchLimit)
            let rules = station.core.evaluator.rules
            return try JSONResponse.make(page.page(rows, item: { AccountView($0, rules: rules, zone: station.settings.timeZone) },
                                                   cursor: \.id))
        }
    }

    static func listState(_ raw: String) throws -> AccountListState {
        guard let state = AccountListState(raw) else {
            throw APIError.badRequest("state must be one of \(AccountListState.names.joined(separator: ", ")), got \"\(raw)\"")
        }
        return state
    }
}
