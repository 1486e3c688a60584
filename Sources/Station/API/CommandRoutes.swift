import Foundation
import Hummingbird
import Store
import Tariffs

/// `GET /v1/commands?account_id=ID`: the account's commands, newest first (the latest 100);
/// with `limit` (and `after`, the `next` of the page before) a page `{"items", "next"}`.
enum CommandRoutes {
    /// A queued command (INTERFACES.md keys, plus `deadline` and `detail`).
    struct View: Encodable {
        let id: Int64
        let kind, state: String
        let attempts: Int
        let reason, detail, createdAt, notBefore, deadline: String
        let acknowledgedAt, lastError: String?
        /// A write's identifier and value (absent for other kinds).
        let identifier, value: String?
        /// An operator's command: what the policy makes of it (absent in lists).
        var note: String?

        init(_ c: CommandRecord, zone: TimeZone) {
            id = c.id
            kind = c.kind.rawValue
            state = c.state.rawValue
            attempts = c.attempts
            reason = c.reason
            detail = c.detail
            createdAt = RFC3339.format(c.createdAt, in: zone)
            notBefore = RFC3339.format(c.notBefore, in: zone)
            deadline = RFC3339.format(c.deadline, in: zone)
            acknowledgedAt = c.acknowledgedAt.map { RFC3339.format($0, in: zone) }
            lastError = c.lastError
            identifier = c.parameter?.identifier
            value = c.parameter?.value
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, state, attempts, reason, detail, deadline, identifier, value, note
            case createdAt = "created_at", notBefore = "not_before", acknowledgedAt = "acknowledged_at", lastError = "last_error"
        }
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.get, "commands", .read) { request, _ in
            guard let raw = request.uri.queryParameters.get("account_id") else {
                throw APIError.badRequest("missing query parameter account_id")
            }
            let id = try FieldValidation.identifier(raw, "account_id")
            let page = try PageQuery<Int64>.optional(request.uri.queryParameters)
            _ = try await station.core.account(id)
            let zone = station.settings.timeZone
            guard let page else {
                return try JSONResponse.make(try await station.core.store.commands(account: id).map { View($0, zone: zone) })
            }
            let rows = try await station.core.store.commandPage(account: id, before: page.after, limit: page.fetchLimit)
            return try JSONResponse.make(page.page(rows, item: { View($0, zone: zone) }, cursor: \.id))
        }
    }
}
