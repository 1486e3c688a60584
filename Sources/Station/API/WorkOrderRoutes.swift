import Foundation
import Hummingbird
import Store

/// `POST /v1/review/ID/assign` `{"assignee": "NAME" | null}` (operator): names who works on an
/// open item, or nobody (null). 409 on a closed item. Audited with the operator's name.
enum WorkOrderRoutes {
    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.post, "review/:id/assign", .operate) { request, context in
            let id = try ReviewRoutes.itemID(context)
            let body = try await JSONRequestBody.decode(AssignBody.self, from: request, context: context)
            let item = try await station.core.assign(review: id, to: try body.checkedAssignee())
            return try JSONResponse.make(ReviewRoutes.View(item, zone: station.settings.timeZone, now: station.core.clock.now))
        }
    }
}

/// `{"assignee": "NAME" | null}`: the key is required, so that a typo does not unassign.
struct AssignBody: Decodable, Sendable {
    let assignee: String?

    enum CodingKeys: String, CodingKey { case assignee }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.contains(.assignee) else {
            throw DecodingError.keyNotFound(CodingKeys.assignee, .init(codingPath: [], debugDescription: "\"assignee\" is required (null unassigns)"))
        }
        assignee = try c.decodeIfPresent(String.self, forKey: .assignee)
    }

    func checkedAssignee() throws(RequestRefusal) -> String? {
        try assignee.map { v throws(RequestRefusal) in try FieldValidation.identifier(v, "assignee") }
    }
}
