import Foundation
import Hummingbird
import Store
import Tariffs

/// `GET /v1/price-pushes`: every price version pushed to the meters' second price set, newest
/// first, with how many meters confirmed it, how many wait in job review, how many are outstanding.
enum PricePushRoutes {
    struct View: Encodable {
        let tariff, effective, switchTime, queuedAt: String
        let meters, confirmed, inReview, outstanding: Int

        init(_ p: PricePushProgress, zone: TimeZone) {
            tariff = p.tariff
            effective = RFC3339.format(p.effective, in: zone)
            switchTime = p.switchTime
            queuedAt = RFC3339.format(p.queuedAt, in: zone)
            (meters, confirmed, inReview, outstanding) = (p.meters, p.confirmed, p.inReview, p.outstanding)
        }

        enum CodingKeys: String, CodingKey {
            case tariff, effective, meters, confirmed, outstanding
            case switchTime = "switch_time", queuedAt = "queued_at", inReview = "in_review"
        }
    }

    static func register(_ routes: APIRoutes) {
        let station = routes.station
        routes.on(.get, "price-pushes", .read) { _, _ in
            let pushes = try await station.core.store.pricePushes()
            return try JSONResponse.make(pushes.map { View($0, zone: station.settings.timeZone) })
        }
    }
}
