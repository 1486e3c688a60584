import ChargeControl
import Foundation
import Hummingbird
import Store
import Tariffs

/// `GET /v1/review` (open items, oldest first; with `limit` and `after` a page `{"items", "next"}`) and `POST /v1/review/ID/retry|resolve|cancel` `{"note": "…"}`;
/// resolving an abnormal-reading item adds `"resolution": "accept" | "meter_replaced"`.
enum ReviewRoutes {
    struct Body: Decodable {
        let note: String
        let resolution: String?

        /// The resolution named, or a 400 naming the field and the values it takes.
        func readingResolution() throws -> ReadingResolution? {
            guard let resolution else { return nil }
            guard let known = ReadingResolution(rawValue: resolution) else {
                let values = ReadingResolution.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                throw APIError.badRequest("\"resolution\" must be \(values), got \"\(resolution)\"")
            }
            return known
        }
    }

    /// A job-review item.
    struct View: Encodable {
        let id: Int64
        let kind, accountID, meterAddress, reason, openedAt, state: String
        let commandID, readingID: Int64?
        let closedAt, note, resolution: String?
        /// Work order: due time, who works on it, whether it is open past due, its age.
        let dueAt: String
        let assignee: String?
        let overdue: Bool
        let ageSeconds: Int64

        init(_ item: ReviewItem, zone: TimeZone, now: Date) {
            id = item.id
            kind = item.kind.rawValue
            accountID = item.accountID
            meterAddress = item.meterAddress
            reason = item.reason
            openedAt = RFC3339.format(item.openedAt, in: zone)
            state = item.state.rawValue
            commandID = item.commandID
            readingID = item.readingID
            closedAt = item.closedAt.map { RFC3339.format($0, in: zone) }
            note = item.operatorNote
            resolution = item.resolution?.rawValue
            dueAt = RFC3339.format(item.dueAt, in: zone)
            assignee = item.assignee
            let end = item.closedAt ?? now
            overdue = item.state == .open && now > item.dueAt
            ageSeconds = max(0, Int64(end.timeIntervalSince(item.openedAt)))
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, reason, state, note, resolution
            case accountID = "account_id", meterAddress = "meter_address", openedAt = "opened_at"
            case commandID = "command_id", readingID = "reading_id", closedAt = "closed_at"
            case dueAt = "due_at", assignee, overdue, ageSeconds = "age_seconds"
        }

        // `assignee` is always there (null: nobody); the other optionals only when set.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(kind, forKey: .kind)
            try c.encode(accountID, forKey: .accountID)
            try c.encode(meterAddress, forKey: .meterAddress)
            try c.encode(reason, forKey: .reason)
            try c.encode(openedAt, forKey: .openedAt)
            try c.encode(state, forKey: .state)
            try c.encodeIfPresent(commandID, forKey: .commandID)
            try c.encodeIfPresent(readingID, forKey: .readingID)
            try c.encodeIfPresent(closedAt, forKey: .closedAt)
            try c.encodeIfPresent(note, forKey: .note)
            try c.encodeIfPresent(resolution, forKey: .resolution)
            try c.encode(dueAt, forKey: .dueAt)
            try c.encode(assignee, forKey: .assignee)
            try c.encode(overdue, forKey: .overdue)
            try c.encode(ageSeconds, forKey: .ageSeconds)
        }
    }

    /// The `:id` of a `review/:id/…` route: a positive integer, else a 400 naming it.
    static func itemID(_ context: APIRequestContext) throws -> Int64 {
        let raw = try context.parameters.require("id")
        guard let id = Int64(raw), id > 0 else { throw APIError.badRequest("review item id must be a positive integer, got \"\(raw)\"") }
        return id
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        let zone = station.settings.timeZone
        routes.on(.get, "review", .read) { request, _ in
            guard let page = try PageQuery<Int64>.optional(request.uri.queryParameters) else {
                return try JSONResponse.make(try await station.core.store.openReviewItems().map { View($0, zone: zone, now: station.core.clock.now) })
            }
            let rows = try await station.core.store.openReviewPage(after: page.after, limit: page.fetchLimit)
            return try JSONResponse.make(page.page(rows, item: { View($0, zone: zone, now: station.core.clock.now) }, cursor: \.id))
        }
        for action in ReviewAction.allCases {
            routes.on(.post, RouterPath("review/:id/\(action.rawValue)"), .operate) { request, context in
                let id = try itemID(context)
                let body = try await JSONRequestBody.decode(Body.self, from: request, context: context)
                let note = body.note.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !note.isEmpty else { throw APIError.badRequest("note must not be empty: say what was done or why") }
                let item = try await station.core.act(onReview: id, action, resolution: try body.readingResolution(), note: note,
                                                      deadline: station.settings.dispatchDeadline)
                return try JSONResponse.make(View(item, zone: zone, now: station.core.clock.now))
            }
        }
    }
}
